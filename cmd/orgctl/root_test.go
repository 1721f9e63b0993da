package main

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestUnknownSubcommand holds that a group command (one without its own
// action) refuses a word it does not know with a usage error that names the
// word and suggests the closest subcommand, through the real cobra path.
func TestUnknownSubcommand(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	tests := []struct {
		args    []string
		wantErr string // in stderr
		suggest string // the suggestion, when there is one
	}{
		{[]string{"code", "revok", "main.test"}, `unknown command "revok" for "orgctl code"`, "revoke"},
		{[]string{"code", "lst"}, `unknown command "lst" for "orgctl code"`, "list"},
		{[]string{"scim", "synk"}, `unknown command "synk" for "orgctl scim"`, ""},
		{[]string{"scim", "users", "lst"}, `unknown command "lst" for "orgctl scim users"`, "list"},
		{[]string{"config", "frob"}, `unknown command "frob" for "orgctl config"`, ""},
		{[]string{"config", "shwo"}, `unknown command "shwo" for "orgctl config"`, "show"},
		{[]string{"help", "frob"}, `unknown help topic "frob"`, ""},
		{[]string{"help", "exit-code"}, `unknown help topic "exit-code"`, "exit-codes"},
		{[]string{"help", "code", "revok"}, `unknown help topic "code revok"`, "revoke"},
		{[]string{"completion", "tcsh"}, `unknown command "tcsh" for "orgctl completion"`, ""},
		{[]string{"completion", "bsah"}, `unknown command "bsah" for "orgctl completion"`, "bash"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "orgctl"`, ""},
		{[]string{"verion"}, `unknown command "verion" for "orgctl"`, "version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, false, env, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing (no help on a usage error)", stdout)
			}
			if !strings.Contains(stderr, "orgctl: error: "+tt.wantErr) {
				t.Errorf("stderr %q, want the error %q", stderr, tt.wantErr)
			}
			if tt.suggest != "" && !strings.Contains(stderr, `did you mean "`+tt.suggest+`"?`) {
				t.Errorf("stderr %q, want the suggestion %q", stderr, tt.suggest)
			}
		})
	}
}

// TestGroupWithoutWordShowsHelp holds that a group command given no word
// still shows its help and succeeds.
func TestGroupWithoutWordShowsHelp(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	for _, args := range [][]string{{"code"}, {"scim"}, {"config"}, {"completion"}, {"help"}, {"help", "code"}, {}} {
		code, stdout, stderr := runCmd(t, false, env, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage:") {
			t.Errorf("orgctl %s: exit %d, stdout %.60q, stderr %q; want exit 0 and help", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}

// TestQuietPrintsNothing holds that -q silences stdout for commands that
// only print.
func TestQuietPrintsNothing(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	for _, args := range [][]string{{"version", "-q"}, {"version", "-q", "-o", "json"}, {"config", "show", "-q"}, {"code", "list", "-q"}} {
		code, stdout, stderr := runCmd(t, false, env, args...)
		if code != exitOK || stdout != "" {
			t.Errorf("orgctl %s: exit %d, stdout %q (stderr %q), want exit 0 and nothing", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}

// TestCatchSignals: a command catches SIGINT and SIGTERM once it is known,
// except an instant one (version), which pays nothing for it at start-up.
func TestCatchSignals(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		catch bool
	}{
		{[]string{"version"}, false},
		{[]string{"code", "list", "--state-dir", t.TempDir()}, true},
	} {
		streams, _, _, _ := testIO(false)
		f := newFactory(streams, func(string) (string, bool) { return "", false })
		f.signals = true
		if code := executeWith(context.Background(), f, tt.args); code != 0 {
			t.Fatalf("orgctl %v: exit %d, want 0", tt.args, code)
		}
		if got := f.interrupted != nil; got != tt.catch {
			t.Errorf("orgctl %v: caught signals %v, want %v", tt.args, got, tt.catch)
		}
	}
}

// TestTreeForCommandLine holds that the tree newRootCmdFor builds for a
// command line runs the same command as the whole tree would, with the
// same arguments, and that a command it leaves out is a stand-in with the
// real command's name and summary.
func TestTreeForCommandLine(t *testing.T) {
	env := func(string) (string, bool) { return "", false }
	io, _, _, _ := testIO(false)
	whole := newRootCmd(newFactory(io, env))
	for _, args := range [][]string{
		{},
		{"version"},
		{"-o", "json", "version"},
		{"--timeout", "5s", "verify", "dns", "main.com"},
		{"--state-dir", "verify", "code", "list"},
		{"--config=x.yaml", "scim", "users", "list"},
		{"verify", "--resolver", "127.0.0.1:53", "http", "main.com"},
		{"diagnose", "-", "-q"},
		{"--help", "verify"},
		{"-v", "code", "new", "main.com", "--code", "scim"},
		{"sandbox", "--dir", "z"},
		{"config", "show"},
		{"help", "verify", "dns"},
		{"completion", "bash"},
		{"verfy", "main.com"},
		{"--", "version"},
	} {
		want, wantArgs, wantErr := whole.Find(args)
		partial := newRootCmdFor(newFactory(io, env), args)
		got, gotArgs, gotErr := partial.Find(args)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%q: error %v, whole tree %v", args, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		if got.CommandPath() != want.CommandPath() || !slices.Equal(gotArgs, wantArgs) {
			t.Errorf("%q: runs %q %q, whole tree %q %q", args, got.CommandPath(), gotArgs, want.CommandPath(), wantArgs)
		}
		if got.Annotations[annotationStandIn] != "" {
			t.Errorf("%q: runs a stand-in", args)
		}
	}

	bare := newRootBare(newFactory(io, env), func(string) bool { return false })
	for _, c := range whole.Commands() {
		stand, _, err := bare.Find([]string{c.Name()})
		if c.Name() == "help" || c.Name() == "completion" || c.Parent() != whole {
			continue
		}
		if err != nil || stand.Name() != c.Name() || stand.Short != c.Short || len(c.Aliases) > 0 || c.Hidden != stand.Hidden {
			t.Errorf("%s: stand-in %q %q (%v), command %q %q aliases %q", c.Name(), stand.Name(), stand.Short, err, c.Name(), c.Short, c.Aliases)
		}
	}
}

// TestCompletionScriptOnStdout holds that `orgctl completion SHELL`
// writes its script where every other output goes (the command's
// stdout), not to the process's os.Stdout behind it.
func TestCompletionScriptOnStdout(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, stderr := runCmd(t, false, nil, "completion", shell)
		if code != exitOK || !strings.Contains(stdout, "orgctl") || len(stdout) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes on stdout (stderr %q)", shell, code, len(stdout), stderr)
		}
	}
}
