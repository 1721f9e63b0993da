package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/internal/peertest"
)

// TestCLIAgainstBIND runs orgctl verify dns, as a user would, against BIND
// 9 and Unbound: discovery through Unbound to BIND on --ns-port, and the
// multi-server cases with --nameserver. Run with -v to see what each case
// prints.
func TestCLIAgainstBIND(t *testing.T) {
	const other = "logmein-verification-code=11111111-2222-4333-8444-555555555555"
	zone := func(origin string, serial int, extra string) peertest.Zone {
		return peertest.Zone{Origin: origin, Text: fmt.Sprintf(`$TTL 300
@   IN SOA ns1.%[1]s hostmaster.%[1]s ( %[2]d 3600 600 86400 30 )
@   IN NS  ns1.%[1]s
ns1 IN A   127.0.0.1
`, origin, serial) + extra}
	}
	var big strings.Builder
	for i := range 8 {
		fmt.Fprintf(&big, "big IN TXT \"filler-%d-%s\"\n", i, strings.Repeat("x", 200))
	}
	records := `@      IN TXT "v=spf1 -all"
@      IN TXT "` + testCode + `"
split  IN TXT "logmein-verification-code=668e156b-" "f5d3-430e-9944-f1d4385d043e"
two    IN TXT "` + other + `"
two    IN TXT "` + testCode + `"
wrong  IN TXT "` + other + `"
www    IN A 192.0.2.80
alias  IN CNAME verify.other.test.
loop1  IN CNAME loop2.main.test.
loop2  IN CNAME loop1.main.test.
` + big.String() + `big IN TXT "` + testCode + `"
`
	b1 := peertest.StartBIND(t, peertest.BINDOptions{},
		zone("main.test.", 2, records+"fresh IN TXT \""+testCode+"\"\n"),
		zone("other.test.", 1, "verify IN TXT \""+testCode+"\"\n"))
	b2 := peertest.StartBIND(t, peertest.BINDOptions{}, zone("main.test.", 1, records))
	lame := peertest.StartBIND(t, peertest.BINDOptions{}, zone("elsewhere.test.", 1, ""))
	u := peertest.StartUnbound(t, peertest.UnboundOptions{},
		peertest.Stub{Zone: "main.test", Addrs: []string{b1.Addr}},
		peertest.Stub{Zone: "other.test", Addrs: []string{b1.Addr}},
		peertest.Stub{Zone: "broken.test", Addrs: []string{lame.Addr}})
	_, port, _ := net.SplitHostPort(b1.Addr)
	closed := func() string {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().String()
	}()
	discover := []string{"--resolver", u.Addr, "--ns-port", port}

	tests := []struct {
		name   string
		args   []string
		exit   int
		status string
		finds  []string
	}{
		{"code at the apex among other TXT records", append([]string{"main.test"}, discover...), 0, "verified", nil},
		{"split character-strings", append([]string{"split.main.test"}, discover...), 0, "verified", []string{"dns.split_strings"}},
		{"two codes, one right", append([]string{"two.main.test"}, discover...), 0, "verified", nil},
		{"a wrong code", append([]string{"wrong.main.test"}, discover...), 3, "mismatch", []string{"dns.wrong_code"}},
		{"NXDOMAIN", append([]string{"nx.main.test"}, discover...), 3, "not_found", []string{"dns.nxdomain"}},
		{"NODATA", append([]string{"www.main.test"}, discover...), 3, "not_found", []string{"dns.nodata"}},
		{"a CNAME into another zone", append([]string{"alias.main.test"}, discover...), 0, "verified", []string{"dns.cname"}},
		{"a CNAME loop", append([]string{"loop1.main.test"}, discover...), 3, "not_found", []string{"dns.cname_loop"}},
		{"an RRset too big for UDP", append([]string{"big.main.test"}, discover...), 0, "verified", []string{"dns.truncated"}},
		{"one authoritative server stale", []string{"fresh.main.test", "--nameserver", b1.Addr, "--nameserver", b2.Addr, "--resolver", u.Addr}, 3, "partial", []string{"dns.ns_inconsistent"}},
		{"one lame (REFUSED)", []string{"main.test", "--nameserver", b1.Addr, "--nameserver", lame.Addr, "--resolver", u.Addr}, 3, "partial", []string{"dns.lame"}},
		{"one unreachable", []string{"main.test", "--nameserver", b1.Addr, "--nameserver", closed, "--resolver", u.Addr}, 0, "verified", []string{"dns.ns_unreachable"}},
		{"SERVFAIL", append([]string{"broken.test"}, discover...), 1, "error", []string{"dns.servfail"}},
	}
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify", "dns", "--code", testCode}, tt.args...)
			code, stdout, stderr := runCmd(t, false, env, args...)
			t.Logf("$ orgctl %s\n%s%s(exit %d)", strings.Join(args, " "), stdout, stderr, code)
			if code != tt.exit {
				t.Errorf("exit %d, want %d", code, tt.exit)
			}
			if !strings.Contains(stdout, ": "+tt.status+" (") {
				t.Errorf("status %s not in output", tt.status)
			}
			for _, f := range tt.finds {
				if !strings.Contains(stdout, f+":") {
					t.Errorf("finding %s not in output", f)
				}
			}
		})
	}
}
