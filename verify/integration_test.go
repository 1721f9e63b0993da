package verify_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/verify"
)

// The integration tests run the checker against independent servers:
// two BIND 9 instances authoritative for main.test (the second serving an
// older copy), BIND for the other zones, and Unbound as the resolver. The
// zones name their servers by documentation addresses, which
// mapExchanger sends to the BIND instances: nothing leaves loopback.

func bindZone(origin string, serial int, ns map[string]string, extra string) peertest.Zone {
	var b strings.Builder
	fmt.Fprintf(&b, "$TTL 300\n@ IN SOA %s hostmaster.%s ( %d 3600 600 86400 30 )\n", firstNS(ns), origin, serial)
	for _, name := range slices.Sorted(mapsKeys(ns)) {
		fmt.Fprintf(&b, "@ IN NS %s\n%s IN A %s\n", name, name, ns[name])
	}
	b.WriteString(extra)
	return peertest.Zone{Origin: origin, Text: b.String()}
}

func firstNS(ns map[string]string) string { return slices.Sorted(mapsKeys(ns))[0] }

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// mainRecords are the cases of the core issue, one name each.
func mainRecords() string {
	return `@      IN TXT "v=spf1 -all"
@      IN TXT "` + code + `"
@      IN TXT "google-site-verification=abc"
split  IN TXT "logmein-verification-code=668e156b-" "f5d3-430e-9944-f1d4385d043e"
two    IN TXT "` + other + `"
two    IN TXT "` + code + `"
wrong  IN TXT "` + other + `"
www    IN A 192.0.2.80
alias  IN CNAME verify.other.test.
dangling IN CNAME gone.other.test.
loop1  IN CNAME loop2.main.test.
loop2  IN CNAME loop1.main.test.
` + bigAt("big")
}

func bigAt(name string) string {
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, "%s IN TXT \"filler-%d-%s\"\n", name, i, strings.Repeat("x", 200))
	}
	fmt.Fprintf(&b, "%s IN TXT \"%s\"\n", name, code)
	return b.String()
}

type peers struct {
	checker *verify.Checker
	bind1   *peertest.BIND
	unbound *peertest.Unbound
}

