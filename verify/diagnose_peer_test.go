package verify_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/verify"
)

// The Diagnose tests against real servers: BIND 9 authoritative, Unbound
// resolving (and validating, for the DNSSEC cases) through stub zones.
// Each test starts its own servers, so the order of queries, and with it
// which answer carries Unbound's extended error text, is the test's own.

// peerChecker is a Checker asking the resolver u, with the documentation
// addresses of the zones' name servers sent to the BIND instances. HTTP
// goes to a port where nothing listens (closedPort): the HTTP half of
// Diagnose ends in error at once without asking the resolver anything, so
// the DNS half alone decides the combined status (DNS wins a tie) and is
// alone in asking Unbound.
func peerChecker(t *testing.T, u *peertest.Unbound, to map[string]string) *verify.Checker {
	t.Helper()
	host, port, _ := net.SplitHostPort(closedPort(t))
	return &verify.Checker{
		Resolvers:   []string{u.Addr},
		Timeout:     2 * time.Second,
		Tries:       2,
		Exchanger:   mapExchanger{to: to},
		HTTPOptions: verify.HTTPOptions{ConnectTo: []verify.ConnectTo{{ToHost: host, ToPort: port}}},
	}
}

// peerFinding returns the first finding with code.
func peerFinding(fs []verify.Finding, code string) (verify.Finding, bool) {
	for _, f := range fs {
		if f.Code == code {
			return f, true
		}
	}
	return verify.Finding{}, false
}

// peerResolver returns what the resolver addr answered in res.
func peerResolver(t *testing.T, res *verify.Result, addr string) verify.Server {
	t.Helper()
	for _, s := range res.Servers {
		if s.Role == verify.RoleResolver && s.Server == addr {
			return s
		}
	}
	t.Fatalf("no resolver entry for %s in %+v", addr, res.Servers)
	return verify.Server{}
}

