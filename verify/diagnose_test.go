package verify_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// diagUUID is the UUID of the code the tests expect.
const diagUUID = "668e156b-f5d3-430e-9944-f1d4385d043e"

// diagOtherDesc is what diagKnownCode says of other's UUID.
const diagOtherDesc = "the code generated for main.test on 2026-11-01 (27 days ago), replaced on 2026-11-20"

// diagKnownCode knows other, the code an earlier request made.
func diagKnownCode(uuid string) (string, bool) {
	if "logmein-verification-code="+uuid == other {
		return diagOtherDesc, true
	}
	return "", false
}

// diagZone is main.test (served by 192.0.2.1 and .2) with a web server
// at the apex and www (192.0.2.10), a host in private space, a host for
// subdomain checks, and extra records.
func diagZone(extra string) string {
	return zone(1, `@    IN A 192.0.2.10
www  IN A 192.0.2.10
lan  IN A 10.1.2.3
shop IN A 192.0.2.10
`+extra)
}

// diagWithCode is diagZone with the code at the apex.
func diagWithCode(extra string) string { return diagZone("@ IN TXT \"" + code + "\"\n" + extra) }

// diagSubZone is sub.main.test as a zone of its own on 192.0.2.3, without
// the code.
const diagSubZone = `$ORIGIN sub.main.test.
$TTL 300
@ IN SOA ns.other.test. hostmaster.other.test. ( 3 3600 600 86400 60 )
@ IN NS ns.other.test.
@ IN TXT "v=spf1 -all"
`

// diagWorld is a DNS world (main.test on 192.0.2.1 and .2, other.test on
// 192.0.2.3, a recursive resolver, optionally a system resolver with its
// own view) together with web servers at documentation addresses, for
// Diagnose, which runs both methods.
type diagWorld struct {
	ns1, ns2 string   // main.test's zone text on 192.0.2.1 and .2 ("" ns2: as ns1)
	ns3      []string // the zones of 192.0.2.3 (nil: other.test)
	o1, o2   verifytest.Options
	resolver []string // the configured resolver's zones (nil: those of ns1 and ns3)
	ro       verifytest.Options
	system   []string // a system resolver's zones (nil: none)
	so       verifytest.Options
	sites    map[string]http.Handler // web servers by ip:port, as for newWebWorld
}

func (w diagWorld) checker(t *testing.T) *verify.Checker {
	t.Helper()
	c, _ := newWebWorld(t, w.sites) // the web servers and a dialer that reaches them
	ns3 := w.ns3
	if ns3 == nil {
		ns3 = []string{otherZone("")}
	}
	to := map[string]string{
		"192.0.2.1:53": verifytest.Start(t, w.o1, w.ns1).Addr,
		"192.0.2.2:53": verifytest.Start(t, w.o2, cmp.Or(w.ns2, w.ns1)).Addr,
		"192.0.2.3:53": verifytest.Start(t, verifytest.Options{}, ns3...).Addr,
	}
	rz := w.resolver
	if rz == nil {
		rz = append([]string{w.ns1}, ns3...)
	}
	ro := w.ro
	ro.Recursive = true
	c.Resolvers = []string{verifytest.Start(t, ro, rz...).Addr}
	if w.system != nil {
		so := w.so
		so.Recursive = true
		c.SystemResolvers = []string{verifytest.Start(t, so, w.system...).Addr}
	}
	c.Exchanger = mapExchanger{to: to}
	return c
}

// diagAll returns r's findings and those of its subdomains.
func diagAll(r *verify.Result) []verify.Finding {
	if r == nil {
		return nil
	}
	fs := slices.Clone(r.Findings)
	for _, s := range r.Subdomains {
		fs = append(fs, diagAll(s)...)
	}
	return fs
}

// diagFind returns the first finding with code, if any.
func diagFind(fs []verify.Finding, code string) (verify.Finding, bool) {
	i := slices.IndexFunc(fs, func(f verify.Finding) bool { return f.Code == code })
	if i < 0 {
		return verify.Finding{}, false
	}
	return fs[i], true
}

// diagMust is diagFind that stops the test when the finding is missing.
func diagMust(t *testing.T, fs []verify.Finding, code string) verify.Finding {
	t.Helper()
	f, ok := diagFind(fs, code)
	if !ok {
		t.Fatalf("no %s finding in %v", code, fs)
	}
	return f
}

// diagChain redirects the file through n redirects to /final, which
// serves the code.
func diagChain(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final" {
			io.WriteString(w, code)
			return
		}
		i := 0
		fmt.Sscanf(r.URL.Path, "/hop%d", &i)
		next := fmt.Sprintf("/hop%d", i+1)
		if i+1 >= n {
			next = "/final"
		}
		http.Redirect(w, r, next, http.StatusFound)
	})
}

