package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestDurationFlagsOneSyntax holds that every duration flag of every
// command, and so every ORGCTL_* variable and config value behind it,
// accepts the same forms: Go durations and whole days.
func TestDurationFlagsOneSyntax(t *testing.T) {
	io, _, _, _ := testIO(false)
	root := newRootCmd(newFactory(io, func(string) (string, bool) { return "", false }))
	n := 0
	walkFlags(root, func(c *cobra.Command, fl *pflag.Flag) {
		if fl.Value.Type() != "duration" {
			return
		}
		n++
		if _, ok := fl.Value.(*daysDuration); !ok {
			t.Errorf("%s --%s is a %T, want a daysDuration", c.CommandPath(), fl.Name, fl.Value)
		}
		for _, in := range []string{"10d", "90m", "1h30m", "2s"} {
			if err := fl.Value.Set(in); err != nil {
				t.Errorf("%s --%s %s: %v", c.CommandPath(), fl.Name, in, err)
			}
		}
		if err := fl.Value.Set("1.5d"); err == nil {
			t.Errorf("%s --%s 1.5d: no error, want one (whole days only)", c.CommandPath(), fl.Name)
		}
	})
	if n < 3 {
		t.Errorf("found %d duration flags, want --timeout, --validity, --wait, --interval…", n)
	}
}

func TestDaysDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		str     string
		wantErr bool
	}{
		{in: "10d", want: 240 * time.Hour, str: "10d"},
		{in: " 3d ", want: 72 * time.Hour, str: "3d"},
		{in: "72h", want: 72 * time.Hour, str: "3d"},
		{in: "90m", want: 90 * time.Minute, str: "1h30m0s"},
		{in: "0", want: 0, str: "0"},
		{in: "d", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "ten days", wantErr: true},
		{in: "36500d", want: 36500 * 24 * time.Hour, str: "36500d"},
		{in: "213504d", wantErr: true}, // wrapped round to 25 minutes
		{in: "106752d", wantErr: true}, // wrapped round to a negative duration
	}
	for _, tt := range tests {
		var d time.Duration
		v := newDaysDuration(&d, time.Minute)
		err := v.Set(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Set(%q): error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && (d != tt.want || v.String() != tt.str) {
			t.Errorf("Set(%q) = %v (%q), want %v (%q)", tt.in, d, v.String(), tt.want, tt.str)
		}
	}
}

// TestStringsValueIsPflagsStringSlice holds that stringsValue reads and
// prints every command line as pflag's own StringSlice does, so that
// replacing it changed no behaviour: values, help and viper's reading.
func TestStringsValueIsPflagsStringSlice(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"a"},
		{"a,b"},
		{"a", "b,c"},
		{""},
		{"", "a"},
		{`"a,b",c`},
		{`"say ""hi"""`},
		{" lead", "tail "},
		{"a\nb"},
		{`\.`},
		{"\vbob", "\u00a0x", "x\u00a0"},
		{"8.8.8.8:53", "[::1]:53"},
	} {
		var got, want []string
		mine := pflag.NewFlagSet("mine", pflag.ContinueOnError)
		stringsVar(mine, &got, "x", "usage")
		theirs := pflag.NewFlagSet("theirs", pflag.ContinueOnError)
		theirs.StringSliceVar(&want, "x", nil, "usage")
		var line []string
		for _, a := range args {
			line = append(line, "--x="+a)
		}
		errMine, errTheirs := mine.Parse(line), theirs.Parse(line)
		if (errMine == nil) != (errTheirs == nil) {
			t.Errorf("%q: error %v, pflag's %v", args, errMine, errTheirs)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: values %q, pflag's %q", args, got, want)
		}
		if m, p := mine.Lookup("x").Value.String(), theirs.Lookup("x").Value.String(); m != p {
			t.Errorf("%q: String() %q, pflag's %q", args, m, p)
		}
	}
	mine := pflag.NewFlagSet("mine", pflag.ContinueOnError)
	var v []string
	stringsVar(mine, &v, "resolver", "a resolver, repeatable")
	theirs := pflag.NewFlagSet("theirs", pflag.ContinueOnError)
	theirs.StringSlice("resolver", nil, "a resolver, repeatable")
	if m, p := mine.FlagUsages(), theirs.FlagUsages(); m != p {
		t.Errorf("help:\n%s\npflag's:\n%s", m, p)
	}
	sv := mine.Lookup("resolver").Value.(pflag.SliceValue)
	_ = sv.Replace([]string{"x", "y"})
	_ = sv.Append("z")
	if got := sv.GetSlice(); !slices.Equal(got, []string{"x", "y", "z"}) {
		t.Errorf("Replace x,y then Append z: %q", got)
	}
}

// TestFlagsOutOfRange holds that a number far out of a flag's range is a
// usage error naming the flag, not a run that eats the memory (a huge
// --concurrency), hammers a server (--interval 1ns) or never ends (--rate
// 1e-300).
func TestFlagsOutOfRange(t *testing.T) {
	for _, args := range [][]string{
		{"verify", "dns", "main.com", "--concurrency", "99999999999"},
		{"verify", "main.com", "--concurrency", "5000"},
		{"verify", "dns", "main.com", "--wait", "10s", "--interval", "1ns"},
		{"verify", "dns", "main.com", "--timeout", "213504d"},
		{"code", "new", "main.com", "--validity", "213504d"},
		{"scim", "sync", "users.csv", "--concurrency", "100000"},
		{"scim", "sync", "users.csv", "--rate", "NaN"},
		{"scim", "sync", "users.csv", "--rate", "1e-300"},
		{"scim", "sync", "users.csv", "--rate", "-1"},
	} {
		code, _, stderr := runCmd(t, false, map[string]string{"ORGCTL_RESOLVER": "127.0.0.1:9"}, args...)
		flag := args[len(args)-2]
		if code != exitUsage || !strings.Contains(stderr, flag) {
			t.Errorf("%q: exit %d, stderr %q; want %d naming %s", args, code, stderr, exitUsage, flag)
		}
	}
}
