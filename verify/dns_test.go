package verify_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

const (
	code    = "logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"
	other   = "logmein-verification-code=11111111-2222-4333-8444-555555555555"
	soaLine = "@ 300 IN SOA ns1.main.test. hostmaster.main.test. ( %d 3600 600 86400 60 )\n"
)

// zone builds main.test with two name servers at documentation addresses
// (mapped to in-process servers by mapExchanger) and extra records.
func zone(serial int, extra string) string {
	return "$ORIGIN main.test.\n$TTL 300\n" + fmt.Sprintf(soaLine, serial) + `
@   IN NS ns1.main.test.
@   IN NS ns2.main.test.
ns1 IN A 192.0.2.1
ns2 IN A 192.0.2.2
` + extra
}

// otherZone is a second zone, other.test, served at 192.0.2.3.
func otherZone(extra string) string {
	return `$ORIGIN other.test.
$TTL 300
@   IN SOA ns.other.test. hostmaster.other.test. ( 7 3600 600 86400 60 )
@   IN NS ns.other.test.
ns  IN A 192.0.2.3
` + extra
}

// mapExchanger sends queries for documentation addresses to in-process
// servers; it fails closed, so a test never sends a packet off loopback.
type mapExchanger struct {
	to map[string]string
}

func (m mapExchanger) Exchange(ctx context.Context, msg *dns.Msg, network, addr string) (*dns.Msg, time.Duration, error) {
	real, ok := m.to[addr]
	if !ok {
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, 0, fmt.Errorf("test: no server mapped for %s", addr)
		}
		real = addr
	}
	c := &dns.Client{Net: network, Timeout: 10 * time.Second, UDPSize: 1232} // ctx bounds each exchange
	return c.ExchangeContext(ctx, msg, real)
}

// world is a set of servers: two authoritative for main.test, one for
// other.test, and a resolver.
type world struct {
	ns1, ns2, ns3 string // zone text per server ("" → same as main)
	o1, o2        verifytest.Options
	resolver      []string // zones the resolver serves ("" → the authoritative view)
	ro            verifytest.Options
}

func (w world) checker(t *testing.T) *verify.Checker {
	t.Helper()
	mainZone := w.ns1
	ns2 := w.ns2
	if ns2 == "" {
		ns2 = mainZone
	}
	oz := w.ns3
	if oz == "" {
		oz = otherZone("")
	}
	s1 := verifytest.Start(t, w.o1, mainZone)
	s2 := verifytest.Start(t, w.o2, ns2)
	s3 := verifytest.Start(t, verifytest.Options{}, oz)
	rz := w.resolver
	if rz == nil {
		rz = []string{mainZone, oz}
	}
	ro := w.ro
	ro.Recursive = true
	r := verifytest.Start(t, ro, rz...)
	return &verify.Checker{
		Resolvers: []string{r.Addr},
		Timeout:   300 * time.Millisecond,
		Tries:     2,
		Exchanger: mapExchanger{to: map[string]string{
			"192.0.2.1:53": s1.Addr, "192.0.2.2:53": s2.Addr, "192.0.2.3:53": s3.Addr,
		}},
	}
}

