package verify_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// brokenWorld is a signed parent zone, test., served by BIND at ns.test
// (192.0.2.50) behind a validating Unbound that trusts it, delegating to
// zones broken in the ways that make resolvers fail:
//
//   - dead.test: its only name server (192.0.2.9) never answers;
//   - expired.test: signed, its signatures expired;
//   - roll.test: signed with a new key while test. still holds the DS of
//     the old one (a key rollover without the registrar);
//   - servfail.test: its only server answers SERVFAIL;
//   - ok.test: signed, its DS at test., serving the code.
//
// Each zone but dead.test and servfail.test serves the code at its apex.
type brokenWorld struct {
	checker *verify.Checker
	unbound *peertest.Unbound
	// dsTags and keyTags are, for roll.test, the key tag of the DS at the
	// parent and of the DNSKEY that the zone signs with.
	dsTag, keyTag string
	// parent is the BIND serving test., the root of this world.
	parent string
}

// The addresses of the world's name servers, as the zones give them.
const (
	brokenParentNS = "192.0.2.50"
	brokenChildNS  = "192.0.2.1"
	brokenDeadNS   = "192.0.2.9"
	brokenFailNS   = "192.0.2.7"
)

func startBrokenWorld(t *testing.T) brokenWorld {
	t.Helper()
	apex := `@ IN TXT "` + code + `"` + "\n"
	child := func(origin string) peertest.Zone {
		return bindZone(origin, 1, map[string]string{"ns." + origin: brokenChildNS}, apex)
	}
	expired, expiredDS := peertest.SignZone(t, child("expired.test."),
		peertest.SignOptions{Inception: "20200101000000", Expiration: "20200201000000"})
	_, oldDS := peertest.SignZone(t, child("roll.test."), peertest.SignOptions{})
	roll, newDS := peertest.SignZone(t, child("roll.test."), peertest.SignOptions{})
	ok, okDS := peertest.SignZone(t, child("ok.test."), peertest.SignOptions{})

	parent := bindZone("test.", 1, map[string]string{"ns.test.": brokenParentNS}, `
dead IN NS ns.dead.test.
ns.dead IN A `+brokenDeadNS+`
servfail IN NS ns.servfail.test.
ns.servfail IN A `+brokenFailNS+`
expired IN NS ns.expired.test.
ns.expired IN A `+brokenChildNS+`
roll IN NS ns.roll.test.
ns.roll IN A `+brokenChildNS+`
ok IN NS ns.ok.test.
ns.ok IN A `+brokenChildNS+`
`+expiredDS+"\n"+oldDS+"\n"+okDS+"\n")
	signedParent, anchor := peertest.SignZone(t, parent, peertest.SignOptions{})

	bp := peertest.StartBIND(t, peertest.BINDOptions{}, signedParent)
	bc := peertest.StartBIND(t, peertest.BINDOptions{}, expired, roll, ok)
	dead, err := verifytest.NewServer(verifytest.Options{Drop: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	fail, err := verifytest.NewServer(verifytest.Options{ServFail: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fail.Close() })

	u := peertest.StartUnbound(t, peertest.UnboundOptions{TrustAnchors: []string{anchor}},
		peertest.Stub{Zone: "test", Addrs: []string{bp.Addr}},
		peertest.Stub{Zone: "dead.test", Addrs: []string{dead.Addr}},
		peertest.Stub{Zone: "servfail.test", Addrs: []string{fail.Addr}},
		peertest.Stub{Zone: "expired.test", Addrs: []string{bc.Addr}},
		peertest.Stub{Zone: "roll.test", Addrs: []string{bc.Addr}},
		peertest.Stub{Zone: "ok.test", Addrs: []string{bc.Addr}})
	c := peerChecker(t, u, map[string]string{
		brokenParentNS + ":53": bp.Addr, brokenChildNS + ":53": bc.Addr,
		brokenDeadNS + ":53": dead.Addr, brokenFailNS + ":53": fail.Addr,
	})
	c.Timeout, c.Tries = time.Second, 1
	return brokenWorld{checker: c, unbound: u, dsTag: keyTagOf(t, oldDS), keyTag: keyTagOf(t, newDS), parent: bp.Addr}
}

// keyTagOf returns the key tag field of a DS record in zone-file text.
func keyTagOf(t *testing.T, ds string) string {
	t.Helper()
	f := strings.Fields(ds)
	for i, w := range f {
		if w == "DS" && i+1 < len(f) {
			return f[i+1]
		}
	}
	t.Fatalf("no DS in %q", ds)
	return ""
}

// TestDiagnoseBrokenZonesPeers: for each broken zone, Diagnose finds the
// zone's own servers past the failing resolver, names the real culprit,
// and no finding of severity warning or error blames a server or a
// record that is not at fault: the parent's server (which gave a correct
// referral) is never named, no referral is called lame, and no TXT count
// comes from servers that did not answer for the zone.
func TestDiagnoseBrokenZonesPeers(t *testing.T) {
	t.Parallel()
	w := startBrokenWorld(t)
	parent := brokenParentNS + ":53"
	tests := []struct {
		domain string
		status verify.Status
		// want are finding codes that must be there; each of wantIn must
		// appear in the finding of its code (message or fix).
		want   []string
		wantIn map[string][]string
		// culprits are the only servers a warning or error may name
		// (besides the resolver, whose failure is real).
		culprits []string
		// never are codes that would blame the wrong thing.
		never []string
		// authMatch is whether the zone's servers were asked and serve
		// the code.
		authMatch bool
	}{
		{domain: "dead.test", status: verify.StatusError,
			want: []string{"dns.ns_unreachable"},
			wantIn: map[string][]string{
				"dns.ns_unreachable": {"ns.dead.test (" + brokenDeadNS + ":53)"},
			},
			culprits: []string{"ns.dead.test (" + brokenDeadNS + ":53)"},
			never:    []string{"dns.lame", "dns.no_code", "dns.nodata", "dns.nxdomain", "dns.dnssec_bogus"}},
		{domain: "servfail.test", status: verify.StatusError,
			want:     []string{"dns.servfail"},
			wantIn:   map[string][]string{"dns.servfail": {"ns.servfail.test (" + brokenFailNS + ":53)"}},
			culprits: []string{"ns.servfail.test (" + brokenFailNS + ":53)"},
			never:    []string{"dns.lame", "dns.no_code", "dns.nodata", "dns.nxdomain", "dns.ns_unreachable", "dns.dnssec_bogus"}},
		{domain: "expired.test", status: verify.StatusError,
			want:      []string{"dns.dnssec_bogus"},
			wantIn:    map[string][]string{"dns.dnssec_bogus": {"Signature Expired", "re-sign"}},
			never:     []string{"dns.lame", "dns.no_code", "dns.nodata", "dns.nxdomain", "dns.ns_unreachable"},
			authMatch: true},
		{domain: "roll.test", status: verify.StatusError,
			want: []string{"dns.dnssec_bogus"},
			wantIn: map[string][]string{"dns.dnssec_bogus": {
				"publish the new key's DS", "DS key tag " + w.dsTag, w.keyTag,
			}},
			never:     []string{"dns.lame", "dns.no_code", "dns.nodata", "dns.nxdomain", "dns.ns_unreachable"},
			authMatch: true},
		{domain: "ok.test", status: verify.StatusVerified,
			never:     []string{"dns.lame", "dns.dnssec_bogus", "dns.servfail", "dns.ns_unreachable"},
			authMatch: true},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			r := peerDiagnose(t, w.checker, tt.domain, verify.Code{Value: code})
			d := r.DNS
			for _, f := range d.Findings {
				t.Logf("%s %s [%s]: %s; fix: %s", f.Severity, f.Code, f.Server, f.Message, f.Fix)
			}
			expect(t, d, tt.status, tt.want, tt.never)
			for c, words := range tt.wantIn {
				f, ok := peerFinding(d.Findings, c)
				if !ok {
					continue // expect reported it
				}
				for _, word := range words {
					if !strings.Contains(f.Message+" "+f.Fix, word) {
						t.Errorf("%s finding %q (fix %q) lacks %q", c, f.Message, f.Fix, word)
					}
				}
			}
			for _, f := range d.Findings {
				if f.Severity == verify.SeverityInfo {
					continue
				}
				if strings.Contains(f.Server, parent) || strings.Contains(f.Message, parent) {
					t.Errorf("%s finding blames the parent's server %s, which gave a correct referral: %q", f.Code, parent, f.Message)
				}
				if f.Server != "" && f.Server != w.unbound.Addr && !containsAny(f.Server, tt.culprits) {
					t.Errorf("%s finding names %q, not at fault (culprits %v)", f.Code, f.Server, tt.culprits)
				}
				if f.Code == "dns.resolver_unreachable" || f.Code == "dns.servfail" && f.Server == w.unbound.Addr {
					if strings.Contains(f.Fix, "check that the resolvers are reachable") && len(tt.culprits) > 0 {
						t.Errorf("%s finding sends the user to the resolver, though %v is at fault: %q", f.Code, tt.culprits, f.Fix)
					}
				}
			}
			// verify, which does not walk, still blames no referral.
			v, err := w.checker.DNS(context.Background(), tt.domain, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range v.Findings {
				if f.Severity != verify.SeverityInfo && (f.Code == "dns.lame" || f.Code == "dns.no_code" || strings.Contains(f.Server, parent)) {
					t.Errorf("verify: %s finding [%s] blames the parent's referral: %q", f.Code, f.Server, f.Message)
				}
			}
			auth, match := 0, 0
			for _, s := range d.Servers {
				if s.Role != verify.RoleAuthoritative {
					continue
				}
				auth++
				if s.Server == parent {
					t.Errorf("the parent's server %s was asked as the zone's", parent)
				}
				if s.Match {
					match++
				}
			}
			if tt.authMatch && (auth == 0 || match != auth) {
				t.Errorf("%d of %d authoritative servers serve the code, want all of at least one: %+v", match, auth, d.Servers)
			}
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestDiagnoseWalkFromRoots: when the resolvers name no parent zone (they
// answer SERVFAIL for everything), the walk starts at Checker.Roots (here
// the BIND serving test., standing in for the root servers) and follows
// the referrals to the zone's own servers.
func TestDiagnoseWalkFromRoots(t *testing.T) {
	t.Parallel()
	w := startBrokenWorld(t)
	broken, err := verifytest.NewServer(verifytest.Options{ServFail: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broken.Close() })
	c := *w.checker
	c.Resolvers = []string{broken.Addr}
	c.Roots = []string{w.parent}

	r := peerDiagnose(t, &c, "ok.test", verify.Code{Value: code})
	for _, f := range r.DNS.Findings {
		t.Logf("%s %s [%s]: %s; fix: %s", f.Severity, f.Code, f.Server, f.Message, f.Fix)
	}
	if r.DNS.Zone != "ok.test." {
		t.Errorf("zone %q, want ok.test. found from the roots", r.DNS.Zone)
	}
	match := 0
	for _, s := range r.DNS.Servers {
		if s.Role == verify.RoleAuthoritative && s.Match && s.Host == "ns.ok.test." {
			match++
		}
	}
	if match == 0 {
		t.Errorf("ns.ok.test was not asked, or does not serve the code: %+v", r.DNS.Servers)
	}
	f, ok := peerFinding(r.DNS.Findings, "dns.servfail")
	if !ok || f.Server != broken.Addr || !strings.Contains(f.Message, "the zone's own servers answer for ok.test") || strings.Contains(f.Fix, "re-sign") {
		t.Errorf("the resolver's SERVFAIL is not its own finding, naming it: %+v", f)
	}
	if _, lame := peerFinding(r.DNS.Findings, "dns.lame"); lame {
		t.Errorf("a referral called lame: %v", r.DNS.Findings)
	}

	r = peerDiagnose(t, &c, "dead.test", verify.Code{Value: code})
	if f, ok := peerFinding(r.DNS.Findings, "dns.ns_unreachable"); !ok || f.Server != "ns.dead.test ("+brokenDeadNS+":53)" {
		t.Errorf("dead server not named from the roots: %+v", r.DNS.Findings)
	}
}

// TestDiagnoseNoFalseCulpritPeers runs Diagnose on every name of the
// BIND/Unbound integration suite (startPeers): whatever is broken, a
// finding of severity warning or error names only a server at fault (the
// lame one, the unreachable one, the lagging secondary) or the resolver,
// dns.lame only for the lame zone, and never a TXT count of zero.
func TestDiagnoseNoFalseCulpritPeers(t *testing.T) {
	t.Parallel()
	p := startPeers(t)
	c := *p.checker
	c.Timeout = 2 * time.Second
	host, port, _ := net.SplitHostPort(closedPort(t))
	c.HTTPOptions = verify.HTTPOptions{ConnectTo: []verify.ConnectTo{{ToHost: host, ToPort: port}}}
	tests := []struct {
		domain   string
		culprits []string // servers a warning or error may name, besides the resolver
	}{
		{"main.test", nil},
		{"split.main.test", nil},
		{"wrong.main.test", nil},
		{"nx.main.test", nil},
		{"www.main.test", nil},
		{"alias.main.test", nil},
		{"dangling.main.test", nil},
		{"loop1.main.test", nil},
		{"big.main.test", nil},
		{"fresh.main.test", []string{"192.0.2.2:53"}},
		{"lame.test", []string{"ns2.lame.test (192.0.2.4:53)"}},
		{"down.test", []string{"ns2.down.test (192.0.2.5:53)"}},
		{"broken.test", nil},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			r, err := c.Diagnose(context.Background(), tt.domain, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.DNS.Findings {
				t.Logf("%s %s [%s]: %s", f.Severity, f.Code, f.Server, f.Message)
				if f.Severity == verify.SeverityInfo {
					continue
				}
				if f.Server != "" && f.Server != p.unbound.Addr && !containsAny(f.Server, tt.culprits) {
					t.Errorf("%s finding names %q, which is not at fault (culprits %v)", f.Code, f.Server, tt.culprits)
				}
				if f.Code == "dns.lame" && tt.domain != "lame.test" {
					t.Errorf("dns.lame for %s: %q", tt.domain, f.Message)
				}
				if strings.Contains(f.Message, "has 0 TXT") {
					t.Errorf("a TXT count from servers that hold none: %q", f.Message)
				}
			}
		})
	}
}
