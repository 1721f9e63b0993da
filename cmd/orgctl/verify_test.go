package main

import (
	"context"
	"encoding/json"
	"github.com/orgctl/orgctl/config"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

const testCode = "logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"

const testZone = `$ORIGIN main.test.
$TTL 300
@   IN SOA ns1.main.test. hostmaster.main.test. ( 1 3600 600 86400 60 )
@   IN NS  ns1.main.test.
@   IN TXT "` + testCode + `"
www IN A 192.0.2.80
`

// runCmd runs orgctl with test streams and a fixed clock and environment.
func runCmd(t *testing.T, tty bool, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runTuned(t, nil, tty, env, args...)
}

// runTuned is runCmd with a hook that adjusts the checker (timeouts).
func runTuned(t *testing.T, tune func(*verify.Checker), tty bool, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(context.Background(), t, func(f *factory) { f.tune = tune }, tty, env, args...)
}

// runWith is runCmd with a context and a hook that adjusts the factory.
func runWith(ctx context.Context, t *testing.T, tune func(*factory), tty bool, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	io, _, out, errOut := testIO(tty)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := newFactory(io, lookup)
	f.now = func() time.Time { return time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC) }
	f.readResolvConf = func() ([]string, error) { return nil, nil } // tests never ask the system's resolvers
	if tune != nil {
		tune(f)
	}
	code = executeWith(ctx, f, args)
	return code, out.String(), errOut.String()
}

func TestVerifyOutput(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, testZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	base := []string{"verify", "dns", "--nameserver", srv.Addr, "--code", testCode}

	tests := []struct {
		name       string
		tty        bool
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "piped text", args: []string{"main.test"}, wantCode: 0,
			wantStdout: "main.test: verified (dns, main.test., 1/1 authoritative server)\n"},
		{name: "tty text is coloured", tty: true, args: []string{"main.test"}, wantCode: 0,
			wantStdout: "\x1b[1mmain.test\x1b[22m: \x1b[32;1mverified\x1b[0;22m (dns, main.test., 1/1 authoritative server)\n"},
		{name: "tty with --no-color", tty: true, args: []string{"main.test", "--no-color"}, wantCode: 0,
			wantStdout: "main.test: verified (dns, main.test., 1/1 authoritative server)\n"},
		{name: "quiet", args: []string{"main.test", "-q"}, wantCode: 0},
		{name: "not found, piped", args: []string{"www.main.test"}, wantCode: 3,
			wantStdout: "www.main.test: not_found (dns, www.main.test., 0/1 authoritative server)\n" +
				"  error    dns.nodata: www.main.test. exists but has no TXT records (NODATA)\n" +
				"           fix: add a TXT record at www.main.test. with the value " + testCode + "\n"},
		{name: "not found, quiet", args: []string{"www.main.test", "-q"}, wantCode: 3},
		{name: "bad domain", args: []string{"main..test"}, wantCode: 2,
			wantStderr: "orgctl: error: invalid domain \"main..test\": empty label (a leading dot, or two dots in a row)\n"},
		{name: "bad domain, tty", tty: true, args: []string{"main..test"}, wantCode: 2,
			wantStderr: "orgctl: \x1b[31;1merror:\x1b[0;22m invalid domain \"main..test\": empty label (a leading dot, or two dots in a row)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.tty, env, append(append([]string{}, base...), tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if stdout != tt.wantStdout {
				t.Errorf("stdout:\n got %q\nwant %q", stdout, tt.wantStdout)
			}
			if stderr != tt.wantStderr {
				t.Errorf("stderr:\n got %q\nwant %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestVerifyJSON(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, testZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	code, stdout, stderr := runCmd(t, false, env, "verify", "dns", "main.test", "www.main.test",
		"--nameserver", srv.Addr, "--code", testCode, "-o", "json")
	if code != 3 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
	}
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2", len(got))
	}
	// Input order, every contract field present.
	for i, want := range []struct{ domain, status string }{{"main.test", "verified"}, {"www.main.test", "not_found"}} {
		r := got[i]
		if r["domain"] != want.domain || r["status"] != want.status || r["method"] != "dns" {
			t.Errorf("result %d = %v %v %v, want %s %s dns", i, r["domain"], r["status"], r["method"], want.domain, want.status)
		}
		for _, k := range []string{"domain", "method", "status", "verified", "expected", "name", "checked_at", "duration_ms", "servers", "findings"} {
			if _, ok := r[k]; !ok {
				t.Errorf("result %d lacks %q", i, k)
			}
		}
		if r["checked_at"] != "2026-11-28T10:00:00Z" {
			t.Errorf("checked_at = %v, want the clock's time", r["checked_at"])
		}
	}
	srvs := got[0]["servers"].([]any)
	s0 := srvs[0].(map[string]any)
	if s0["server"] != srv.Addr || s0["role"] != "authoritative" || s0["match"] != true || s0["rcode"] != "NOERROR" {
		t.Errorf("server entry = %v", s0)
	}
}

