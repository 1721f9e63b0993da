package provision

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted answers requests with the statuses in order, then 200.
type scripted struct {
	mu       sync.Mutex
	statuses []int
	header   string
}

func (s *scripted) RoundTrip(*http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := http.StatusOK
	if len(s.statuses) > 0 {
		status, s.statuses = s.statuses[0], s.statuses[1:]
	}
	h := http.Header{}
	if status == http.StatusTooManyRequests {
		h.Set("Retry-After", s.header)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(""))}, nil
}

// fakeClock is a clock whose sleeps move it forward and are recorded.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// TestPacerSharedPause: after a 429 with Retry-After, the next request of
// any worker waits until then, never earlier; an HTTP date works too.
func TestPacerSharedPause(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{start.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"", 0},
	} {
		clock := &fakeClock{now: start}
		p := NewPacer(PacerOptions{Now: clock.Now, Sleep: clock.Sleep})
		rt := p.Transport(&scripted{statuses: []int{429}, header: tc.header})
		for range 2 {
			req, _ := http.NewRequest("GET", "http://127.0.0.1/x", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		var slept time.Duration
		for _, d := range clock.sleeps {
			slept += d
		}
		if slept != tc.want {
			t.Errorf("Retry-After %q: the next request waited %s, want %s", tc.header, slept, tc.want)
		}
		if got := p.Stats(); got.Requests != 2 || got.Throttled != 1 || got.Failures != 1 {
			t.Errorf("stats %+v, want 2 requests, 1 throttled, 1 failure", got)
		}
	}
}

// TestPacerLowersRate: repeated 429s halve the rate down to the floor; a
// quiet stretch raises it back to the rate asked for.
func TestPacerLowersRate(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	p := NewPacer(PacerOptions{Rate: 100, MinRate: 20, Now: clock.Now, Sleep: clock.Sleep})
	var limits []float64
	for range 4 {
		clock.now = clock.now.Add(1500 * time.Millisecond)
		p.pause("0")
		clock.now = clock.now.Add(500 * time.Millisecond)
		p.pause("0")
		limits = append(limits, p.Limit())
	}
	if want := []float64{50, 25, 20, 20}; !slices.Equal(limits, want) {
		t.Errorf("limits after repeated 429s: %v, want %v", limits, want)
	}
	for range 10 {
		clock.now = clock.now.Add(2 * time.Second)
		p.recover()
	}
	if p.Limit() != 100 {
		t.Errorf("limit after a quiet stretch: %v, want 100", p.Limit())
	}
}
