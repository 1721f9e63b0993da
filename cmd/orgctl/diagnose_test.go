package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

func TestWrap(t *testing.T) {
	lines := wrap("the quick brown fox jumps over the lazy dog again and again", 20)
	for _, l := range lines {
		if len([]rune(l)) > 20 {
			t.Errorf("line %q is longer than 20", l)
		}
	}
	if got := strings.Join(lines, " "); got != "the quick brown fox jumps over the lazy dog again and again" {
		t.Errorf("wrap lost words: %q", got)
	}
	long := strings.Repeat("x", 30)
	if got := wrap("a "+long+" b", 20); len(got) != 3 || got[1] != long {
		t.Errorf("a word longer than the width gets a line of its own: %q", got)
	}
}

// TestDiagnoseReportColours: a terminal gets colours, a pipe or
// --no-color none, and the report keeps its order: verdict, errors, fix.
func TestDiagnoseReportColours(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, `$ORIGIN main.test.
$TTL 300
@   IN SOA ns1.main.test. hostmaster.main.test. ( 1 3600 600 86400 60 )
@   IN NS  ns1.main.test.
@   IN TXT "LOGMEIN-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"
`)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	args := []string{"diagnose", "main.test", "--nameserver", srv.Addr, "--code", testCode,
		"--connect-to", "main.test:80:127.0.0.1:1"} // nothing listens on port 1: refused
	code, out, _ := runCmd(t, true, env, args...)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, out)
	}
	for _, want := range []string{"\x1b[1mmain.test\x1b[22m: \x1b[31;1mnot verified", "\x1b[31;1m1 error\x1b[0;22m", "dns.near_miss.case", "\x1b[2mnot in use: http://main.test/logmein-verification-code.txt: connection refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("tty report lacks %q:\n%s", want, out)
		}
	}
	iVerdict, iErr, iFix := strings.Index(out, "not verified"), strings.Index(out, "error"), strings.Index(out, "fix ")
	if iVerdict >= iErr || iErr >= iFix {
		t.Errorf("want verdict, then errors, then the fix:\n%s", out)
	}
	_, plain, _ := runCmd(t, true, env, append(args, "--no-color")...)
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("--no-color report has escapes:\n%s", plain)
	}
	_, piped, _ := runCmd(t, false, env, args...)
	// A typical failure fits one screen: at most 24 lines of at most 100
	// columns.
	lines := strings.Split(strings.TrimSuffix(piped, "\n"), "\n")
	if len(lines) > 24 {
		t.Errorf("report of %d lines, want one screen", len(lines))
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	if strings.Contains(piped, "\x1b[") || !strings.Contains(piped, "main.test: not verified (dns: mismatch, http: error)") {
		t.Errorf("piped report:\n%s", piped)
	}
}

// TestFindingsTopicShown: the findings topic's text is made when it is
// shown (not when the tree is built), by each way of asking for it.
func TestFindingsTopicShown(t *testing.T) {
	want := findingsHelp()
	for _, args := range [][]string{{"help", "findings"}, {"findings", "--help"}, {"findings"}} {
		code, out, errOut := runCmd(t, false, nil, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("orgctl %s: exit %d, stdout %d bytes without the catalogue, stderr %q; want exit 0 and the catalogue",
				strings.Join(args, " "), code, len(out), errOut)
		}
	}
}

// TestFindingCodesDocumented: every code of the catalogue is in the
// README's list and in 'orgctl help findings', with its explanation.
func TestFindingCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, list, _ := strings.Cut(string(readme), "\n## Findings\n")
	list, _, _ = strings.Cut(list, "\n## ")
	help := findingsHelp()
	for _, e := range verify.Catalogue() {
		if !strings.Contains(list, "`"+e.Code+"`") {
			t.Errorf("README's Findings section lacks %s", e.Code)
		}
		if !strings.Contains(help, "  "+e.Code+" ") || e.Why == "" || !strings.Contains(strings.Join(strings.Fields(help), " "), e.Why) {
			t.Errorf("orgctl help findings lacks %s or its explanation", e.Code)
		}
	}
}

// TestKnownCode: a code the store holds is named with its domain, age and
// what replaced it; others are unknown.
func TestKnownCode(t *testing.T) {
	const (
		first  = "11111111-2222-4333-8444-555555555555"
		second = "22222222-2222-4333-8444-555555555555"
		third  = "33333333-2222-4333-8444-555555555555"
	)
	st, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	for i, c := range []string{first, second, third} {
		if err := st.PutCode(t.Context(), store.Code{Domain: "main.test", Code: c, CreatedAt: day(1 + 10*i)}, true); err != nil {
			t.Fatal(err)
		}
	}
	io, _, _, _ := testIO(false)
	f := newFactory(io, func(string) (string, bool) { return "", false })
	f.now = func() time.Time { return day(28) }
	known := f.knownCode(t.Context(), st)
	for _, tt := range []struct{ uuid, want string }{
		{first, "an earlier code of main.test, generated on 2026-11-01 (27 days ago) and replaced on 2026-11-11 by logmein-verification-code=" + second},
		{second, "an earlier code of main.test, generated on 2026-11-11 (17 days ago) and replaced on 2026-11-21 by logmein-verification-code=" + third},
		{third, "the current code of main.test, generated on 2026-11-21 (7 days ago)"},
	} {
		if got, ok := known(tt.uuid); !ok || got != tt.want {
			t.Errorf("known(%s) = %q, %v; want %q", tt.uuid, got, ok, tt.want)
		}
	}
	if got, ok := known("44444444-2222-4333-8444-555555555555"); ok {
		t.Errorf("an unknown code is described: %q", got)
	}
}