// diagCase is one Diagnose run and what one method must say.
type diagCase struct {
	name   string
	w      diagWorld
	domain string                                            // "" is main.test
	code   verify.Code                                       // Value "" is code
	tweak  func(*verify.Checker)                             // optional changes to the checker
	method string                                            // verify.MethodDNS or verify.MethodHTTP: the result judged
	status verify.Status                                     // that method's status
	want   []string                                          // codes that method must report (subdomains included)
	absent []string                                          // codes it must not
	check  func(*testing.T, *verify.Checker, *verify.Result) // further checks on the method's result
}

func diagCases() []diagCase {
	html := "<!DOCTYPE html><html><head><title>Home</title></head><body>Welcome to our site.</body></html>"
	page := diagZone("") // no TXT record: the HTTP cases
	at := func(h http.Handler) map[string]http.Handler { return map[string]http.Handler{"192.0.2.10:80": h} }
	// dnsNear publishes value (raw bytes) at the apex.
	dnsNear := func(name, value, want string) diagCase {
		txt := strings.NewReplacer(`"`, `\"`, "\t", `\009`).Replace(value)
		return diagCase{name: name, w: diagWorld{ns1: diagZone("@ IN TXT \"" + txt + "\"\n")},
			method: verify.MethodDNS, status: verify.StatusMismatch, want: []string{want},
			absent: []string{"dns.nodata", "dns.no_code"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if f := diagMust(t, r.Findings, want); f.Found != value {
					t.Errorf("%s: found %q, want the published bytes %q", want, f.Found, value)
				}
			}}
	}
	past := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	bogus := &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeSignatureExpired, ExtraText: "RRSIG main.test/SOA expired 2026-11-20"}

	return []diagCase{
		// DNS: what is at the name.
		{name: "dns nxdomain", w: diagWorld{ns1: diagWithCode("")}, domain: "nope.main.test",
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.nxdomain"},
			absent: []string{"dns.nodata", "dns.wrong_name", "dns.zone_cut"}},
		{name: "dns nodata", w: diagWorld{ns1: diagZone("")}, domain: "www.main.test",
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.nodata"}, absent: []string{"dns.nxdomain"}},
		{name: "dns other TXT only", w: diagWorld{ns1: diagZone(`@ IN TXT "v=spf1 -all"` + "\n")},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.no_code"}, absent: []string{"dns.near_miss"}},
		{name: "dns wrong code described", w: diagWorld{ns1: diagZone("@ IN TXT \"" + other + "\"\n")},
			tweak:  func(c *verify.Checker) { c.KnownCode = diagKnownCode },
			method: verify.MethodDNS, status: verify.StatusMismatch, want: []string{"dns.wrong_code"},
			absent: []string{"dns.nodata", "dns.near_miss"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				f := diagMust(t, r.Findings, "dns.wrong_code")
				if !strings.Contains(f.Message, diagOtherDesc) || f.Found != other {
					t.Errorf("wrong_code message %q found %q: want KnownCode's description and the other code", f.Message, f.Found)
				}
			}},

		// DNS: near misses.
		dnsNear("dns near miss upper case", strings.ToUpper(code), "dns.near_miss.case"),
		dnsNear("dns near miss trailing space", code+" ", "dns.near_miss.whitespace"),
		dnsNear("dns near miss tab", "\t"+code, "dns.near_miss.whitespace"),
		dnsNear("dns near miss no-break space", code+"\u00a0", "dns.near_miss.whitespace"),
		dnsNear("dns near miss zero-width space", "\u200b"+code, "dns.near_miss.whitespace"),
		dnsNear("dns near miss literal quotes", `"`+code+`"`, "dns.near_miss.quotes"),
		dnsNear("dns near miss smart double quotes", "“"+code+"”", "dns.near_miss.smart_quotes"),
		dnsNear("dns near miss smart single quotes", "‘"+code+"’", "dns.near_miss.smart_quotes"),
		dnsNear("dns near miss spaces around =", "logmein-verification-code = "+diagUUID, "dns.near_miss.separator"),
		dnsNear("dns near miss wrong prefix", "logmein-verification="+diagUUID, "dns.near_miss.separator"),
		dnsNear("dns near miss other vendor prefix", "logmein-verify:"+diagUUID, "dns.near_miss.separator"),
		dnsNear("dns near miss placeholder", "logmein-verification-code=PASTE-CODE-HERE", "dns.near_miss"),
		{name: "dns split across two records",
			w:      diagWorld{ns1: diagZone("@ IN TXT \"logmein-verification-code=668e156b-\"\n@ IN TXT \"f5d3-430e-9944-f1d4385d043e\"\n")},
			method: verify.MethodDNS, status: verify.StatusMismatch, want: []string{"dns.split_strings"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if f := diagMust(t, r.Findings, "dns.split_strings"); f.Severity != verify.SeverityError {
					t.Errorf("split across records: severity %s, want error", f.Severity)
				}
			}},
		{name: "dns split strings in one record",
			w:      diagWorld{ns1: diagZone(`@ IN TXT "logmein-verification-code=668e156b-" "f5d3-430e-9944-f1d4385d043e"` + "\n")},
			method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.split_strings"}},

		// DNS: the code at another name.
		{name: "dns doubled origin", w: diagWorld{ns1: diagZone("main.test IN TXT \"" + code + "\"\n")},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.doubled_origin", "dns.nodata"},
			absent: []string{"dns.wrong_name"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				f := diagMust(t, r.Findings, "dns.doubled_origin")
				if f.Found != code || !strings.Contains(f.Message, "main.test.main.test") || f.Severity != verify.SeverityError {
					t.Errorf("doubled origin %+v", f)
				}
			}},
		{name: "dns code at www", w: diagWorld{ns1: diagZone("www IN TXT \"" + code + "\"\n")},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.wrong_name"},
			absent: []string{"dns.doubled_origin"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if f := diagMust(t, r.Findings, "dns.wrong_name"); !strings.Contains(f.Message, "www.main.test") || f.Found != code {
					t.Errorf("wrong name %+v", f)
				}
			}},
		{name: "dns code as a wildcard", w: diagWorld{ns1: diagZone("* IN TXT \"" + code + "\"\n")},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.wildcard", "dns.nodata"},
			absent: []string{"dns.wrong_name", "dns.doubled_origin"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if f := diagMust(t, r.Findings, "dns.wildcard"); !strings.Contains(f.Message, "*.main.test.") || f.Found != code || !strings.Contains(f.Fix, "host @") {
					t.Errorf("wildcard %+v", f)
				}
			}},
		{name: "dns near miss at _logmein", w: diagWorld{ns1: diagZone("_logmein IN TXT \"" + strings.ToUpper(code) + "\"\n")},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.wrong_name"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if f := diagMust(t, r.Findings, "dns.wrong_name"); !strings.Contains(f.Message, "letter case") {
					t.Errorf("a near miss at another name should say which: %q", f.Message)
				}
			}},
		{name: "dns subdomain without the apex's code", w: diagWorld{ns1: diagWithCode("")},
			code:   verify.Code{Subdomains: []string{"shop.main.test"}},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.wrong_name", "dns.nodata"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if len(r.Subdomains) != 1 {
					t.Fatalf("subdomains %+v", r.Subdomains)
				}
				if _, ok := diagFind(r.Findings, "dns.wrong_name"); ok {
					t.Error("the apex, which has the code, got a wrong_name finding")
				}
				f := diagMust(t, r.Subdomains[0].Findings, "dns.wrong_name")
				if !strings.Contains(f.Message, "published at main.test. but not at shop.main.test.") {
					t.Errorf("subdomain wrong_name message %q", f.Message)
				}
			}},
		{name: "dns subdomain delegated away from the record",
			// sub's TXT in the parent zone sits below the cut: the
			// parent's servers answer with a referral, never with it.
			w: diagWorld{ns1: diagWithCode("sub IN NS ns.other.test.\nsub IN TXT \"" + code + "\"\n"),
				ns3: []string{otherZone(""), diagSubZone}},
			code:   verify.Code{Subdomains: []string{"sub.main.test"}},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.zone_cut", "dns.no_code"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				s := r.Subdomains[0]
				f := diagMust(t, s.Findings, "dns.zone_cut")
				if s.Zone != "sub.main.test." || !strings.Contains(f.Message, "zone of its own") ||
					!strings.Contains(f.Message, "ns.other.test") || f.Severity != verify.SeverityError {
					t.Errorf("zone %s, zone_cut %+v", s.Zone, f)
				}
			}},
		{name: "dns cname", w: diagWorld{ns1: diagZone("txt1 IN CNAME verify.other.test.\n"), ns3: []string{otherZone("verify IN TXT \"" + code + "\"\n")}},
			domain: "txt1.main.test", method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.cname"}},
		{name: "dns cname loop", w: diagWorld{ns1: diagZone("a IN CNAME b.main.test.\nb IN CNAME a.main.test.\n")},
			domain: "a.main.test", method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.cname_loop"}},

		// DNS: the servers.
		{name: "dns truncated", w: diagWorld{ns1: diagWithCode(bigRRset())},
			method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.truncated"}, absent: []string{"dns.ns_no_tcp"}},
		{name: "dns one server without TCP", w: diagWorld{ns1: diagWithCode(""), o2: verifytest.Options{NoTCP: true}},
			method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.ns_no_tcp"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				f := diagMust(t, r.Findings, "dns.ns_no_tcp")
				if f.Severity != verify.SeverityWarning || !strings.Contains(f.Server, "ns2.main.test") {
					t.Errorf("ns_no_tcp %+v, want a warning about ns2", f)
				}
				if n := strings.Count(strings.Join(codes(r.Findings), " "), "dns.ns_no_tcp"); n != 1 {
					t.Errorf("%d ns_no_tcp findings, want one (ns1 answers over TCP)", n)
				}
			}},
		{name: "dns ns inconsistent", w: diagWorld{ns1: diagWithCode(""), ns2: zone(0, "@ IN A 192.0.2.10\n")},
			method: verify.MethodDNS, status: verify.StatusPartial, want: []string{"dns.ns_inconsistent"}},
		{name: "dns lame REFUSED", w: diagWorld{ns1: diagWithCode(""), o2: verifytest.Options{Refuse: true}},
			method: verify.MethodDNS, status: verify.StatusPartial, want: []string{"dns.lame"}},
		{name: "dns lame without AA", w: diagWorld{ns1: diagWithCode(""), o2: verifytest.Options{NoAA: true}},
			method: verify.MethodDNS, status: verify.StatusPartial, want: []string{"dns.lame"}},
		{name: "dns one server unreachable", w: diagWorld{ns1: diagWithCode(""), o2: verifytest.Options{Drop: true}},
			method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.ns_unreachable"},
			absent: []string{"dns.ns_no_tcp"}},
		{name: "dns authoritative SERVFAIL", w: diagWorld{ns1: diagWithCode(""), o2: verifytest.Options{ServFail: true}},
			method: verify.MethodDNS, status: verify.StatusPartial, want: []string{"dns.servfail"}, absent: []string{"dns.dnssec_bogus"}},
		{name: "dns resolver SERVFAIL without DNSSEC", w: diagWorld{ns1: diagWithCode(""), ro: verifytest.Options{ServFail: true}},
			method: verify.MethodDNS, status: verify.StatusError, want: []string{"dns.servfail"}, absent: []string{"dns.dnssec_bogus"}},
		{name: "dns dnssec bogus", w: diagWorld{ns1: diagWithCode(""), ro: verifytest.Options{ServFail: true, ServFailEDE: bogus}},
			method: verify.MethodDNS, status: verify.StatusError, want: []string{"dns.dnssec_bogus"},
			check: func(t *testing.T, c *verify.Checker, r *verify.Result) {
				f := diagMust(t, r.Findings, "dns.dnssec_bogus")
				if !strings.Contains(f.Message, "EDE 7 (Signature Expired)") || !strings.Contains(f.Message, bogus.ExtraText) ||
					!strings.Contains(f.Message, "CD=1") || f.Server != c.Resolvers[0] {
					t.Errorf("dnssec_bogus %+v: want the EDE code, name and text and the resolver", f)
				}
				if !strings.Contains(f.Fix, "re-sign") {
					t.Errorf("fix %q: an expired signature wants re-signing", f.Fix)
				}
				var resolver *verify.Server
				for i, s := range r.Servers {
					if s.Role == verify.RoleResolver && s.Server == c.Resolvers[0] {
						resolver = &r.Servers[i]
					}
				}
				if resolver == nil || resolver.Rcode != "SERVFAIL" || resolver.CDRcode != "NOERROR" ||
					len(resolver.EDE) != 1 || resolver.EDE[0].Code != dns.ExtendedErrorCodeSignatureExpired {
					t.Errorf("resolver entry %+v: want SERVFAIL, NOERROR with CD=1 and the EDE", resolver)
				}
				// The check went on with CD=1: the authoritative servers' view
				// is there too.
				if !slices.ContainsFunc(r.Servers, func(s verify.Server) bool { return s.Role == verify.RoleAuthoritative && s.Match }) {
					t.Errorf("no authoritative answer with the code: %+v", r.Servers)
				}
			}},

		// DNS: the resolvers.
		{name: "dns negative cached", w: diagWorld{ns1: diagWithCode(""), resolver: []string{zone(0, ""), otherZone("")}},
			method: verify.MethodDNS, status: verify.StatusPropagating, want: []string{"dns.negative_cached"}},
		{name: "dns resolver serves older TXT", w: diagWorld{ns1: diagWithCode(""), resolver: []string{zone(0, "@ IN TXT \""+other+"\"\n"), otherZone("")}},
			method: verify.MethodDNS, status: verify.StatusPropagating, want: []string{"dns.resolver_disagrees"}},
		{name: "dns split horizon: only the system resolver has it",
			w:      diagWorld{ns1: diagZone(""), system: []string{diagWithCode(""), otherZone("")}},
			method: verify.MethodDNS, status: verify.StatusNotFound, want: []string{"dns.resolver_disagrees", "dns.nodata"},
			check: func(t *testing.T, c *verify.Checker, r *verify.Result) {
				f := diagMust(t, r.Findings, "dns.resolver_disagrees")
				if f.Severity != verify.SeverityWarning || f.Server != c.SystemResolvers[0] || !strings.Contains(f.Message, "split-horizon") {
					t.Errorf("resolver_disagrees %+v: want a warning about the system resolver", f)
				}
				if !slices.ContainsFunc(r.Servers, func(s verify.Server) bool { return s.System && s.Match }) {
					t.Errorf("no system resolver entry with the code: %+v", r.Servers)
				}
			}},
		{name: "dns split horizon: the system resolver lacks it",
			w:      diagWorld{ns1: diagWithCode(""), system: []string{diagZone(""), otherZone("")}},
			method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.resolver_disagrees"},
			check: func(t *testing.T, c *verify.Checker, r *verify.Result) {
				f := diagMust(t, r.Findings, "dns.resolver_disagrees")
				if f.Severity != verify.SeverityWarning || f.Server != c.SystemResolvers[0] {
					t.Errorf("resolver_disagrees %+v: want a warning about the system resolver", f)
				}
			}},
		{name: "dns system resolver that cannot see the zone is no split horizon",
			w:      diagWorld{ns1: diagWithCode(""), system: []string{"$ORIGIN .\n@ 300 IN SOA a.root. b.root. ( 1 3600 600 86400 60 )\n@ 300 IN NS a.root.\n"}},
			method: verify.MethodDNS, status: verify.StatusVerified, absent: []string{"dns.resolver_disagrees"},
			check: func(t *testing.T, c *verify.Checker, r *verify.Result) {
				if !slices.ContainsFunc(r.Servers, func(s verify.Server) bool { return s.System && s.Rcode == "NXDOMAIN" }) {
					t.Errorf("want the system resolver's NXDOMAIN recorded: %+v", r.Servers)
				}
			}},
		{name: "dns system resolver unreachable",
			w:      diagWorld{ns1: diagWithCode(""), system: []string{diagWithCode("")}, so: verifytest.Options{Drop: true}},
			method: verify.MethodDNS, status: verify.StatusVerified, want: []string{"dns.resolver_unreachable"}},
		{name: "dns code expired", w: diagWorld{ns1: diagWithCode("")},
			code:   verify.Code{ExpiresAt: past.Add(-time.Hour)},
			tweak:  func(c *verify.Checker) { c.Now = func() time.Time { return past } },
			method: verify.MethodDNS, status: verify.StatusMismatch, want: []string{"code.expired"}},

		// HTTP.
		{name: "http 404", w: diagWorld{ns1: page, sites: at(http.NotFoundHandler())},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.not_found"}, absent: []string{"http.soft_404"}},
		{name: "http 500", w: diagWorld{ns1: page, sites: at(serve(500, "oops"))},
			method: verify.MethodHTTP, status: verify.StatusError, want: []string{"http.status"}},
		{name: "http 403", w: diagWorld{ns1: page, sites: at(serve(403, "forbidden"))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.status"}, absent: []string{"http.blocked"}},
		{name: "http 403 to bots only", w: diagWorld{ns1: page, sites: at(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.UserAgent(), "Mozilla/") {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			io.WriteString(w, code)
		}))}, method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.status", "http.blocked"}},
		{name: "http behind a Cloudflare challenge", w: diagWorld{ns1: page, sites: at(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cf-Ray", "8a1b2c3d4e5f6a7b-FRA")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<!DOCTYPE html><head><title>Just a moment...</title></head>")
		}))}, method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.middlebox"}, absent: []string{"http.status", "http.blocked"}},
		{name: "http port 80 speaks HTTPS", w: diagWorld{ns1: page, sites: at(serve(400, "<center>The plain HTTP request was sent to HTTPS port</center>"))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.https_on_http_port"}, absent: []string{"http.status"}},
		{name: "http answer that is not HTTP", w: diagWorld{ns1: page, sites: at(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type text/plain\r\n\r\nx")
		}))}, method: verify.MethodHTTP, status: verify.StatusError, want: []string{"http.malformed"}, absent: []string{"http.refused"}},
		{name: "http catch-all page", w: diagWorld{ns1: page, sites: at(serve(200, html))},
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.html", "http.soft_404"}},
		{name: "http file under /.well-known", w: diagWorld{ns1: page, sites: at(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/.well-known"+file {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, code)
		}))}, method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.not_found", "http.wrong_url"}},
		{name: "http bom", w: diagWorld{ns1: page, sites: at(fileOnly("\ufeff" + code))},
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.bom"}},
		{name: "http trailing newline tolerated", w: diagWorld{ns1: page, sites: at(fileOnly(code + "\r\n"))},
			method: verify.MethodHTTP, status: verify.StatusVerified, want: []string{"http.trailing_newline"}},
		{name: "http trailing newline strict", w: diagWorld{ns1: page, sites: at(fileOnly(code + "\n"))},
			tweak:  func(c *verify.Checker) { c.Strict = true },
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.trailing_newline"}},
		{name: "http whitespace", w: diagWorld{ns1: page, sites: at(fileOnly("\n  " + code + "\n"))},
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.whitespace"}},
		{name: "http wrong code described", w: diagWorld{ns1: page, sites: at(fileOnly(other))},
			tweak:  func(c *verify.Checker) { c.KnownCode = diagKnownCode },
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.wrong_code"},
			check: func(t *testing.T, _ *verify.Checker, r *verify.Result) {
				if f := diagMust(t, r.Findings, "http.wrong_code"); !strings.Contains(f.Message, diagOtherDesc) || f.Found != other {
					t.Errorf("http wrong_code %+v", f)
				}
			}},
		{name: "http near miss", w: diagWorld{ns1: page, sites: at(fileOnly(strings.ToUpper(code)))},
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.near_miss"}},
		{name: "http no code", w: diagWorld{ns1: page, sites: at(fileOnly("hello"))},
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.no_code"}},
		{name: "http too large", w: diagWorld{ns1: page, sites: at(fileOnly(code + strings.Repeat(" ", 129-len(code))))},
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"http.too_large"}},
		{name: "http redirect followed", w: diagWorld{ns1: page, sites: at(redirectTo(301, file, "/moved.txt", serve(200, code)))},
			method: verify.MethodHTTP, status: verify.StatusVerified, want: []string{"http.redirect"}},
		{name: "http redirect 303", w: diagWorld{ns1: page, sites: at(redirectTo(303, file, "/x", serve(200, code)))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.redirect_status"}},
		{name: "http redirect port", w: diagWorld{ns1: page, sites: at(redirectTo(301, file, "http://main.test:8080"+file, fileOnly(code)))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.redirect_port"}},
		{name: "http redirect scheme", w: diagWorld{ns1: page, sites: at(redirectTo(301, file, "ftp://main.test"+file, fileOnly(code)))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.redirect_scheme"}},
		{name: "http redirect loop", w: diagWorld{ns1: page, sites: at(redirectTo(301, file, "/a", redirectTo(301, "/a", file, fileOnly(code))))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.redirect_loop"}},
		{name: "http too many redirects", w: diagWorld{ns1: page, sites: at(diagChain(11))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.too_many_redirects"}},
		{name: "http redirect missing slash", w: diagWorld{ns1: page, sites: at(redirectTo(301, file, "https://www.main.test"+strings.TrimPrefix(file, "/"), fileOnly(code)))},
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.redirect_missing_slash"}},
		{name: "http timeout", w: diagWorld{ns1: page, sites: at(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))},
			tweak:  func(c *verify.Checker) { c.RequestTimeout = 200 * time.Millisecond },
			method: verify.MethodHTTP, status: verify.StatusError, want: []string{"http.timeout"}},
		{name: "http refused", w: diagWorld{ns1: page},
			method: verify.MethodHTTP, status: verify.StatusError, want: []string{"http.refused"}},
		{name: "http untrusted certificate", w: diagWorld{ns1: page, sites: map[string]http.Handler{
			"192.0.2.10:80":  redirectTo(301, file, "https://www.main.test"+file, fileOnly(code)),
			"192.0.2.10:443": fileOnly(code)}},
			method: verify.MethodHTTP, status: verify.StatusVerified, want: []string{"http.redirect", "http.tls"}},
		{name: "http private address", w: diagWorld{ns1: page, sites: map[string]http.Handler{"10.1.2.3:80": fileOnly(code)}},
			domain: "lan.main.test", method: verify.MethodHTTP, status: verify.StatusVerified, want: []string{"http.private_address"}},
		{name: "http no address", w: diagWorld{ns1: page}, domain: "nope.main.test",
			method: verify.MethodHTTP, status: verify.StatusNotFound, want: []string{"http.not_found"}, absent: []string{"http.refused"}},
		{name: "http code expired", w: diagWorld{ns1: page, sites: at(fileOnly(code))},
			code:   verify.Code{ExpiresAt: past.Add(-time.Hour)},
			tweak:  func(c *verify.Checker) { c.Now = func() time.Time { return past } },
			method: verify.MethodHTTP, status: verify.StatusMismatch, want: []string{"code.expired"}},
	}
}

// TestDiagnoseProducesEveryCode runs Diagnose against in-process DNS and
// web servers set up to show each finding of the catalogue, and checks
// that its verdicts are those of DNS and HTTP.
func TestDiagnoseProducesEveryCode(t *testing.T) {
	cases := diagCases()
	covered := map[string]bool{}
	for _, tt := range cases {
		for _, w := range tt.want {
			covered[w] = true
		}
	}
	var catalogued []string
	for _, e := range verify.Catalogue() {
		catalogued = append(catalogued, e.Code)
		if !covered[e.Code] && !runOnly(e.Code) {
			t.Errorf("catalogue code %s has no case that produces it", e.Code)
		}
		if e.Summary == "" || e.Why == "" || verify.Explain(e.Code) != e.Why {
			t.Errorf("catalogue entry %+v is incomplete", e)
		}
	}
	for c := range covered {
		if !slices.Contains(catalogued, c) {
			t.Errorf("a case wants %s, which is not in the catalogue", c)
		}
	}

	var mu sync.Mutex
	seen := map[string]bool{}
	ran := 0
	t.Run("cases", func(t *testing.T) {
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				c := tt.w.checker(t)
				if tt.tweak != nil {
					tt.tweak(c)
				}
				domain := cmp.Or(tt.domain, "main.test")
				want := tt.code
				want.Value = cmp.Or(want.Value, code)
				ctx := context.Background()
				res, err := c.Diagnose(ctx, domain, want)
				if err != nil {
					t.Fatalf("Diagnose: %v", err)
				}
				if res.DNS == nil || res.HTTP == nil || res.DNS.Method != verify.MethodDNS || res.HTTP.Method != verify.MethodHTTP {
					t.Fatalf("Diagnose result without both methods: %+v", res)
				}
				got := res.DNS
				if tt.method == verify.MethodHTTP {
					got = res.HTTP
				}
				all := diagAll(got)
				expect(t, &verify.Result{Status: got.Status, Verified: got.Verified, Findings: all}, tt.status, tt.want, tt.absent)
				if tt.check != nil {
					tt.check(t, c, got)
				}
				if got.Status != verify.StatusVerified && !hasSeverity(all, verify.SeverityError) {
					t.Errorf("status %s without an error finding: %v", got.Status, all)
				}
				// The combined verdict is the better method's.
				if best := min(diagRank(res.DNS.Status), diagRank(res.HTTP.Status)); diagRank(res.Status) != best {
					t.Errorf("combined status %s from dns %s and http %s", res.Status, res.DNS.Status, res.HTTP.Status)
				}
				// The combined findings are both methods', as in the report.
				if both := append(append([]verify.Finding{}, res.DNS.Findings...), res.HTTP.Findings...); !slices.Equal(res.Findings, both) {
					t.Errorf("combined findings %v, want DNS's then HTTP's %v", codes(res.Findings), codes(both))
				}
				// One engine: the probes add findings, never change a verdict.
				d, err := c.DNS(ctx, domain, want)
				if err != nil {
					t.Fatal(err)
				}
				h, err := c.HTTP(ctx, domain, want)
				if err != nil {
					t.Fatal(err)
				}
				if d.Status != res.DNS.Status || h.Status != res.HTTP.Status {
					t.Errorf("Diagnose says dns %s http %s; DNS says %s, HTTP says %s", res.DNS.Status, res.HTTP.Status, d.Status, h.Status)
				}
				fs := append(diagAll(res), append(diagAll(res.DNS), diagAll(res.HTTP)...)...)
				for _, f := range fs {
					if f.Why == "" || f.Why != verify.Explain(f.Code) {
						t.Errorf("finding %s has Why %q, want the catalogue's %q", f.Code, f.Why, verify.Explain(f.Code))
					}
					if f.Message == "" {
						t.Errorf("finding %s without a message", f.Code)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				ran++
				for _, f := range fs {
					seen[f.Code] = true
				}
			})
		}
	})
	if ran != len(cases) {
		return // some cases were filtered out or stopped early
	}
	for _, e := range verify.Catalogue() {
		if !seen[e.Code] && !runOnly(e.Code) {
			t.Errorf("no Diagnose run produced %s", e.Code)
		}
	}
}

// runOnly reports whether a catalogue code comes from Run rather than a
// check (TestRunCutShort holds those).
func runOnly(code string) bool {
	return code == verify.CodeCancelled || code == verify.CodeFailed || code == verify.CodeLost
}

// diagRank orders statuses from best to worst, as the package does.
func diagRank(s verify.Status) int {
	return slices.Index([]verify.Status{verify.StatusVerified, verify.StatusPropagating, verify.StatusPartial,
		verify.StatusMismatch, verify.StatusNotFound, verify.StatusError}, s)
}

// TestDiagnoseHealthyDomainHasNoProblems: with the code at the apex on
// both servers, resolvers that agree and the file served exactly, every
// probe runs and none finds anything to warn about.
func TestDiagnoseHealthyDomainHasNoProblems(t *testing.T) {
	healthy := diagWithCode("")
	c := diagWorld{ns1: healthy, system: []string{healthy, otherZone("")}, sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)}}.checker(t)
	c.KnownCode = diagKnownCode
	ctx := context.Background()
	want := verify.Code{Value: code, Subdomains: []string{"www.main.test"}}
	res, err := c.Diagnose(ctx, "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.Status != verify.StatusVerified || res.DNS == nil || res.HTTP == nil {
		t.Fatalf("status %s, dns %v, http %v", res.Status, res.DNS, res.HTTP)
	}
	if !res.DNS.Verified || !res.HTTP.Verified || res.Method != verify.MethodDNS {
		t.Errorf("dns %s, http %s, method %s: want both verified, DNS deciding", res.DNS.Status, res.HTTP.Status, res.Method)
	}
	for _, f := range append(diagAll(res), append(diagAll(res.DNS), diagAll(res.HTTP)...)...) {
		if f.Severity == verify.SeverityError || f.Severity == verify.SeverityWarning {
			t.Errorf("healthy domain: %s %s: %s", f.Severity, f.Code, f.Message)
		}
	}
	// Every server was asked: two authoritative, the resolver, the system
	// resolver; and the web server.
	roles := map[string]int{}
	for _, s := range res.DNS.Servers {
		roles[s.Role]++
		if !s.Match {
			t.Errorf("server %s (%s) does not serve the code: %+v", s.Server, s.Role, s)
		}
	}
	if roles[verify.RoleAuthoritative] != 2 || roles[verify.RoleResolver] != 2 {
		t.Errorf("servers %+v: want 2 authoritative and 2 resolvers", res.DNS.Servers)
	}
	if len(res.HTTP.Addresses) != 1 || !res.HTTP.Addresses[0].Match {
		t.Errorf("addresses %+v", res.HTTP.Addresses)
	}

	// A subdomain without the TXT record (its web server serves the
	// file): Diagnose agrees with DNS and HTTP on it.
	res, err = c.Diagnose(ctx, "main.test", want)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := c.DNS(ctx, "main.test", want)
	h, _ := c.HTTP(ctx, "main.test", want)
	if res.DNS.Status != d.Status || res.HTTP.Status != h.Status || d.Status != verify.StatusNotFound {
		t.Errorf("with www: Diagnose dns %s http %s; DNS %s HTTP %s", res.DNS.Status, res.HTTP.Status, d.Status, h.Status)
	}
}

// TestDiagnoseByteDiffAndUnused: what the report shows besides the
// findings is in the result, so that -o json says it too: the bytes of a
// near miss, and the method the domain does not use.
func TestDiagnoseByteDiffAndUnused(t *testing.T) {
	smart := "“" + code + "”"
	tests := []struct {
		name       string
		w          diagWorld
		wantUnused *verify.UnusedMethod
		wantDiff   string // of the dns.near_miss.smart_quotes finding, "" for none
	}{
		{name: "smart quotes in DNS, no file", w: diagWorld{ns1: diagZone(`@ IN TXT "` + smart + `"` + "\n")},
			wantUnused: &verify.UnusedMethod{Method: verify.MethodHTTP, Reason: "http://main.test/logmein-verification-code.txt: connection refused (nothing listens on that port)"},
			wantDiff:   "before the code: e2 80 9c (“); after it: e2 80 9d (”)"},
		{name: "the file, no record", w: diagWorld{ns1: diagZone(""), sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)}},
			wantUnused: &verify.UnusedMethod{Method: verify.MethodDNS, Reason: "main.test. exists but has no TXT records (NODATA)"}},
		{name: "both in use", w: diagWorld{ns1: diagWithCode(""), sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.w.checker(t).Diagnose(context.Background(), "main.test", verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			if (res.Unused == nil) != (tt.wantUnused == nil) || res.Unused != nil && *res.Unused != *tt.wantUnused {
				t.Errorf("Unused = %+v, want %+v", res.Unused, tt.wantUnused)
			}
			f, ok := diagFind(res.Findings, "dns.near_miss.smart_quotes")
			if ok != (tt.wantDiff != "") || f.ByteDiff != tt.wantDiff {
				t.Errorf("smart quotes finding %v, ByteDiff %q; want %q", ok, f.ByteDiff, tt.wantDiff)
			}
		})
	}
}
