package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/verify"
)

// loopbackZone is a zone for BIND whose one name server is 127.0.0.1
// (reached with --ns-port), with a negative TTL of 30 s, and extra
// records.
func loopbackZone(origin string, serial int, extra string) peertest.Zone {
	return peertest.Zone{Origin: origin, Text: fmt.Sprintf(`$TTL 300
@   IN SOA ns1.%[1]s hostmaster.%[1]s ( %[2]d 3600 600 86400 30 )
@   IN NS  ns1.%[1]s
ns1 IN A   127.0.0.1
`, origin, serial) + extra}
}

// TestCLIAgainstBIND runs orgctl verify dns, as a user would, against BIND
// 9 and Unbound: discovery through Unbound to BIND on --ns-port, and the
// multi-server cases with --nameserver. Run with -v to see what each case
// prints.
func TestCLIAgainstBIND(t *testing.T) {
	const other = "logmein-verification-code=11111111-2222-4333-8444-555555555555"
	zone := loopbackZone
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
			checkVerifyOutput(t, code, stdout, tt.exit, tt.status, tt.finds)
		})
	}
}

// TestCLIAgainstNginx runs orgctl verify http, as a user would, against
// nginx virtual hosts, reaching them with --connect-to. Run with -v to
// see what each case prints.
func TestCLIAgainstNginx(t *testing.T) {
	const file = "logmein-verification-code.txt"
	const path = "/" + file
	only := func(directives string) string { return "location = " + path + " { " + directives + " }" }
	var chain strings.Builder
	// Relative targets as sent: nginx would otherwise make them absolute
	// with its own (test) port.
	chain.WriteString("absolute_redirect off;\n" + only("return 302 /h1;"))
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&chain, "\nlocation = /h%d { return 302 /h%d; }", i, i+1)
	}
	chain.WriteString("\nlocation = /h11 { return 200 '" + testCode + "'; }")
	sites := []peertest.Site{
		{Name: "ok.web.test", Files: map[string]string{file: testCode}},
		{Name: "crlf.web.test", Files: map[string]string{file: testCode + "\r\n"}},
		{Name: "bom.web.test", Files: map[string]string{file: "\ufeff" + testCode}},
		{Name: "soft404.web.test", Config: `location / { default_type text/html; return 200 "<!DOCTYPE html><html><body>Welcome!</body></html>"; }`},
		{Name: "forbidden.web.test", Files: map[string]string{file: testCode}, Config: only("deny all;")},
		{Name: "missing.web.test"},
		{Name: "botwall.web.test", Files: map[string]string{file: testCode}, Config: `if ($http_user_agent !~ Mozilla) { return 403; }`},
		{Name: "error.web.test", Config: only("return 500;")},
		{Name: "r301.web.test", Config: only("return 301 http://ok.web.test" + path + ";")},
		{Name: "r302.web.test", Config: only("return 302 http://ok.web.test" + path + ";")},
		{Name: "r307.web.test", Config: only("return 307 http://ok.web.test" + path + ";")},
		{Name: "r308.web.test", Config: only("return 308 http://ok.web.test" + path + ";")},
		{Name: "https.web.test", Config: only("return 301 https://ok.web.test" + path + ";")},
		{Name: "r303.web.test", Config: only("return 303 http://ok.web.test" + path + ";")},
		{Name: "port.web.test", Config: only("return 301 http://ok.web.test:8080" + path + ";")},
		{Name: "scheme.web.test", Config: only("return 301 ftp://ok.web.test" + path + ";")},
		{Name: "loopa.web.test", Config: only("return 301 http://loopb.web.test" + path + ";")},
		{Name: "loopb.web.test", Config: only("return 301 http://loopa.web.test" + path + ";")},
		{Name: "chain.web.test", Config: chain.String()},
		{Name: "slash.web.test", Config: `rewrite ^/(.*)$ http://ok.web.test$1 permanent;`},
		{Name: "big.web.test", Files: map[string]string{file: strings.Repeat(testCode+"\n", 100)}},
		{Name: "stall.web.test", Config: only("echo_sleep 30; echo hi;")},
	}
	ng := peertest.StartNginx(t, peertest.NginxOptions{TLS: true}, sites...)
	_, port, _ := net.SplitHostPort(ng.Addr)
	_, tport, _ := net.SplitHostPort(ng.TLSAddr)
	via := []string{"--connect-to", ":80:127.0.0.1:" + port, "--connect-to", ":443:127.0.0.1:" + tport}

	tests := []struct {
		name   string
		host   string
		extra  []string
		exit   int
		status string
		finds  []string
	}{
		{"the correct file", "ok.web.test", nil, 0, "verified", nil},
		{"CRLF after the code", "crlf.web.test", nil, 0, "verified", []string{"http.trailing_newline"}},
		{"CRLF after the code, --strict", "crlf.web.test", []string{"--strict"}, 3, "mismatch", []string{"http.trailing_newline"}},
		{"a byte-order mark", "bom.web.test", nil, 3, "mismatch", []string{"http.bom"}},
		{"a catch-all site (soft 404)", "soft404.web.test", nil, 3, "mismatch", []string{"http.html", "http.soft_404"}},
		{"403", "forbidden.web.test", nil, 3, "not_found", []string{"http.status"}},
		{"403 to non-browsers (a bot filter)", "botwall.web.test", nil, 3, "not_found", []string{"http.status", "http.blocked"}},
		{"404", "missing.web.test", nil, 3, "not_found", []string{"http.not_found"}},
		{"500", "error.web.test", nil, 1, "error", []string{"http.status"}},
		{"301 to another host", "r301.web.test", nil, 0, "verified", []string{"http.redirect"}},
		{"302", "r302.web.test", nil, 0, "verified", []string{"http.redirect"}},
		{"307", "r307.web.test", nil, 0, "verified", []string{"http.redirect"}},
		{"308", "r308.web.test", nil, 0, "verified", []string{"http.redirect"}},
		{"to https, self-signed", "https.web.test", nil, 0, "verified", []string{"http.redirect", "http.tls"}},
		{"303 refused", "r303.web.test", nil, 3, "not_found", []string{"http.redirect_status"}},
		{"to port 8080 refused", "port.web.test", nil, 3, "not_found", []string{"http.redirect_port"}},
		{"to ftp refused", "scheme.web.test", nil, 3, "not_found", []string{"http.redirect_scheme"}},
		{"a loop", "loopa.web.test", nil, 3, "not_found", []string{"http.redirect_loop"}},
		{"11 redirects", "chain.web.test", nil, 3, "not_found", []string{"http.too_many_redirects"}},
		{"a redirect missing its slash", "slash.web.test", nil, 3, "not_found", []string{"http.redirect_missing_slash"}},
		{"a big file", "big.web.test", nil, 3, "mismatch", []string{"http.too_large"}},
		{"a server that stalls", "stall.web.test", nil, 1, "error", []string{"http.timeout"}},
	}
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	tune := func(c *verify.Checker) { c.RequestTimeout = time.Second }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"verify", "http", "--code", testCode, tt.host}, via...), tt.extra...)
			code, stdout, stderr := runTuned(t, tune, false, env, args...)
			t.Logf("$ orgctl %s\n%s%s(exit %d)", strings.Join(args, " "), stdout, stderr, code)
			checkVerifyOutput(t, code, stdout, tt.exit, tt.status, tt.finds)
		})
	}
}

// checkVerifyOutput checks a verify run's exit code, status and findings.
func checkVerifyOutput(t *testing.T, code int, stdout string, exit int, status string, finds []string) {
	t.Helper()
	if code != exit {
		t.Errorf("exit %d, want %d", code, exit)
	}
	if !strings.Contains(stdout, ": "+status+" (") {
		t.Errorf("status %s not in output", status)
	}
	for _, f := range finds {
		if !strings.Contains(stdout, f+":") {
			t.Errorf("finding %s not in output", f)
		}
	}
}
