package main

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// maxDays is the longest duration in days: a time.Duration holds about
// 292 years, and a longer one wrapped round to minutes.
const maxDays = 100 * 365

// Set parses s: whole days ("10d") or a Go duration.
func (v *daysDuration) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want e.g. 10d, 72h or 90m", s)
		}
		if days > maxDays || days < -maxDays {
			return fmt.Errorf("invalid duration %q: at most %dd", s, maxDays)
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

// stringsValue is the value of every repeatable string flag (--resolver,
// --subdomain, --member…): pflag's StringSlice semantics and type name
// (each value read as CSV, the first given replaces the default, the
// next ones add to it; help shows "strings"), without its cost at start:
// pflag formats each default through an encoding/csv writer with a 4 KB
// buffer, which every command line paid for every such flag of the tree
// (a quarter of the bytes allocated to build it).
type stringsValue struct {
	p       *[]string
	changed bool
}

// stringsVar defines a repeatable string flag that sets *p, initially nil.
func stringsVar(fs *pflag.FlagSet, p *[]string, name, usage string) {
	*p = nil
	fs.Var(&stringsValue{p: p}, name, usage)
	fs.Lookup(name).DefValue = "" // pflag's help hides an empty default spelled so
}

// Set reads one value given on the command line as CSV ("a,b", or
// `"a,b"` for one value with a comma).
func (v *stringsValue) Set(s string) error {
	vals, err := readCSV(s)
	if err != nil {
		return err
	}
	if !v.changed {
		*v.p = vals
		v.changed = true
	} else {
		*v.p = append(*v.p, vals...)
	}
	return nil
}

func readCSV(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	if !strings.ContainsAny(s, "\"\r\n") {
		return strings.Split(s, ","), nil
	}
	return csv.NewReader(strings.NewReader(s)).Read()
}

// String renders the values as pflag's StringSlice does: "[a,b]", each
// value quoted as CSV when it has to be (viper reads it back so).
func (v *stringsValue) String() string {
	if v.p == nil {
		return "[]"
	}
	plain := true
	for _, s := range *v.p {
		// encoding/csv's rule for a field that needs quotes.
		if r, _ := utf8.DecodeRuneInString(s); s == "" || s == `\.` || strings.ContainsAny(s, ",\"\r\n") || unicode.IsSpace(r) {
			plain = false
			break
		}
	}
	if plain {
		return "[" + strings.Join(*v.p, ",") + "]"
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(*v.p)
	w.Flush()
	return "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

// Type is pflag's name for a string slice: help shows "strings", and
// config and viper treat the flag as a list.
func (v *stringsValue) Type() string { return "stringSlice" }

// Append, Replace and GetSlice make it a pflag.SliceValue (config files
// and cobra's completion use them).
func (v *stringsValue) Append(s string) error { *v.p = append(*v.p, s); return nil }
func (v *stringsValue) Replace(vals []string) error {
	*v.p = append([]string(nil), vals...)
	return nil
}
func (v *stringsValue) GetSlice() []string { return *v.p }