func codes(fs []verify.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestDNS(t *testing.T) {
	apexOK := zone(1, `@ IN TXT "v=spf1 -all"
@ IN TXT "`+code+`"
@ IN TXT "google-site-verification=abc"
`)
	tests := []struct {
		name   string
		w      world
		domain string
		status verify.Status
		want   []string // finding codes that must be there
		absent []string // finding codes that must not
	}{
		{name: "code at apex among other TXT records", w: world{ns1: apexOK}, domain: "main.test",
			status: verify.StatusVerified, absent: []string{"dns.nodata", "dns.lame", "dns.ns_inconsistent", "dns.split_strings"}},
		{name: "split character-strings", domain: "main.test",
			w:      world{ns1: zone(1, `@ IN TXT "logmein-verification-code=668e156b-" "f5d3-430e-9944-f1d4385d043e"`)},
			status: verify.StatusVerified, want: []string{"dns.split_strings"}},
		{name: "two codes, one right", domain: "main.test",
			w:      world{ns1: zone(1, "@ IN TXT \""+other+"\"\n@ IN TXT \""+code+"\"\n")},
			status: verify.StatusVerified, absent: []string{"dns.wrong_code"}},
		{name: "wrong code", domain: "main.test", w: world{ns1: zone(1, "@ IN TXT \""+other+"\"\n")},
			status: verify.StatusMismatch, want: []string{"dns.wrong_code"}, absent: []string{"dns.nodata"}},
		{name: "NXDOMAIN", domain: "nope.main.test", w: world{ns1: apexOK},
			status: verify.StatusNotFound, want: []string{"dns.nxdomain"}, absent: []string{"dns.nodata"}},
		{name: "NODATA", domain: "www.main.test", w: world{ns1: zone(1, "www IN A 192.0.2.80\n")},
			status: verify.StatusNotFound, want: []string{"dns.nodata"}, absent: []string{"dns.nxdomain"}},
		{name: "other TXT only", domain: "main.test", w: world{ns1: zone(1, "@ IN TXT \"v=spf1 -all\"\n")},
			status: verify.StatusNotFound, want: []string{"dns.no_code"}},
		{name: "CNAME into another zone", domain: "www.main.test",
			w:      world{ns1: zone(1, "www IN CNAME verify.other.test.\n"), ns3: otherZone("verify IN TXT \"" + code + "\"\n")},
			status: verify.StatusVerified, want: []string{"dns.cname"}},
		{name: "dangling CNAME", domain: "www.main.test",
			w:      world{ns1: zone(1, "www IN CNAME gone.other.test.\n")},
			status: verify.StatusNotFound, want: []string{"dns.cname", "dns.nxdomain"}},
		{name: "CNAME loop", domain: "a.main.test",
			w:      world{ns1: zone(1, "a IN CNAME b.main.test.\nb IN CNAME a.main.test.\n")},
			status: verify.StatusNotFound, want: []string{"dns.cname_loop"}},
		{name: "CNAME loop across zones", domain: "a.main.test",
			w:      world{ns1: zone(1, "a IN CNAME b.other.test.\n"), ns3: otherZone("b IN CNAME a.main.test.\n")},
			status: verify.StatusNotFound, want: []string{"dns.cname_loop"}},
		{name: "RRset too big for UDP", domain: "main.test",
			w:      world{ns1: zone(1, bigRRset()+"@ IN TXT \""+code+"\"\n")},
			status: verify.StatusVerified, want: []string{"dns.truncated"}},
		{name: "too big for UDP and no TCP", domain: "main.test",
			w: world{ns1: zone(1, bigRRset()+"@ IN TXT \""+code+"\"\n"),
				o1: verifytest.Options{NoTCP: true}, o2: verifytest.Options{NoTCP: true}},
			status: verify.StatusError, want: []string{"dns.truncated", "dns.ns_no_tcp"}},
		{name: "one authoritative server stale", domain: "main.test",
			w:      world{ns1: apexOK, ns2: zone(0, `@ IN TXT "v=spf1 -all"`)},
			status: verify.StatusPartial, want: []string{"dns.ns_inconsistent"}},
		{name: "one lame (REFUSED)", domain: "main.test",
			w:      world{ns1: apexOK, o2: verifytest.Options{Refuse: true}},
			status: verify.StatusPartial, want: []string{"dns.lame"}},
		{name: "one without AA", domain: "main.test",
			w:      world{ns1: apexOK, o2: verifytest.Options{NoAA: true}},
			status: verify.StatusPartial, want: []string{"dns.lame"}},
		{name: "one unreachable", domain: "main.test",
			w:      world{ns1: apexOK, o2: verifytest.Options{Drop: true}},
			status: verify.StatusVerified, want: []string{"dns.ns_unreachable"}},
		{name: "all unreachable", domain: "main.test",
			w:      world{ns1: apexOK, o1: verifytest.Options{Drop: true}, o2: verifytest.Options{Drop: true}},
			status: verify.StatusError, want: []string{"dns.ns_unreachable"}},
		{name: "resolver SERVFAIL", domain: "main.test",
			w:      world{ns1: apexOK, ro: verifytest.Options{ServFail: true}},
			status: verify.StatusError, want: []string{"dns.servfail"}},
		{name: "authoritative SERVFAIL on one", domain: "main.test",
			w:      world{ns1: apexOK, o2: verifytest.Options{ServFail: true}},
			status: verify.StatusPartial, want: []string{"dns.servfail"}},
		{name: "resolver still caches NODATA", domain: "main.test",
			w:      world{ns1: apexOK, resolver: []string{zone(0, ""), otherZone("")}},
			status: verify.StatusPropagating, want: []string{"dns.negative_cached"}},
		{name: "resolver serves older TXT", domain: "main.test",
			w:      world{ns1: apexOK, resolver: []string{zone(0, "@ IN TXT \""+other+"\"\n"), otherZone("")}},
			status: verify.StatusPropagating, want: []string{"dns.resolver_disagrees"}},
		{name: "only the resolver's view has the code (split horizon)", domain: "main.test",
			w:      world{ns1: zone(1, "@ IN TXT \"v=spf1 -all\"\n"), resolver: []string{apexOK, otherZone("")}},
			status: verify.StatusNotFound, want: []string{"dns.resolver_disagrees", "dns.no_code"}},
		{name: "code split across two records", domain: "main.test",
			w:      world{ns1: zone(1, "@ IN TXT \"logmein-verification-code=668e156b-\"\n@ IN TXT \"f5d3-430e-9944-f1d4385d043e\"\n")},
			status: verify.StatusMismatch, want: []string{"dns.split_strings"}},
		{name: "upper case", domain: "main.test", w: world{ns1: zone(1, "@ IN TXT \""+strings.ToUpper(code)+"\"\n")},
			status: verify.StatusMismatch, want: []string{"dns.near_miss.case"}},
		{name: "literal quotes", domain: "main.test", w: world{ns1: zone(1, "@ IN TXT \"\\\""+code+"\\\"\"\n")},
			status: verify.StatusMismatch, want: []string{"dns.near_miss.quotes"}},
		{name: "smart quotes", domain: "main.test", w: world{ns1: zone(1, "@ IN TXT \"“"+code+"”\"\n")},
			status: verify.StatusMismatch, want: []string{"dns.near_miss.smart_quotes"}},
		{name: "trailing space", domain: "main.test", w: world{ns1: zone(1, "@ IN TXT \""+code+" \"\n")},
			status: verify.StatusMismatch, want: []string{"dns.near_miss.whitespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.w.checker(t)
			res, err := c.DNS(context.Background(), tt.domain, verify.Code{Value: code})
			if err != nil {
				t.Fatalf("DNS: %v", err)
			}
			expect(t, res, tt.status, tt.want, tt.absent)
			if res.Status != verify.StatusVerified {
				if !hasSeverity(res.Findings, verify.SeverityError) {
					t.Errorf("status %s without an error finding explaining it: %v", res.Status, res.Findings)
				}
			}
		})
	}
}

// expect checks a result's status, that it agrees with Verified, and which
// findings it has and has not.
func expect(t *testing.T, res *verify.Result, status verify.Status, want, absent []string) {
	t.Helper()
	got := codes(res.Findings)
	if res.Status != status {
		t.Errorf("status = %s, want %s; findings %v", res.Status, status, res.Findings)
	}
	if res.Verified != (status == verify.StatusVerified) {
		t.Errorf("verified = %v with status %s", res.Verified, res.Status)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("finding %s missing; got %v", w, res.Findings)
		}
	}
	for _, a := range absent {
		if slices.Contains(got, a) {
			t.Errorf("finding %s present, want absent; got %v", a, res.Findings)
		}
	}
}