// peerSubdomain returns the result for name among res.Subdomains.
func peerSubdomain(t *testing.T, res *verify.Result, name string) *verify.Result {
	t.Helper()
	for _, s := range res.Subdomains {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no subdomain result for %s", name)
	return nil
}

// peerDiagnose runs Diagnose and checks the shape of its result: both
// methods ran and the DNS one is attached.
func peerDiagnose(t *testing.T, c *verify.Checker, domain string, code verify.Code) *verify.Result {
	t.Helper()
	r, err := c.Diagnose(context.Background(), domain, code)
	if err != nil {
		t.Fatal(err)
	}
	if r.DNS == nil || r.HTTP == nil {
		t.Fatalf("Diagnose result without both methods: dns %v http %v", r.DNS != nil, r.HTTP != nil)
	}
	for _, f := range r.DNS.Findings {
		if f.Why == "" {
			t.Errorf("finding %s without Why", f.Code)
		}
	}
	return r
}

// peerSigned serves origin, signed with opts (and changed by alter, if
// given), from BIND at ns.ORIGIN (192.0.2.1), behind a validating Unbound
// that has the zone's DS as trust anchor. apex is the zone's TXT record
// at the apex before alter.
func peerSigned(t *testing.T, origin, apex string, opts peertest.SignOptions, alter func(peertest.Zone) peertest.Zone) (*verify.Checker, *peertest.Unbound) {
	t.Helper()
	z := bindZone(origin, 1, map[string]string{"ns." + origin: "192.0.2.1"}, `@ IN TXT "`+apex+`"`+"\n")
	signed, ds := peertest.SignZone(t, z, opts)
	if alter != nil {
		signed = alter(signed)
	}
	b := peertest.StartBIND(t, peertest.BINDOptions{}, signed)
	u := peertest.StartUnbound(t, peertest.UnboundOptions{TrustAnchors: []string{ds}},
		peertest.Stub{Zone: origin, Addrs: []string{b.Addr}})
	return peerChecker(t, u, map[string]string{"192.0.2.1:53": b.Addr}), u
}

// TestDiagnoseDNSSECPeers: Unbound answers SERVFAIL for a zone whose
// signatures expired, and for one changed after signing, and answers
// with CD=1. Diagnose names the cause (dns.dnssec_bogus with Unbound's
// extended error); verify only says SERVFAIL.
func TestDiagnoseDNSSECPeers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		origin string
		apex   string // the apex TXT when signing
		opts   peertest.SignOptions
		alter  bool // the apex TXT becomes the code after signing
		// what the finding's message says: the EDE and, for the first
		// failing answer, Unbound's text
		ede, text string
	}{
		{"expired", "expired.test.", code,
			peertest.SignOptions{Inception: "20200101000000", Expiration: "20200201000000"}, false,
			"EDE 7 (Signature Expired)", "signature expired"},
		{"altered", "altered.test.", other, peertest.SignOptions{}, true,
			"EDE 6 (DNSSEC Bogus)", "signature crypto failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var alter func(peertest.Zone) peertest.Zone
			if tt.alter {
				alter = func(z peertest.Zone) peertest.Zone { return peertest.AlterTXT(t, z, "@", code) }
			}
			c, u := peerSigned(t, tt.origin, tt.apex, tt.opts, alter)
			domain := strings.TrimSuffix(tt.origin, ".")

			r := peerDiagnose(t, c, domain, verify.Code{Value: code})
			if r.Status != verify.StatusError || r.Method != verify.MethodDNS {
				t.Errorf("combined: status %s method %s, want error from dns", r.Status, r.Method)
			}
			expect(t, r.DNS, verify.StatusError, []string{"dns.dnssec_bogus"}, []string{"dns.servfail"})
			f, ok := peerFinding(r.DNS.Findings, "dns.dnssec_bogus")
			if ok {
				t.Logf("%s: %s", tt.name, f.Message)
				if f.Severity != verify.SeverityError || f.Server != u.Addr {
					t.Errorf("finding severity %s server %q, want error from %s", f.Severity, f.Server, u.Addr)
				}
				if !strings.Contains(f.Message, tt.ede) || !strings.Contains(f.Message, tt.text) {
					t.Errorf("finding message %q, want %q with the text %q", f.Message, tt.ede, tt.text)
				}
				if f.Fix == "" || f.Why == "" {
					t.Errorf("finding without fix or why: %+v", f)
				}
			}
			s := peerResolver(t, r.DNS, u.Addr)
			t.Logf("%s: resolver rcode %s, cd rcode %s, EDE %v", tt.name, s.Rcode, s.CDRcode, s.EDE)
			if s.Rcode != "SERVFAIL" || s.CDRcode != "NOERROR" || len(s.EDE) == 0 {
				t.Errorf("resolver entry: rcode %s cd_rcode %q EDE %v, want SERVFAIL, NOERROR and an extended error", s.Rcode, s.CDRcode, s.EDE)
			}
			// With checking disabled the authoritative servers were found
			// and asked: they serve the code.
			auth := 0
			for _, s := range r.DNS.Servers {
				if s.Role == verify.RoleAuthoritative {
					auth++
					if !s.Match {
						t.Errorf("authoritative %s: found %q, want the code", s.Server, s.Found)
					}
				}
			}
			if auth == 0 {
				t.Errorf("no authoritative server asked: %+v", r.DNS.Servers)
			}

			// verify stops at the verdict: SERVFAIL, cause not named.
			v, err := c.DNS(context.Background(), domain, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, v, verify.StatusError, []string{"dns.servfail"}, []string{"dns.dnssec_bogus"})
			for _, s := range v.Servers {
				if s.CDRcode != "" {
					t.Errorf("verify asked %s again with CD=1 (cd_rcode %s)", s.Server, s.CDRcode)
				}
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		c, u := peerSigned(t, "valid.test.", code, peertest.SignOptions{}, nil)
		r := peerDiagnose(t, c, "valid.test", verify.Code{Value: code})
		if r.Status != verify.StatusVerified || r.Method != verify.MethodDNS {
			t.Errorf("combined: status %s method %s, want verified from dns", r.Status, r.Method)
		}
		expect(t, r.DNS, verify.StatusVerified, nil, []string{"dns.dnssec_bogus", "dns.servfail"})
		s := peerResolver(t, r.DNS, u.Addr)
		if s.Rcode != "NOERROR" || !s.Match || s.CDRcode != "" || len(s.EDE) != 0 {
			t.Errorf("resolver entry %+v, want NOERROR with the code, no CD recheck, no EDE", s)
		}
	})
}

