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

// Clock is the time a Poller reads and waits by. Tests substitute one that
// does not wait, so that no test depends on wall time.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the Clock of the real world.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Poller repeats a check until it verifies or Wait has passed (orgctl's
// --wait and --interval). The zero value checks once.
type Poller struct {
	// Wait is how long to keep checking; 0 checks once.
	Wait time.Duration
	// Interval is the first pause between checks; it grows by half each
	// time up to MaxInterval. 0 is DefaultInterval.
	Interval time.Duration
	// Clock is the time source; nil is SystemClock.
	Clock Clock
}

func (p Poller) clock() Clock {
	if p.Clock != nil {
		return p.Clock
	}
	return SystemClock{}
}

// Poll runs check at once, then again after each interval until the
// result is verified, Wait has passed or ctx ends. When a result says
// resolvers will serve old data for a while (TimeLeftSeconds), the next
// check waits at least that long, unless that runs past the deadline.
// Each result goes to each (which may be nil) as it comes, with the time
// since the first check began; Poll returns the last one, with ctx's error
// when ctx ended the wait. An error of check ends Poll with no result.
func (p Poller) Poll(ctx context.Context, check func(context.Context) (*Result, error), each func(*Result, time.Duration)) (*Result, error) {
	clock := p.clock()
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	start := clock.Now()
	deadline := start.Add(p.Wait)
	for {
		res, err := check(ctx)
		if err != nil {
			return nil, err
		}
		now := clock.Now()
		if each != nil {
			each(res, now.Sub(start))
		}
		if res.Verified || p.Wait <= 0 {
			return res, nil
		}
		remaining := deadline.Sub(now)
		if remaining <= 0 {
			return res, nil
		}
		next := max(interval, time.Duration(res.TimeLeftSeconds)*time.Second)
		next = min(next, remaining)
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-clock.After(next):
		}
		interval = min(interval+interval/2, MaxInterval)
	}
}