func hasSeverity(fs []verify.Finding, s verify.Severity) bool {
	for _, f := range fs {
		if f.Severity == s {
			return true
		}
	}
	return false
}

// bigRRset is enough TXT data at the apex to overflow a 1232-byte answer.
func bigRRset() string {
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, "@ IN TXT \"filler-%d-%s\"\n", i, strings.Repeat("x", 200))
	}
	return b.String()
}

func TestExpiredCode(t *testing.T) {
	c := world{ns1: zone(1, "@ IN TXT \""+code+"\"\n")}.checker(t)
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { return now }
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code, ExpiresAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusMismatch || !slices.Contains(codes(res.Findings), "code.expired") {
		t.Errorf("status %s findings %v, want mismatch with code.expired", res.Status, codes(res.Findings))
	}
	res, _ = c.DNS(context.Background(), "main.test", verify.Code{Value: code, ExpiresAt: now.Add(time.Hour)})
	if res.Status != verify.StatusVerified || slices.Contains(codes(res.Findings), "code.expired") {
		t.Errorf("unexpired: status %s findings %v", res.Status, codes(res.Findings))
	}
}

func TestSubdomains(t *testing.T) {
	c := world{ns1: zone(1, "@ IN TXT \""+code+"\"\nwww IN TXT \""+code+"\"\nshop IN A 192.0.2.9\n")}.checker(t)
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code, Subdomains: []string{"www.main.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusVerified || len(res.Subdomains) != 1 || res.Subdomains[0].Name != "www.main.test." {
		t.Fatalf("status %s, subdomains %d", res.Status, len(res.Subdomains))
	}
	res, _ = c.DNS(context.Background(), "main.test", verify.Code{Value: code, Subdomains: []string{"www.main.test", "shop.main.test"}})
	if res.Status != verify.StatusNotFound || res.Verified {
		t.Errorf("one subdomain without the code: status %s verified %v, want not_found", res.Status, res.Verified)
	}
	if res.Subdomains[0].Status != verify.StatusVerified || res.Subdomains[1].Status != verify.StatusNotFound {
		t.Errorf("per-name statuses %s %s", res.Subdomains[0].Status, res.Subdomains[1].Status)
	}
}