func TestVerifyJSONL(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, testZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	code, stdout, _ := runCmd(t, false, env, "verify", "dns", "main.test", "www.main.test", "nx.main.test",
		"--nameserver", srv.Addr, "--code", testCode, "-o", "jsonl")
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), stdout)
	}
	seen := map[string]string{}
	for _, l := range lines {
		var r struct{ Domain, Status string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		seen[r.Domain] = r.Status
	}
	want := map[string]string{"main.test": "verified", "www.main.test": "not_found", "nx.main.test": "not_found"}
	for d, s := range want {
		if seen[d] != s {
			t.Errorf("%s: status %q, want %q", d, seen[d], s)
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errNotVerified, 3},
		{errIndeterminate, 1},
		{usageErrorf("", "bad"), 2},
		{errInterrupted, 130},
		{&cliError{code: exitAuth}, 4},
		{&cliError{code: exitSafetyStop}, 5},
		{context.DeadlineExceeded, 1},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestInterrupted(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{Drop: true}, testZone)
	io, _, _, errOut := testIO(false)
	f := newFactory(io, func(string) (string, bool) { return "", false })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	code := executeWith(ctx, f, []string{"verify", "dns", "main.test", "--nameserver", srv.Addr,
		"--code", testCode, "--state-dir", t.TempDir(), "--wait", "1m"})
	if code != 130 {
		t.Errorf("exit code = %d, want 130; stderr %q", code, errOut.String())
	}
}

func TestWaitProgress(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, testZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	args := []string{"verify", "dns", "www.main.test", "--nameserver", srv.Addr, "--code", testCode, "--wait", "300ms", "--interval", "200ms"}

	// Piped: a line a poll.
	code, stdout, stderr := runCmd(t, false, env, args...)
	if code != 3 {
		t.Fatalf("exit %d", code)
	}
	// Polls at 0, 200ms and at the 300ms deadline.
	if n := strings.Count(stderr, "orgctl: waiting for www.main.test: not_found after "); n != 3 {
		t.Errorf("%d progress lines, want 3:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("carriage returns in piped stderr: %q", stderr)
	}
	if !strings.HasPrefix(stdout, "www.main.test: not_found") {
		t.Errorf("stdout %q", stdout)
	}

	// Terminal: the progress bar shows the polls (throttled: not each one),
	// and is cleared before the result.
	_, stdout, stderr = runCmd(t, true, env, args...)
	if !strings.Contains(stderr, "waiting for www.main.test: not_found after ") || strings.Contains(stderr, "\n") ||
		!strings.HasSuffix(stderr, "\r") {
		t.Errorf("tty stderr %q, want a bar redrawn in place, showing the polls, and cleared", stderr)
	}
	if !strings.Contains(stdout, "\x1b[31;1mnot_found") {
		t.Errorf("tty stdout %q, want the result", stdout)
	}
}

// TestCutShortEveryDomain: a run that --timeout cuts short still prints
// one object per requested domain (status error, check.cancelled), in
// json and jsonl, and exits 1.
func TestCutShortEveryDomain(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, testZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	domains := []string{"a.test", "b.test", "c.test", "main.test"}
	for _, format := range []string{"json", "jsonl"} {
		args := append([]string{"verify", "dns", "--nameserver", srv.Addr, "--code", testCode, "--timeout", "1ns", "-o", format}, domains...)
		code, stdout, stderr := runCmd(t, false, env, args...)
		if code != 1 {
			t.Errorf("%s: exit code = %d, want 1 (stderr %q)", format, code, stderr)
		}
		var got []verify.Result
		dec := json.NewDecoder(strings.NewReader(stdout))
		if format == "json" {
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%s: %v in %q", format, err, stdout)
			}
		} else {
			for dec.More() {
				var r verify.Result
				if err := dec.Decode(&r); err != nil {
					t.Fatalf("%s: %v in %q", format, err, stdout)
				}
				got = append(got, r)
			}
		}
		var gotDomains []string
		for _, r := range got {
			gotDomains = append(gotDomains, r.Domain)
			if r.Status != verify.StatusError || len(r.Findings) == 0 || r.Findings[0].Code != verify.CodeCancelled {
				t.Errorf("%s: %s is %s with %+v, want error with check.cancelled", format, r.Domain, r.Status, r.Findings)
			}
		}
		slices.Sort(gotDomains)
		if !slices.Equal(gotDomains, domains) {
			t.Errorf("%s: objects for %v, want one for each of %v", format, gotDomains, domains)
		}
	}
}

// Diagnose may walk down from the Internet's root servers only when orgctl
// uses the system's resolvers on the standard port: a run pointed at test
// or sandbox servers (--resolver, --nameserver, --ns-port) never asks them.
func TestCheckerRoots(t *testing.T) {
	if _, err := config.SystemResolvers(config.ResolvConf); err != nil {
		t.Skipf("no system resolvers to test with: %v", err)
	}
	for _, tc := range []struct {
		name string
		set  func(o *globalOptions)
		want bool
	}{
		{"system resolvers", func(o *globalOptions) {}, true},
		{"--resolver", func(o *globalOptions) { o.Resolvers = []string{"127.0.0.1:5353"} }, false},
		{"--nameserver", func(o *globalOptions) { o.Nameservers = []string{"127.0.0.1:5300"} }, false},
		{"--ns-port", func(o *globalOptions) { o.NSPort = 5300 }, false},
	} {
		io, _, _, _ := testIO(false)
		f := newFactory(io, func(string) (string, bool) { return "", false })
		f.opts.NSPort = 53
		tc.set(f.opts)
		c, err := f.checker()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := len(c.Roots) > 0; got != tc.want {
			t.Errorf("%s: roots %v, want roots: %v", tc.name, c.Roots, tc.want)
		}
	}
}
