package provision

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Pacer paces every request of a sync through one rate limiter and makes
// a 429 pause every worker, not only the one that got it: the scim.Client
// retries each request after its own Retry-After, but without a shared
// pause the other workers would keep hitting a server that asked for
// quiet. It also counts requests for the summary.
//
// The scim.Client has no hook around its own transport, so the Pacer is a
// transport wrapper: pass scim.WithTransport(p.Transport(base)) to
// scim.New. (A base transport built by the caller must carry the CA file
// settings itself; see the report on scim hooks.)
type Pacer struct {
	limiter *rate.Limiter
	initial rate.Limit // the rate asked for (rate.Inf: none)
	floor   rate.Limit
	idle    int
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	mu         sync.Mutex
	pauseUntil time.Time
	last429    time.Time // when the last 429 came
	changed    time.Time // when the rate was last changed
	start      time.Time

	requests, writes, failures, throttled atomic.Int64
}

// PacerOptions configure a Pacer.
type PacerOptions struct {
	// Rate is the most requests per second (0: no limit until the server
	// answers 429).
	Rate float64
	// Concurrency is the number of workers; the transport Transport builds
	// keeps one idle connection per worker.
	Concurrency int
	// MinRate is the floor, in requests per second, that repeated 429s
	// lower the rate to (0: 1).
	MinRate float64
	// Now and Sleep replace the clock, for tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewPacer returns a Pacer.
func NewPacer(opts PacerOptions) *Pacer {
	limit := rate.Inf
	if opts.Rate > 0 {
		limit = rate.Limit(opts.Rate)
	}
	p := &Pacer{
		limiter: rate.NewLimiter(limit, max(1, positiveOr(opts.Concurrency, DefaultConcurrency))),
		initial: limit,
		floor:   rate.Limit(max(opts.MinRate, 1)),
		idle:    positiveOr(opts.Concurrency, DefaultConcurrency),
		now:     opts.Now,
		sleep:   opts.Sleep,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.sleep == nil {
		p.sleep = sleepCtx
	}
	p.start = p.now()
	return p
}

// PacerStats are the counts of the requests that went through a Pacer.
type PacerStats struct {
	Requests  int // every attempt
	Writes    int // POST, PUT, PATCH, DELETE attempts
	Failures  int // attempts answered 429 or 5xx, or without an answer: each is retried or fails
	Throttled int // attempts answered 429
}

// Stats returns the counts so far.
func (p *Pacer) Stats() PacerStats {
	return PacerStats{int(p.requests.Load()), int(p.writes.Load()), int(p.failures.Load()), int(p.throttled.Load())}
}

// Limit returns the rate in force, in requests per second (+Inf: none).
func (p *Pacer) Limit() float64 { return float64(p.limiter.Limit()) }

// Transport wraps base (nil: a clone of http.DefaultTransport keeping one
// idle connection per worker) with the pacer.
func (p *Pacer) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = p.idle
		base = t
	}
	return pacedTransport{p, base}
}

type pacedTransport struct {
	p    *Pacer
	base http.RoundTripper
}

func (t pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.p.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	t.p.requests.Add(1)
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		t.p.writes.Add(1)
	}
	resp, err := t.base.RoundTrip(req)
	switch {
	case err != nil:
		t.p.failures.Add(1)
	case resp.StatusCode == http.StatusTooManyRequests:
		t.p.failures.Add(1)
		t.p.throttled.Add(1)
		t.p.pause(resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 500:
		t.p.failures.Add(1)
	default:
		t.p.recover()
	}
	return resp, err
}

// wait blocks until the shared pause is over and the limiter lets a
// request go.
func (p *Pacer) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		d := p.pauseUntil.Sub(p.now())
		p.mu.Unlock()
		if d <= 0 {
			break
		}
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
	return p.limiter.Wait(ctx)
}

// pause makes every worker wait out a 429's Retry-After (seconds or an
// HTTP date; never less than the server asked for), and lowers the rate
// when 429s repeat (one within rateStep of the last): to half the rate in
// force, or, without one, to half the rate achieved so far, at most once
// per rateStep and not below the floor.
func (p *Pacer) pause(retryAfter string) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if d, ok := parseRetryAfter(retryAfter, now); ok && now.Add(d).After(p.pauseUntil) {
		p.pauseUntil = now.Add(d)
	}
	repeated := now.Sub(p.last429) < rateStep
	p.last429 = now
	if !repeated || now.Sub(p.changed) < rateStep {
		return
	}
	p.changed = now
	limit := p.limiter.Limit()
	if limit == rate.Inf {
		// The rate achieved so far, over the time really elapsed: a
		// floor of a second would take a young run for a slow one and
		// cut its rate far below what the server had been taking.
		elapsed := max(now.Sub(p.start).Seconds(), 0.05)
		limit = rate.Limit(float64(p.requests.Load()) / elapsed)
	}
	p.limiter.SetLimitAt(now, max(limit/2, p.floor))
}

// rateStep is how close two 429s must come to lower the rate, and how
// often the rate changes at most.
const rateStep = time.Second

// recover raises a lowered rate by a quarter per rateStep without a 429,
// back to the rate asked for.
func (p *Pacer) recover() {
	if p.limiter.Limit() == p.initial {
		return
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last429) < rateStep || now.Sub(p.changed) < rateStep {
		return
	}
	p.changed = now
	limit := p.limiter.Limit() * 5 / 4
	if limit >= p.initial || p.initial == rate.Inf && limit > 2*rate.Limit(float64(p.requests.Load())/max(now.Sub(p.start).Seconds(), 1)) {
		limit = p.initial
	}
	p.limiter.SetLimitAt(now, limit)
}

// parseRetryAfter reads a Retry-After value: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
