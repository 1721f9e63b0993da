package verify

import (
	"context"
	"time"
)

// Poll defaults (DESIGN.md §7).
const (
	DefaultInterval = 5 * time.Second
	MaxInterval     = 30 * time.Second
)

// Poll runs check at once, then again after interval (growing by half each
// time up to MaxInterval) until the result is verified, wait has passed
// or ctx ends. When a result says resolvers will serve old data for a
// while (TimeLeftSeconds), the next check waits at least that long, unless
// that runs past the deadline. Each result goes to each (which may be nil)
// as it comes; Poll returns the last one, with ctx's error when ctx ended
// the wait.
func Poll(ctx context.Context, wait, interval time.Duration, check func(context.Context) (*Result, error), each func(*Result, time.Duration)) (*Result, error) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	start := time.Now()
	deadline := start.Add(wait)
	for {
		res, err := check(ctx)
		if err != nil {
			return nil, err
		}
		if each != nil {
			each(res, time.Since(start))
		}
		if res.Verified || wait <= 0 {
			return res, nil
		}
		next := interval
		if left := time.Duration(res.TimeLeftSeconds) * time.Second; left > next {
			next = left
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return res, nil
		}
		if next > remaining {
			next = remaining
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, ctx.Err()
		case <-t.C:
		}
		interval = min(interval+interval/2, MaxInterval)
	}
}
