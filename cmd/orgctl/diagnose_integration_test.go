package main

import (
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/internal/peertest"
)

// TestCLIDiagnoseAgainstPeers runs orgctl diagnose, as support staff
// would, on three realistic failures served by BIND 9 and resolved by
// Unbound: signatures that expired, a secondary that lags behind, and a
// resolver that caches the NXDOMAIN from before the record was added. Run
// with -v to see each report.
func TestCLIDiagnoseAgainstPeers(t *testing.T) {
	zone := loopbackZone
	record := "@ IN TXT \"" + testCode + "\"\n"
	signed, ds := peertest.SignZone(t, zone("shop.test.", 1, record),
		peertest.SignOptions{Inception: "20200101000000", Expiration: "20200201000000"})
	primary := peertest.StartBIND(t, peertest.BINDOptions{}, signed, zone("main.test.", 2026112802, record), zone("late.test.", 1, ""))
	secondary := peertest.StartBIND(t, peertest.BINDOptions{}, zone("main.test.", 2026112801, ""))
	u := peertest.StartUnbound(t, peertest.UnboundOptions{TrustAnchors: []string{ds}},
		peertest.Stub{Zone: "shop.test", Addrs: []string{primary.Addr}},
		peertest.Stub{Zone: "main.test", Addrs: []string{primary.Addr}},
		peertest.Stub{Zone: "late.test", Addrs: []string{primary.Addr}})
	_, port, _ := net.SplitHostPort(primary.Addr)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	diagnose := func(t *testing.T, exit int, args ...string) string {
		t.Helper()
		args = append([]string{"diagnose", "--code", testCode, "--resolver", u.Addr}, args...)
		code, stdout, stderr := runCmd(t, false, env, args...)
		t.Logf("$ orgctl %s\n%s%s(exit %d)", strings.Join(args, " "), stdout, stderr, code)
		if code != exit {
			t.Errorf("exit %d, want %d", code, exit)
		}
		return stdout
	}
	want := func(t *testing.T, out string, patterns ...string) {
		t.Helper()
		for _, p := range patterns {
			if !regexp.MustCompile(`(?m)` + p).MatchString(out) {
				t.Errorf("report lacks %q", p)
			}
		}
	}

	t.Run("expired DNSSEC signatures", func(t *testing.T) {
		out := diagnose(t, 1, "shop.test", "--ns-port", port)
		want(t, out,
			`^shop.test: could not be checked \(dns: error, http: error\)$`,
			`^  ✗ dns.dnssec_bogus  shop.test. at `+regexp.QuoteMeta(u.Addr)+`$`,
			`EDE 7 \(Signature Expired\)`,
			`fix   re-sign the zone: its RRSIG signatures have expired`)
	})
	t.Run("a secondary lags behind", func(t *testing.T) {
		out := diagnose(t, 3, "main.test", "--nameserver", primary.Addr, "--nameserver", secondary.Addr)
		want(t, out,
			`^main.test: not verified yet \(dns: partial, http: `,
			`^  ✗ dns.ns_inconsistent  main.test.$`,
			`serial 2026112802.*serial 2026112801`)
	})
	t.Run("a resolver caches the NXDOMAIN", func(t *testing.T) {
		diagnose(t, 3, "new.late.test", "--ns-port", port)
		primary.SetZone(t, zone("late.test.", 2, "new IN TXT \""+testCode+"\"\n"))
		out := diagnose(t, 3, "new.late.test", "--ns-port", port)
		want(t, out,
			`^new.late.test: not verified yet \(dns: propagating, http: `,
			`^  ✗ dns.negative_cached  new.late.test. at `+regexp.QuoteMeta(u.Addr)+`$`,
			`^Resolvers should serve the code in about [0-9]+s \(at [0-9:]+ UTC\); wait with: orgctl verify new.late.test --wait `)
	})
}
