package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/verify"
)

// docExchanger sends queries for documentation addresses (the zones' name
// servers) to loopback servers, and fails closed for any other address
// that is not loopback.
type docExchanger map[string]string

func (m docExchanger) Exchange(ctx context.Context, msg *dns.Msg, network, addr string) (*dns.Msg, time.Duration, error) {
	real, ok := m[addr]
	if !ok {
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, 0, fmt.Errorf("test: no server mapped for %s", addr)
		}
		real = addr
	}
	c := &dns.Client{Net: network, UDPSize: 1232}
	return c.ExchangeContext(ctx, msg, real)
}

// TestCLIDiagnoseBrokenDelegation runs orgctl diagnose where the
// resolver fails and the zone's parent sits on another server than the
// zone, as on the internet: test. on one BIND (192.0.2.50), shop.test
// (signatures expired) on another (192.0.2.1), and dead.test delegated to a
// server that does not answer (192.0.2.9). The report names the zone's own
// servers, never the parent's. With ORGCTL_CAPTURE=FILE it also writes
// both reports there.
func TestCLIDiagnoseBrokenDelegation(t *testing.T) {
	record := "@ IN TXT \"" + testCode + "\"\n"
	child := peertest.Zone{Origin: "shop.test.", Text: "$TTL 300\n@ IN SOA ns1.shop.test. hostmaster.shop.test. ( 1 3600 600 86400 30 )\n@ IN NS ns1.shop.test.\nns1 IN A 192.0.2.1\n" + record}
	signed, ds := peertest.SignZone(t, child, peertest.SignOptions{Inception: "20200101000000", Expiration: "20200201000000"})
	parent := peertest.Zone{Origin: "test.", Text: `$TTL 300
@   IN SOA ns1.test. hostmaster.test. ( 1 3600 600 86400 30 )
@   IN NS  ns1.test.
ns1 IN A   192.0.2.50
shop IN NS ns1.shop.test.
ns1.shop IN A 192.0.2.1
dead IN NS ns1.dead.test.
ns1.dead IN A 192.0.2.9
`}
	bp := peertest.StartBIND(t, peertest.BINDOptions{}, parent)
	bc := peertest.StartBIND(t, peertest.BINDOptions{}, signed)
	// Nothing answers at dead: a UDP socket that reads and never replies.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	u := peertest.StartUnbound(t, peertest.UnboundOptions{TrustAnchors: []string{ds}},
		peertest.Stub{Zone: "test", Addrs: []string{bp.Addr}},
		peertest.Stub{Zone: "shop.test", Addrs: []string{bc.Addr}},
		peertest.Stub{Zone: "dead.test", Addrs: []string{dead.LocalAddr().String()}})
	ex := docExchanger{"192.0.2.50:53": bp.Addr, "192.0.2.1:53": bc.Addr, "192.0.2.9:53": dead.LocalAddr().String()}
	tune := func(c *verify.Checker) {
		c.Exchanger = ex
		c.Timeout, c.Tries = time.Second, 1
	}
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	var capture strings.Builder
	diagnose := func(t *testing.T, domain string) string {
		t.Helper()
		args := []string{"diagnose", domain, "--code", testCode, "--resolver", u.Addr}
		code, stdout, stderr := runTuned(t, tune, false, env, args...)
		t.Logf("$ orgctl %s\n%s%s(exit %d)", strings.Join(args, " "), stdout, stderr, code)
		fmt.Fprintf(&capture, "$ orgctl %s\n%s%s(exit %d)\n\n", strings.Join(args, " "), stdout, stderr, code)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		return stdout
	}
	check := func(t *testing.T, out string, want, never []string) {
		t.Helper()
		for _, p := range want {
			if !regexp.MustCompile(`(?m)` + p).MatchString(out) {
				t.Errorf("report lacks %q", p)
			}
		}
		for _, p := range never {
			if regexp.MustCompile(`(?m)` + p).MatchString(out) {
				t.Errorf("report has %q", p)
			}
		}
	}
	never := []string{`192\.0\.2\.50`, `dns\.lame`, `0 TXT`, `dns\.no_code`, `check that the resolvers are reachable`, `check the resolvers`}
	t.Run("dead name server", func(t *testing.T) {
		out := diagnose(t, "dead.test")
		check(t, out, []string{
			`^  ✗ dns\.ns_unreachable  dead\.test\. at ns1\.dead\.test \(192\.0\.2\.9:53\)$`,
			`bring the name servers of dead\.test back`,
		}, never)
	})
	t.Run("expired signatures", func(t *testing.T) {
		out := diagnose(t, "shop.test")
		check(t, out, []string{
			`^  ✗ dns\.dnssec_bogus  shop\.test\. at ` + regexp.QuoteMeta(u.Addr) + `$`,
			`EDE 7 \(Signature Expired\)`,
			`fix   re-sign the zone`,
			`^  dns   error        shop\.test\., 1/1 authoritative server`,
		}, never)
	})
	if f := os.Getenv("ORGCTL_CAPTURE"); f != "" {
		if err := os.WriteFile(f, []byte(capture.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