// TestDiagnoseNegativeCachePeers publishes a record after Unbound cached
// the name's NXDOMAIN: Diagnose finds it on BIND and the negative answer
// still in Unbound's cache (SOA minimum 30 s).
func TestDiagnoseNegativeCachePeers(t *testing.T) {
	t.Parallel()
	p := startPeers(t)
	c := *p.checker
	c.Timeout = 2 * time.Second // the deep probes run in parallel under -race
	r := peerDiagnose(t, &c, "new.late.test", verify.Code{Value: code})
	expect(t, r.DNS, verify.StatusNotFound, []string{"dns.nxdomain"}, []string{"dns.negative_cached"})
	if r.Status != verify.StatusNotFound || r.TimeLeftSeconds != 0 {
		t.Errorf("before publishing: status %s, time left %ds; want not_found and none", r.Status, r.TimeLeftSeconds)
	}

	p.bind1.SetZone(t, bindZone("late.test.", 2, map[string]string{"ns.late.test.": "192.0.2.1"}, "new IN TXT \""+code+"\"\n"))
	r = peerDiagnose(t, &c, "new.late.test", verify.Code{Value: code})
	expect(t, r.DNS, verify.StatusPropagating, []string{"dns.negative_cached"}, []string{"dns.nxdomain", "dns.resolver_disagrees"})
	if r.Status != verify.StatusPropagating || r.Method != verify.MethodDNS {
		t.Errorf("combined: status %s method %s, want propagating from dns", r.Status, r.Method)
	}
	if f, ok := peerFinding(r.DNS.Findings, "dns.negative_cached"); ok {
		t.Logf("time left %ds: %s", r.TimeLeftSeconds, f.Message)
		if f.Server != p.unbound.Addr {
			t.Errorf("finding about %q, want the resolver %s", f.Server, p.unbound.Addr)
		}
	}
	if r.TimeLeftSeconds <= 0 || r.TimeLeftSeconds > 30 || r.DNS.TimeLeftSeconds != r.TimeLeftSeconds {
		t.Errorf("time left %ds (dns %ds), want within the 30 s negative TTL", r.TimeLeftSeconds, r.DNS.TimeLeftSeconds)
	}
	s := peerResolver(t, r.DNS, p.unbound.Addr)
	if s.Rcode != "NXDOMAIN" || s.Match {
		t.Errorf("resolver entry %+v, want the cached NXDOMAIN", s)
	}
}

// TestDiagnoseZoneCutPeers delegates two subdomains of cut.test to a
// second BIND: sub.cut.test, whose own zone lacks the code that the parent
// zone file holds at the delegation point (occluded data, which BIND
// loads but answers with a referral), and good.cut.test, whose zone has
// it.
func TestDiagnoseZoneCutPeers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		opts  peertest.BINDOptions
		where string // how the finding says it knows
	}{
		{"transfer allowed", peertest.BINDOptions{}, "the code sits in the parent zone cut.test (seen in a zone transfer from ns.cut.test"},
		{"transfer refused", peertest.BINDOptions{ExtraOptions: "allow-transfer { none; };"}, "is a zone of its own, delegated from cut.test to ns.sub.cut.test"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			peerZoneCut(t, tt.opts, tt.where)
		})
	}
}

