package main

import (
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
