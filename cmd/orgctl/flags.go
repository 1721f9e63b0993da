package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// daysDuration is the value of every duration flag (--timeout, --validity,
// --wait, --interval…), so that flags, ORGCTL_* variables and config values
// all take one syntax: a Go duration (90s, 15m, 1h30m) or whole days (10d),
// since code validity is naturally said in days.
type daysDuration struct{ d *time.Duration }

// newDaysDuration returns a duration flag value that sets *p, initially def:
//
//	fs.Var(newDaysDuration(&opts.Wait, 0), "wait", "…")
func newDaysDuration(p *time.Duration, def time.Duration) *daysDuration {
	*p = def
	return &daysDuration{d: p}
}

// Set parses s: whole days ("10d") or a Go duration.
func (v *daysDuration) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want e.g. 10d, 72h or 90m", s)
		}
		*v.d = time.Duration(days) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: want e.g. 10d, 72h or 90m", s)
	}
	*v.d = d
	return nil
}

// String renders the value the way Set reads it, in days when whole.
func (v *daysDuration) String() string {
	if v.d == nil {
		return ""
	}
	if *v.d == 0 {
		return "0" // pflag shows no "(default …)" for it
	}
	if *v.d%(24*time.Hour) == 0 && *v.d > 0 {
		return fmt.Sprintf("%dd", *v.d/(24*time.Hour))
	}
	return v.d.String()
}

// Type names the value in help: "duration" like pflag's own.
func (v *daysDuration) Type() string { return "duration" }

// annotationNonEmpty marks a flag that, when given, must have a value.
const annotationNonEmpty = "orgctl_nonempty"

// requireValue makes an empty value of the flag name a usage error:
// `--code "$CODE"` with CODE unset must not fall back to the default (a
// generated or the stored code) as if no --code had been given.
func requireValue(fs *flagSet, name string) {
	_ = fs.SetAnnotation(name, annotationNonEmpty, []string{"true"})
}

// checkNonEmpty refuses an empty value given on the command line for a
// flag marked with requireValue.
func checkNonEmpty(fs *flagSet) error {
	var err error
	fs.Visit(func(fl *pflag.Flag) {
		if err == nil && fl.Annotations[annotationNonEmpty] != nil && strings.TrimSpace(fl.Value.String()) == "" {
			err = usageErrorf(fmt.Sprintf("give a value, or leave --%s out", fl.Name), "--%s is empty (an unset variable?)", fl.Name)
		}
	})
	return err
}