func TestNameserverOverride(t *testing.T) {
	good := verifytest.Start(t, verifytest.Options{}, zone(1, "@ IN TXT \""+code+"\"\n"))
	c := &verify.Checker{Nameservers: []string{good.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusVerified || res.Zone != "main.test." {
		t.Errorf("status %s zone %q", res.Status, res.Zone)
	}
	for _, q := range good.Queries() {
		if q.RD {
			t.Errorf("query %s sent with RD=1 to an authoritative server", q)
		}
	}
}

func TestNameserversThatRefuseEverything(t *testing.T) {
	lame := verifytest.Start(t, verifytest.Options{Refuse: true}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{lame.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	// REFUSED is an answer: the server does not have the code.
	expect(t, res, verify.StatusNotFound, []string{"dns.lame"}, nil)
}

func TestAllAuthoritativeUnreachableNeverPasses(t *testing.T) {
	c := world{ns1: zone(1, "@ IN TXT \""+code+"\"\n"), o1: verifytest.Options{Drop: true}, o2: verifytest.Options{Drop: true}}.checker(t)
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	// The resolver has the code; that is said, but it is not a pass.
	expect(t, res, verify.StatusError, []string{"dns.ns_unreachable"}, nil)
	var msg string
	for _, f := range res.Findings {
		if f.Code == "dns.ns_unreachable" && f.Severity == verify.SeverityError {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "serves the code, but that cannot be confirmed") {
		t.Errorf("message %q does not say what the resolver saw", msg)
	}
}

// TestGivenNameserversUnreachable: with Nameservers no zone is looked
// for; the finding names the name checked, not an empty zone.
func TestGivenNameserversUnreachable(t *testing.T) {
	dead := verifytest.Start(t, verifytest.Options{Drop: true}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{dead.Addr}, Timeout: 100 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusError, []string{"dns.ns_unreachable"}, nil)
	for _, f := range res.Findings {
		if f.Code == "dns.ns_unreachable" && f.Severity == verify.SeverityError &&
			(!strings.Contains(f.Message, "addresses of main.test. answered") || !strings.Contains(f.Fix, "name servers of main.test are")) {
			t.Errorf("finding %q (fix %q): want it to name main.test", f.Message, f.Fix)
		}
	}
}

// TestNegativeCacheTimeLeft: the time left is what the resolver still
// holds, the TTL it returns on the SOA of its cached negative answer
// (counting down, RFC 2308 §5), not the zone's full negative TTL.
func TestNegativeCacheTimeLeft(t *testing.T) {
	apexOK := zone(1, "@ IN TXT \""+code+"\"\n")
	for _, tt := range []struct {
		name    string
		soaTTL  int   // the SOA's TTL in the resolver's answer
		wantTTL int64 // the time left
	}{
		{"resolver holds 7 s more", 7, 7},
		{"the full negative TTL (SOA minimum 60) caps it", 300, 60},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cached := strings.Replace(zone(0, ""), "@ 300 IN SOA", fmt.Sprintf("@ %d IN SOA", tt.soaTTL), 1)
			c := world{ns1: apexOK, resolver: []string{cached, otherZone("")}}.checker(t)
			res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res, verify.StatusPropagating, []string{"dns.negative_cached"}, nil)
			if res.TimeLeftSeconds != tt.wantTTL {
				t.Errorf("time left %ds, want %ds", res.TimeLeftSeconds, tt.wantTTL)
			}
		})
	}
}
