package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// daysDuration is a flag value for durations that also accepts whole days
// ("10d"), since code validity is naturally said in days.
type daysDuration struct{ d *time.Duration }

func newDaysDuration(p *time.Duration, def time.Duration) *daysDuration {
	*p = def
	return &daysDuration{d: p}
}

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

func (v *daysDuration) String() string {
	if v.d == nil {
		return ""
	}
	if *v.d%(24*time.Hour) == 0 && *v.d > 0 {
		return fmt.Sprintf("%dd", *v.d/(24*time.Hour))
	}
	return v.d.String()
}

func (v *daysDuration) Type() string { return "duration" }