func startPeers(t *testing.T) peers {
	t.Helper()
	mainNS := map[string]string{"ns1.main.test.": "192.0.2.1", "ns2.main.test.": "192.0.2.2"}
	current := bindZone("main.test.", 2, mainNS, mainRecords()+"fresh IN TXT \""+code+"\"\n")
	stale := bindZone("main.test.", 1, mainNS, mainRecords())
	otherZ := bindZone("other.test.", 1, map[string]string{"ns.other.test.": "192.0.2.3"}, "verify IN TXT \""+code+"\"\n")
	lame := bindZone("lame.test.", 1, map[string]string{"ns1.lame.test.": "192.0.2.1", "ns2.lame.test.": "192.0.2.4"}, "@ IN TXT \""+code+"\"\n")
	down := bindZone("down.test.", 1, map[string]string{"ns1.down.test.": "192.0.2.1", "ns2.down.test.": "192.0.2.5"}, "@ IN TXT \""+code+"\"\n")
	late := bindZone("late.test.", 1, map[string]string{"ns.late.test.": "192.0.2.1"}, "")

	b1 := peertest.StartBIND(t, peertest.BINDOptions{}, current, otherZ, lame, down, late)
	b2 := peertest.StartBIND(t, peertest.BINDOptions{}, stale)
	closed := closedPort(t)
	u := peertest.StartUnbound(t, peertest.UnboundOptions{},
		peertest.Stub{Zone: "main.test", Addrs: []string{b1.Addr, b2.Addr}},
		peertest.Stub{Zone: "other.test", Addrs: []string{b1.Addr}},
		peertest.Stub{Zone: "lame.test", Addrs: []string{b1.Addr}},
		peertest.Stub{Zone: "down.test", Addrs: []string{b1.Addr}},
		peertest.Stub{Zone: "late.test", Addrs: []string{b1.Addr}},
		peertest.Stub{Zone: "broken.test", Addrs: []string{b2.Addr}}, // REFUSED upstream: Unbound answers SERVFAIL
	)
	c := &verify.Checker{
		Resolvers: []string{u.Addr},
		Timeout:   500 * time.Millisecond,
		Tries:     2,
		Exchanger: mapExchanger{to: map[string]string{
			"192.0.2.1:53": b1.Addr, "192.0.2.2:53": b2.Addr, "192.0.2.3:53": b1.Addr,
			"192.0.2.4:53": b2.Addr, // serves main.test only: REFUSED for lame.test
			"192.0.2.5:53": closed,  // nothing listens: unreachable
		}},
	}
	return peers{checker: c, bind1: b1, unbound: u}
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestBINDUnbound(t *testing.T) {
	p := startPeers(t)
	tests := []struct {
		name   string
		status verify.Status
		want   []string
		absent []string
	}{
		{"main.test", verify.StatusVerified, nil, []string{"dns.lame", "dns.ns_inconsistent"}},
		{"split.main.test", verify.StatusVerified, []string{"dns.split_strings"}, nil},
		{"two.main.test", verify.StatusVerified, nil, []string{"dns.wrong_code"}},
		{"wrong.main.test", verify.StatusMismatch, []string{"dns.wrong_code"}, nil},
		{"nx.main.test", verify.StatusNotFound, []string{"dns.nxdomain"}, []string{"dns.nodata"}},
		{"www.main.test", verify.StatusNotFound, []string{"dns.nodata"}, []string{"dns.nxdomain"}},
		{"alias.main.test", verify.StatusVerified, []string{"dns.cname"}, nil},
		{"loop1.main.test", verify.StatusNotFound, []string{"dns.cname_loop"}, nil},
		{"big.main.test", verify.StatusVerified, []string{"dns.truncated"}, nil},
		{"fresh.main.test", verify.StatusPartial, []string{"dns.ns_inconsistent"}, nil},
		{"lame.test", verify.StatusPartial, []string{"dns.lame"}, nil},
		{"down.test", verify.StatusVerified, []string{"dns.ns_unreachable"}, nil},
		{"broken.test", verify.StatusError, []string{"dns.servfail"}, nil},
	}
	// An alias to a name that does not exist: the NXDOMAIN is the
	// target zone's, and the fix says what can be done about a CNAME.
	t.Run("dangling.main.test", func(t *testing.T) {
		res, err := p.checker.DNS(context.Background(), "dangling.main.test", verify.Code{Value: code})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res, verify.StatusNotFound, []string{"dns.nxdomain", "dns.cname"}, nil)
		for _, f := range res.Findings {
			if f.Code != "dns.nxdomain" {
				continue
			}
			for _, want := range []string{"gone.other.test. (", "authoritative servers of other.test, the target's zone", "remove the CNAME at dangling.main.test.", "publish the code at gone.other.test."} {
				if !strings.Contains(f.Message+" ("+f.Fix, want) {
					t.Errorf("nxdomain finding %q (fix %q) lacks %q", f.Message, f.Fix, want)
				}
			}
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *p.checker
			if tt.status == verify.StatusError {
				// Unbound tries the dead server for a while before it
				// answers SERVFAIL: wait as long as orgctl does by default.
				c.Timeout, c.Tries = verify.DefaultTimeout, verify.DefaultTries
			}
			res, err := c.DNS(context.Background(), tt.name, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res, tt.status, tt.want, tt.absent)
		})
	}
}

// TestUnboundNegativeCache publishes a record after Unbound cached the
// name's NXDOMAIN: the authoritative server has it at once, the resolver
// only when the negative TTL (SOA minimum 30 s) has passed.
func TestUnboundNegativeCache(t *testing.T) {
	p := startPeers(t)
	ctx := context.Background()
	res, err := p.checker.DNS(ctx, "new.late.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusNotFound {
		t.Fatalf("before publishing: %s", res.Status)
	}
	p.bind1.SetZone(t, bindZone("late.test.", 2, map[string]string{"ns.late.test.": "192.0.2.1"}, "new IN TXT \""+code+"\"\n"))
	res, err = p.checker.DNS(ctx, "new.late.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusPropagating {
		t.Fatalf("after publishing: status %s, want propagating; findings %v", res.Status, res.Findings)
	}
	if !slices.Contains(codes(res.Findings), "dns.negative_cached") {
		t.Errorf("findings %v, want dns.negative_cached", res.Findings)
	}
	if res.TimeLeftSeconds <= 0 || res.TimeLeftSeconds > 30 {
		t.Errorf("time left %ds, want within the 30 s negative TTL", res.TimeLeftSeconds)
	}
}
