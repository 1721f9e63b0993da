package main

import (
	"strings"
	"testing"
	"time"
)

// TestCodeNewSubdomainWarning holds that a --subdomain that looks fully
// qualified but is not under the domain is stored relative to it, as asked,
// with a warning that says what was probably meant.
func TestCodeNewSubdomainWarning(t *testing.T) {
	tests := []struct {
		args        []string
		wantStored  string
		wantWarning string // "" for none
	}{
		{[]string{"sub.main.com", "--subdomain", "www.other.com"}, "www.other.com.sub.main.com",
			"orgctl: warning: --subdomain www.other.com is not under sub.main.com, so it is taken relative to it: the record goes at www.other.com.sub.main.com; if you meant www.other.com, that is another domain: run 'orgctl code new www.other.com'\n"},
		{[]string{"sub.main.com", "--subdomain", "www.main.com"}, "www.main.com.sub.main.com", "if you meant www.main.com,"},
		{[]string{"main.com", "--subdomain", "eu.shop"}, "eu.shop.main.com", ""},
		{[]string{"main.com", "--subdomain", "www"}, "www.main.com", ""},
		{[]string{"main.com", "--subdomain", "www.main.com"}, "www.main.com", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
			code, stdout, stderr := runCmd(t, false, env, append([]string{"code", "new", "-o", "json"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, `"subdomains": [
    "`+tt.wantStored+`"`) {
				t.Errorf("stdout %s, want the subdomain %s stored", stdout, tt.wantStored)
			}
			switch {
			case tt.wantWarning == "" && stderr != "":
				t.Errorf("stderr %q, want nothing", stderr)
			case !strings.Contains(stderr, tt.wantWarning):
				t.Errorf("stderr %q, want %q", stderr, tt.wantWarning)
			}
		})
	}
}

// TestEmptyFlagValueRefused holds that an empty --code (an unset variable in a
// script) is a usage error, not a silent fall back to a generated or stored
// code.
func TestEmptyFlagValueRefused(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	for _, args := range [][]string{
		{"code", "new", "main.test", "--code", ""},
		{"code", "new", "main.test", "--code="},
		{"verify", "dns", "main.test", "--code", "", "--nameserver", "127.0.0.1:9"},
	} {
		code, stdout, stderr := runCmd(t, false, env, args...)
		if code != exitUsage || !strings.Contains(stderr, "--code is empty") {
			t.Errorf("orgctl %q: exit %d, stderr %q; want exit 2 and --code is empty", args, code, stderr)
		}
		if stdout != "" {
			t.Errorf("orgctl %q: stdout %q, want nothing", args, stdout)
		}
	}
	code, stdout, _ := runCmd(t, false, env, "code", "list", "-o", "json")
	if code != exitOK || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("code list after the refusals: exit %d, %q; want nothing stored", code, stdout)
	}
}

// TestCodeListTable holds the text list: aligned under a header on a
// terminal, tab-separated without it when piped.
func TestCodeListTable(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	if code, _, stderr := runCmd(t, false, env, "code", "new", "main.test", "--code", "668e156b-f5d3-430e-9944-f1d4385d043e", "-q"); code != exitOK {
		t.Fatalf("code new: exit %d, %s", code, stderr)
	}
	tests := []struct {
		tty  bool
		want string
	}{
		{false, "main.test\t668e156b-f5d3-430e-9944-f1d4385d043e\tactive\t2026-11-28\t2026-12-08\tnever\n"},
		{true, "DOMAIN     CODE                                  STATUS  CREATED     EXPIRES     LAST CHECK\n" +
			"main.test  668e156b-f5d3-430e-9944-f1d4385d043e  active  2026-11-28  2026-12-08  never\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCmd(t, tt.tty, env, "code", "list", "--no-color")
		if code != exitOK || stdout != tt.want {
			t.Errorf("tty %v: exit %d, stdout\n%q\nwant\n%q (stderr %q)", tt.tty, code, stdout, tt.want, stderr)
		}
	}
	code, stdout, _ := runCmd(t, false, env, "code", "revoke", "main.test", "-o", "jsonl")
	if code != exitOK || !strings.Contains(stdout, `"status":"revoked"`) {
		t.Errorf("code revoke -o jsonl: exit %d, %q; want the revoked code", code, stdout)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 90 * time.Second: "90 seconds", 5 * time.Minute: "5 minutes",
		3 * time.Hour: "3 hours", 10 * 24 * time.Hour: "10 days", -time.Second: "1 second",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %q, want %q", d, got, want)
		}
	}
}
