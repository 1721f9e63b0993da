package verify

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Pacing defaults (DESIGN.md §7), measured with make bench
// (docs/performance.md). A server gets at most DefaultServerRate queries
// a second, far above what a local validating Unbound answers (about
// 10,000 a second on 2 cores), so a healthy server is not slowed by rate;
// and at most DefaultServerWindow queries in flight: with 256 the kernel
// dropped queries to that Unbound (its socket buffer overflowed: every
// drop a 2 s timeout), with 128 it dropped none. A server that times out
// is backed off to MinServerRate and MinServerWindow, and its limits grow
// back while it answers.
const (
	DefaultServerRate   = 50000
	DefaultServerWindow = 128
	MinServerRate       = 20
	MinServerWindow     = 4
)

// Pacer paces the queries sent to each server (by address) with two
// limits that adapt to it, additive increase and multiplicative decrease
// as TCP's congestion control does: a query rate (golang.org/x/time/rate)
// and a window of queries in flight. A timeout halves both, once for all
// the queries that were in flight together (their timeouts have one
// cause); every answer adds back a step. A big run thus never floods one
// provider's servers or the resolver, and does not turn its own overload
// into failed names: the exchanges retry their timeouts under the lower
// limits. A Pacer also counts the queries sent and the timeouts.
//
// A Pacer is safe for concurrent use; share one between the Checkers of a
// run (Checker.Pacer). Its zero value is not usable: call NewPacer.
type Pacer struct {
	ceiling, floor float64

	mu      sync.Mutex
	servers map[string]*serverPace

	sent, timeouts atomic.Int64
}

type serverPace struct {
	lim *rate.Limiter

	mu       sync.Mutex
	rate     float64 // queries/s
	window   float64 // queries in flight at most
	inflight int
	freed    chan struct{} // closed when a query ends
	cut      time.Time     // when the limits were last halved
}

// NewPacer returns a Pacer that lets each server have at most perServer
// queries a second (0 is DefaultServerRate) and DefaultServerWindow in
// flight.
func NewPacer(perServer float64) *Pacer {
	if perServer <= 0 {
		perServer = DefaultServerRate
	}
	return &Pacer{ceiling: perServer, floor: min(MinServerRate, perServer), servers: map[string]*serverPace{}}
}

// Sent is the number of queries sent so far.
func (p *Pacer) Sent() int64 { return p.sent.Load() }

// Timeouts is the number of queries that got no answer in time.
func (p *Pacer) Timeouts() int64 { return p.timeouts.Load() }

// Limits are addr's current limits: queries a second and in flight.
func (p *Pacer) Limits(addr string) (perSecond float64, inFlight int) {
	s := p.server(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate, int(s.window)
}

func (p *Pacer) server(addr string) *serverPace {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.servers[addr]
	if !ok {
		// A burst of a tenth of a second's queries lets a run start at
		// full speed and keeps bursts short.
		s = &serverPace{lim: rate.NewLimiter(rate.Limit(p.ceiling), burst(p.ceiling)), rate: p.ceiling,
			window: DefaultServerWindow, freed: make(chan struct{})}
		p.servers[addr] = s
	}
	return s
}

func burst(perSecond float64) int { return max(1, int(perSecond/10)) }

// start waits until addr may be sent a query — a place in its window and
// its turn by rate — or ctx ends. A query started must be ended with end.
func (p *Pacer) start(ctx context.Context, addr string) (*serverPace, time.Time, error) {
	s := p.server(addr)
	for {
		s.mu.Lock()
		if s.inflight < int(s.window) {
			s.inflight++
			s.mu.Unlock()
			break
		}
		freed := s.freed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		case <-freed:
		}
	}
	if err := s.lim.Wait(ctx); err != nil {
		p.end(s, time.Time{}, false)
		return nil, time.Time{}, err
	}
	p.sent.Add(1)
	return s, time.Now(), nil
}

// end frees the query's place and adapts the limits to its outcome; a
// zero sent means the query was not sent.
func (p *Pacer) end(s *serverPace, sent time.Time, timedOut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	close(s.freed)
	s.freed = make(chan struct{})
	if sent.IsZero() {
		return
	}
	r, w := s.rate+p.ceiling/1000, s.window+0.1
	if timedOut {
		p.timeouts.Add(1)
		if !sent.After(s.cut) {
			return // the limits were cut while this query was in flight
		}
		r, w = s.rate/2, s.window/2
		s.cut = time.Now()
	}
	r = min(max(r, p.floor), p.ceiling)
	w = min(max(w, MinServerWindow), DefaultServerWindow)
	s.window = w
	if r != s.rate {
		s.rate = r
		s.lim.SetLimit(rate.Limit(r))
		s.lim.SetBurst(burst(r))
	}
}
