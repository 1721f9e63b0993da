package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// bulkZone is main.test with the code at every name (a wildcard) but
// www, which has an address and no TXT record.
const bulkZone = testZone + `*   IN TXT "` + testCode + `"
`

// runIn is runCmd with stdin.
func runIn(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	io, in, out, errOut := testIO(false)
	in.WriteString(stdin)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := newFactory(io, lookup)
	f.now = func() time.Time { return time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC) }
	f.readResolvConf = func() ([]string, error) { return nil, nil }
	code = executeWith(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// jsonlResults decodes one result a line.
func jsonlResults(t *testing.T, stdout string) []verify.Result {
	t.Helper()
	var out []verify.Result
	for line := range strings.Lines(stdout) {
		var r verify.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad jsonl line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// TestVerifyStdinStreams: names from stdin are checked as they come; a
// bad line gets an error result naming it, the others are checked, a
// duplicate once, and the run exits 2.
func TestVerifyStdinStreams(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, bulkZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	stdin := "# list\nA.main.test\n\nbad_name!.test\nwww.main.test\na.main.test.\n"
	code, stdout, stderr := runIn(t, stdin, env, "verify", "dns", "-", "--nameserver", srv.Addr, "--code", testCode, "-o", "jsonl", "--ordered")
	if code != exitUsage {
		t.Errorf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
	}
	if !strings.Contains(stderr, "line 4") || !strings.Contains(stderr, "bad_name!") {
		t.Errorf("stderr %q does not name line 4 and its text", stderr)
	}
	var got []string
	for _, r := range jsonlResults(t, stdout) {
		got = append(got, r.Domain+" "+string(r.Status))
	}
	want := []string{"a.main.test verified", "bad_name!.test error", "www.main.test not_found"}
	if !slices.Equal(got, want) {
		t.Errorf("results %q, want %q", got, want)
	}
}

// TestVerifyStdinControlCharacters: a line with a terminal escape is an
// error row like any bad line, and its text reaches the terminal escaped.
func TestVerifyStdinControlCharacters(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, bulkZone)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	stdin := "ma\x1b]0;pwned\x07in.test\na.main.test\n"
	code, stdout, stderr := runIn(t, stdin, env, "verify", "dns", "-", "--nameserver", srv.Addr, "--code", testCode)
	if code != exitUsage {
		t.Errorf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
	}
	if strings.ContainsAny(stdout+stderr, "\x1b\x07") {
		t.Errorf("a control character reached the terminal:\nstdout %q\nstderr %q", stdout, stderr)
	}
	if !strings.Contains(stdout, `ma\x1b]0;pwned\ain.test: error`) || !strings.Contains(stdout, "a.main.test: verified") {
		t.Errorf("stdout %q: want the bad line escaped as an error row, and the good one verified", stdout)
	}
}

// TestVerifyStdinEmpty: stdin with no domain (empty, or only comments and
// blank lines) is a usage error, as an empty --file is, not a pass.
func TestVerifyStdinEmpty(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	for _, stdin := range []string{"", "# nothing yet\n\n"} {
		for _, cmd := range [][]string{{"verify", "dns", "-"}, {"verify", "-", "-o", "jsonl"}, {"diagnose", "-"}} {
			code, _, stderr := runIn(t, stdin, env, append(cmd, "--nameserver", "127.0.0.1:9", "--code", testCode)...)
			if code != exitUsage || !strings.Contains(stderr, "stdin held none") {
				t.Errorf("%q with stdin %q: exit %d, stderr %q; want %d", cmd, stdin, code, stderr, exitUsage)
			}
		}
	}
}

// TestVerifyFile: --file is checked whole before anything runs; a good
// file is checked, with a summary on stderr in text mode.
func TestVerifyFile(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, bulkZone)
	dir := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": dir}
	bad := filepath.Join(dir, "bad.txt")
	good := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(bad, []byte("a.main.test\nb.main.test\n10.0.0.1 # an address\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("# ours\na.main.test\nb.main.test  # second\n\nwww.main.test\nA.main.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"verify", "dns", "--nameserver", srv.Addr, "--code", testCode}

	code, stdout, stderr := runIn(t, "", env, append(base, "--file", bad)...)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "line 3") || !strings.Contains(stderr, "10.0.0.1") {
		t.Errorf("bad file: exit %d, stdout %q, stderr %q; want exit 2, nothing checked, line 3 named", code, stdout, stderr)
	}
	if n := len(srv.Queries()); n != 0 {
		t.Errorf("bad file: %d queries sent, want none", n)
	}

	code, stdout, stderr = runIn(t, "", env, append(base, "--file", good)...)
	wantOut := "a.main.test: verified (dns, a.main.test., 1/1 authoritative server)\n" +
		"b.main.test: verified (dns, b.main.test., 1/1 authoritative server)\n" +
		"www.main.test: not_found (dns, www.main.test., 0/1 authoritative server)\n"
	if code != exitNotVerified || !strings.HasPrefix(stdout, wantOut[:60]) || strings.Count(stdout, ": verified") != 2 {
		t.Errorf("good file: exit %d, stdout %q; want exit 3 and\n%s", code, stdout, wantOut)
	}
	for _, want := range []string{"orgctl: 3 domains in ", "not_found 1, verified 2", "DNS queries", "findings: dns.nodata 1"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary %q lacks %q", stderr, want)
		}
	}
	code, stdout, stderr = runIn(t, "", env, append(base, "--file", good, "-q")...)
	if code != exitNotVerified || stdout != "" || stderr != "" {
		t.Errorf("-q: exit %d, stdout %q, stderr %q; want exit 3 and nothing printed", code, stdout, stderr)
	}
}

// TestVerifyStored: --stored checks every stored code; a domain that
// verified before and not now gets code.lost with the date.
func TestVerifyStored(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, bulkZone)
	home := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": home}
	st, err := store.Open(t.Context(), filepath.Join(home, "orgctl"))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	uuid := strings.TrimPrefix(testCode, "logmein-verification-code=")
	for _, d := range []string{"a.main.test", "www.main.test", "new.main.test"} {
		if err := st.PutCode(t.Context(), store.Code{Domain: d, Code: uuid, CreatedAt: created, ExpiresAt: created.AddDate(0, 0, 10)}, false); err != nil {
			t.Fatal(err)
		}
	}
	verified := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, d := range []string{"a.main.test", "www.main.test"} {
		if err := st.RecordCheck(t.Context(), d, store.Check{At: verified, Method: "dns", Name: d, Status: store.StatusVerified}); err != nil {
			t.Fatal(err)
		}
	}

	code, stdout, stderr := runIn(t, "", env, "verify", "dns", "--stored", "--nameserver", srv.Addr, "-o", "jsonl", "--ordered")
	if code != exitNotVerified {
		t.Errorf("exit %d, want %d (stderr %q)", code, exitNotVerified, stderr)
	}
	lost := map[string]string{}
	var domains []string
	for _, r := range jsonlResults(t, stdout) {
		domains = append(domains, r.Domain)
		for _, f := range r.Findings {
			if f.Code == verify.CodeLost {
				lost[r.Domain] = f.Message
			}
		}
	}
	if want := []string{"a.main.test", "new.main.test", "www.main.test"}; !slices.Equal(domains, want) {
		t.Errorf("checked %q, want every stored domain %q", domains, want)
	}
	if len(lost) != 1 || !strings.Contains(lost["www.main.test"], "2026-11-27T12:00:00Z") {
		t.Errorf("code.lost findings %q, want one for www.main.test naming 2026-11-27T12:00:00Z", lost)
	}
	if code, _, stderr := runIn(t, "", env, "verify", "dns", "--stored", "--code", testCode); code != exitUsage {
		t.Errorf("--stored --code: exit %d (stderr %q), want %d", code, stderr, exitUsage)
	}
}