// peerZoneCut: the parent cut.test delegates sub (whose zone lacks the
// code) and good (whose zone has it); the parent's file also holds the
// code at sub, below the cut, where BIND never serves it. Whether
// Diagnose can show that record depends on the parent allowing a zone
// transfer; the delegation is reported either way.
func peerZoneCut(t *testing.T, parentOpts peertest.BINDOptions, where string) {
	parent := bindZone("cut.test.", 1, map[string]string{"ns.cut.test.": "192.0.2.1"}, `@ IN TXT "`+code+`"
sub IN NS ns.sub.cut.test.
sub IN TXT "`+code+`"
ns.sub IN A 192.0.2.6
good IN NS ns.good.cut.test.
ns.good IN A 192.0.2.6
`)
	sub := bindZone("sub.cut.test.", 1, map[string]string{"ns.sub.cut.test.": "192.0.2.6"}, `@ IN TXT "v=spf1 -all"`+"\n")
	good := bindZone("good.cut.test.", 1, map[string]string{"ns.good.cut.test.": "192.0.2.6"}, `@ IN TXT "`+code+`"`+"\n")
	bp := peertest.StartBIND(t, parentOpts, parent)
	bc := peertest.StartBIND(t, peertest.BINDOptions{}, sub, good)
	// Unbound cannot follow the referral to 192.0.2.6:53: stubs send it
	// to the child server, as the delegation would.
	u := peertest.StartUnbound(t, peertest.UnboundOptions{},
		peertest.Stub{Zone: "cut.test", Addrs: []string{bp.Addr}},
		peertest.Stub{Zone: "sub.cut.test", Addrs: []string{bc.Addr}},
		peertest.Stub{Zone: "good.cut.test", Addrs: []string{bc.Addr}})
	c := peerChecker(t, u, map[string]string{"192.0.2.1:53": bp.Addr, "192.0.2.6:53": bc.Addr})

	r := peerDiagnose(t, c, "cut.test", verify.Code{Value: code, Subdomains: []string{"sub.cut.test", "good.cut.test"}})
	if r.DNS.Status != verify.StatusNotFound {
		t.Errorf("dns status %s, want not_found (the worst name)", r.DNS.Status)
	}
	expect(t, r.DNS, verify.StatusNotFound, nil, []string{"dns.zone_cut"})

	s := peerSubdomain(t, r.DNS, "sub.cut.test.")
	expect(t, s, verify.StatusNotFound, []string{"dns.zone_cut", "dns.no_code"}, nil)
	if s.Zone != "sub.cut.test." {
		t.Errorf("zone %q, want sub.cut.test.", s.Zone)
	}
	peerCutFinding(t, s, where)

	g := peerSubdomain(t, r.DNS, "good.cut.test.")
	expect(t, g, verify.StatusVerified, nil, []string{"dns.zone_cut"})

	// sub.cut.test checked as a domain of its own: the same, since its
	// parent is a zone of the organization, not a registry's.
	d := peerDiagnose(t, c, "sub.cut.test", verify.Code{Value: code})
	expect(t, d.DNS, verify.StatusNotFound, []string{"dns.no_code", "dns.zone_cut"}, nil)
	peerCutFinding(t, d.DNS, where)

	// verify stops at the verdict: the same status, no zone-cut probe.
	v, err := c.DNS(context.Background(), "sub.cut.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, v, verify.StatusNotFound, []string{"dns.no_code"}, []string{"dns.zone_cut"})
}

func peerCutFinding(t *testing.T, r *verify.Result, where string) {
	t.Helper()
	f, ok := peerFinding(r.Findings, "dns.zone_cut")
	if !ok {
		return // expect reported it
	}
	t.Logf("zone_cut: %s; fix: %s", f.Message, f.Fix)
	seen := strings.Contains(where, "zone transfer")
	if !strings.Contains(f.Message, where) || !strings.Contains(f.Fix, "ns.sub.cut.test") || (f.Found == code) != seen {
		t.Errorf("zone_cut finding %+v, want %q and the fix naming ns.sub.cut.test", f, where)
	}
}

// TestDiagnoseMisplacedPeers serves zone files with the usual mistakes:
// a name without its final dot (doubled origin) and the record at www.
func TestDiagnoseMisplacedPeers(t *testing.T) {
	t.Parallel()
	ns := func(origin string) map[string]string { return map[string]string{"ns." + origin: "192.0.2.1"} }
	strays := "IN TXT \"" + code + "\"\n"
	zones := []peertest.Zone{
		bindZone("doubled.test.", 1, ns("doubled.test."), "doubled.test "+strays),
		bindZone("atwww.test.", 1, ns("atwww.test."), "www "+strays),
		// the code at the apex, and the same strays: nothing to report
		bindZone("ok.test.", 1, ns("ok.test."), "@ "+strays+"ok.test "+strays+"www "+strays),
		// nothing anywhere: no misplaced record to report either
		bindZone("plain.test.", 1, ns("plain.test."), "@ IN TXT \"v=spf1 -all\"\n"),
		// the code as a wildcard under an empty non-terminal (ent exists
		// only through the names below it), and at the apex
		bindZone("wild.test.", 1, ns("wild.test."), "*.ent "+strays),
		bindZone("star.test.", 1, ns("star.test."), "* "+strays),
	}
	b := peertest.StartBIND(t, peertest.BINDOptions{}, zones...)
	var stubs []peertest.Stub
	for _, z := range zones {
		stubs = append(stubs, peertest.Stub{Zone: z.Origin, Addrs: []string{b.Addr}})
	}
	u := peertest.StartUnbound(t, peertest.UnboundOptions{}, stubs...)
	c := peerChecker(t, u, map[string]string{"192.0.2.1:53": b.Addr})

	tests := []struct {
		domain string
		subs   []string
		status verify.Status
		want   []string
		absent []string
		found  string // the name the finding's message points at
	}{
		{"doubled.test", nil, verify.StatusNotFound, []string{"dns.doubled_origin", "dns.nodata"}, []string{"dns.wrong_name", "dns.no_code"}, "doubled.test.doubled.test."},
		{"atwww.test", nil, verify.StatusNotFound, []string{"dns.wrong_name", "dns.nodata"}, []string{"dns.doubled_origin"}, "www.atwww.test."},
		{"ok.test", nil, verify.StatusVerified, nil, []string{"dns.doubled_origin", "dns.wrong_name"}, ""},
		{"plain.test", nil, verify.StatusNotFound, []string{"dns.no_code"}, []string{"dns.doubled_origin", "dns.wrong_name"}, ""},
		{"ent.wild.test", nil, verify.StatusNotFound, []string{"dns.wildcard", "dns.nodata"}, []string{"dns.wrong_name", "dns.doubled_origin"}, "*.ent.wild.test."},
		{"star.test", nil, verify.StatusNotFound, []string{"dns.wildcard", "dns.nodata"}, []string{"dns.wrong_name", "dns.doubled_origin"}, "*.star.test."},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := peerDiagnose(t, c, tt.domain, verify.Code{Value: code, Subdomains: tt.subs})
			expect(t, r.DNS, tt.status, tt.want, tt.absent)
			// One wildcard is one finding, not one per probed name.
			if n := len(slices.DeleteFunc(slices.Clone(r.DNS.Findings), func(f verify.Finding) bool { return f.Code != "dns.wildcard" })); n > 1 {
				t.Errorf("%d dns.wildcard findings, want one", n)
			}
			if tt.found == "" {
				return
			}
			f, ok := peerFinding(r.DNS.Findings, tt.want[0])
			if !ok {
				return
			}
			t.Logf("%s: %s; fix: %s", f.Code, f.Message, f.Fix)
			if f.Found != code || !strings.Contains(f.Message, tt.found) || f.Severity != verify.SeverityError {
				t.Errorf("finding %+v, want the code found at %s", f, tt.found)
			}
		})
	}

	// A subdomain without the record, where the domain has it: the code
	// sits at the apex instead of the subdomain.
	t.Run("subdomain", func(t *testing.T) {
		r := peerDiagnose(t, c, "ok.test", verify.Code{Value: code, Subdomains: []string{"x.ok.test"}})
		s := peerSubdomain(t, r.DNS, "x.ok.test.")
		expect(t, s, verify.StatusNotFound, []string{"dns.wrong_name", "dns.nxdomain"}, []string{"dns.doubled_origin"})
		if f, ok := peerFinding(s.Findings, "dns.wrong_name"); ok && !strings.Contains(f.Message, "published at ok.test.") {
			t.Errorf("wrong_name %q, want the code at ok.test.", f.Message)
		}
		if r.DNS.Status != verify.StatusNotFound {
			t.Errorf("dns status %s, want not_found from the subdomain", r.DNS.Status)
		}
	})
}
