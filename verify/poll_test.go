package verify_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// fakeClock never waits: After fires at once and moves Now forward by the
// time waited, which it records.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// stoppedClock never lets a wait end: only ctx can.
type stoppedClock struct{ fakeClock }

func (c *stoppedClock) After(time.Duration) <-chan time.Time { return nil }

// TestPollUntilPublished: a record published after the first check is
// found by the third, after pauses of 10ms and 15ms.
func TestPollUntilPublished(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{srv.Addr}, Timeout: 300 * time.Millisecond}
	var statuses []verify.Status
	check := func(ctx context.Context) (*verify.Result, error) {
		r, err := c.DNS(ctx, "main.test", verify.Code{Value: code})
		if err == nil && len(statuses) == 1 {
			// Publish after the second check.
			if err := srv.SetZones(zone(2, "@ IN TXT \""+code+"\"\n")); err != nil {
				t.Error(err)
			}
		}
		return r, err
	}
	clock := newFakeClock()
	p := verify.Poller{Wait: 10 * time.Second, Interval: 10 * time.Millisecond, Clock: clock}
	res, err := p.Poll(context.Background(), check, func(r *verify.Result, _ time.Duration) {
		statuses = append(statuses, r.Status)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified {
		t.Fatalf("poll ended with %s", res.Status)
	}
	if want := []verify.Status{verify.StatusNotFound, verify.StatusNotFound, verify.StatusVerified}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if want := []time.Duration{10 * time.Millisecond, 15 * time.Millisecond}; !slices.Equal(clock.waits, want) {
		t.Errorf("waited %v, want %v", clock.waits, want)
	}
}

// TestPollSchedule: the pause grows by half up to MaxInterval, waits out
// the resolvers' time left, never runs past the deadline, and the last
// check falls on it.
func TestPollSchedule(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		wait      time.Duration
		interval  time.Duration
		timeLeft  int64
		wantWaits []time.Duration
	}{
		{name: "once", wait: 0, interval: 5 * s, wantWaits: nil},
		{name: "backs off to the deadline", wait: 60 * s, interval: 5 * s,
			wantWaits: []time.Duration{5 * s, 7500 * time.Millisecond, 11250 * time.Millisecond, 16875 * time.Millisecond, 19375 * time.Millisecond}},
		{name: "default interval, capped at 30s", wait: 2 * time.Minute, interval: 0,
			wantWaits: []time.Duration{5 * s, 7500 * time.Millisecond, 11250 * time.Millisecond, 16875 * time.Millisecond, 25312500 * time.Microsecond, 30 * s, 24062500 * time.Microsecond}},
		{name: "waits out the resolvers' TTL", wait: 50 * s, interval: 5 * s, timeLeft: 20,
			wantWaits: []time.Duration{20 * s, 20 * s, 10 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			var elapsed []time.Duration
			checks := 0
			p := verify.Poller{Wait: tt.wait, Interval: tt.interval, Clock: clock}
			res, err := p.Poll(context.Background(), func(context.Context) (*verify.Result, error) {
				checks++
				return &verify.Result{Status: verify.StatusPropagating, TimeLeftSeconds: tt.timeLeft}, nil
			}, func(_ *verify.Result, d time.Duration) { elapsed = append(elapsed, d) })
			if err != nil || res == nil {
				t.Fatalf("Poll = %v, %v", res, err)
			}
			if !slices.Equal(clock.waits, tt.wantWaits) {
				t.Errorf("waited %v, want %v", clock.waits, tt.wantWaits)
			}
			if checks != len(tt.wantWaits)+1 {
				t.Errorf("%d checks, want %d", checks, len(tt.wantWaits)+1)
			}
			if got := clock.Now().Sub(start); got != tt.wait {
				t.Errorf("last check at %s, want at the deadline %s", got, tt.wait)
			}
			if len(elapsed) != checks || elapsed[len(elapsed)-1] != tt.wait {
				t.Errorf("elapsed reported %v, want one per check ending at %s", elapsed, tt.wait)
			}
		})
	}
}

// TestPollCancelled: a wait that ctx ends returns the last result with
// ctx's error; an error of the check ends Poll with no result.
func TestPollCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := verify.Poller{Wait: time.Minute, Clock: &stoppedClock{}}
	res, err := p.Poll(ctx, func(context.Context) (*verify.Result, error) {
		return &verify.Result{Status: verify.StatusNotFound}, nil
	}, nil)
	if err != context.Canceled || res == nil || res.Status != verify.StatusNotFound {
		t.Errorf("Poll = %v, %v; want the not_found result and context.Canceled", res, err)
	}

	res, err = p.Poll(context.Background(), func(context.Context) (*verify.Result, error) {
		return nil, context.DeadlineExceeded
	}, nil)
	if err != context.DeadlineExceeded || res != nil {
		t.Errorf("Poll = %v, %v; want no result and the check's error", res, err)
	}
}