const helperArgsEnv = "ORGCTL_TEST_HELPER_ARGS"

// TestHelperOrgctl runs orgctl in a subprocess for
// TestHistorySurvivesKill.
func TestHelperOrgctl(t *testing.T) {
	args := os.Getenv(helperArgsEnv)
	if args == "" {
		t.Skip("helper for TestHistorySurvivesKill")
	}
	os.Exit(run(strings.Split(args, "\x1f"), systemIO()))
}

// TestHistorySurvivesKill: the history is written in batches while the
// run goes on; a run killed with SIGKILL keeps every full batch. The
// domains come from a stdin that stays open, so the run is still going
// when it is killed.
func TestHistorySurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	srv := verifytest.Start(t, verifytest.Options{}, bulkZone)
	home := t.TempDir()
	args := []string{"verify", "dns", "-", "--nameserver", srv.Addr, "--code", testCode, "-o", "jsonl"}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOrgctl$")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+strings.Join(args, "\x1f"), "XDG_STATE_HOME="+home)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	const n = 2*store.HistoryBatch + 40
	go func() {
		for i := range n {
			fmt.Fprintf(stdin, "n%d.main.test\n", i)
		}
		// stdin stays open: the run waits for more.
	}()
	sc := bufio.NewScanner(stdout)
	lines := 0
	for lines < n && sc.Scan() {
		lines++
	}
	if lines < n {
		t.Fatalf("got %d results before the output ended, want %d (%v)", lines, n, sc.Err())
	}
	// The history is written behind the results: wait until both full
	// batches are in, then kill the run, which still waits for stdin.
	before := 0
	for try := 0; before < 2*store.HistoryBatch; try++ {
		if try == 300 {
			t.Fatalf("%d checks recorded after %d results, want %d", before, n, 2*store.HistoryBatch)
		}
		time.Sleep(100 * time.Millisecond)
		before = recordedChecks(t, home, n)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	if got := recordedChecks(t, home, n); got < before {
		t.Errorf("%d checks recorded after kill -9, want at least the %d seen before", got, before)
	}
}

// recordedChecks counts the checks of n0…n(n-1).main.test in the store
// under home; each domain has at most one.
func recordedChecks(t *testing.T, home string, n int) int {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(home, "orgctl"))
	if err != nil {
		t.Fatalf("state after kill -9: %v", err)
	}
	recorded := 0
	for i := range n {
		hist, err := st.Checks(t.Context(), fmt.Sprintf("n%d.main.test", i))
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) > 1 {
			t.Errorf("n%d.main.test has %d checks, want at most 1", i, len(hist))
		}
		recorded += len(hist)
	}
	return recorded
}
