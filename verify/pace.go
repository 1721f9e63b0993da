package verify

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Pacing defaults (DESIGN.md §7): the query rate each server gets at
// most, and the floor its rate falls to while it times out. Measured with
// make bench (docs/performance.md): a local validating Unbound answers
// about 5,000 queries/s on 2 cores, so the ceiling leaves one server
// unthrottled in the common case and only slows a run that overloads it.
const (
	DefaultServerRate = 50000
	MinServerRate     = 20
)

// Pacer limits the queries sent to each server (by address) to a rate
// that adapts to it: every timeout halves the server's rate, down to its
// floor, and every answer adds back one query a second, up to the ceiling
// (additive increase, multiplicative decrease, as TCP does). A big run
// thus never floods one provider's servers or the resolver, and does not
// turn its own overload into failed names: the exchanges retry their
// timeouts at the lower rate. A Pacer also counts the queries sent.
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
	mu  sync.Mutex
	now float64 // the current rate, queries/s
}

// NewPacer returns a Pacer that lets each server have at most perServer
// queries a second (0 is DefaultServerRate).
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

// Rate is addr's current rate in queries a second.
func (p *Pacer) Rate(addr string) float64 {
	s := p.server(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (p *Pacer) server(addr string) *serverPace {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.servers[addr]
	if !ok {
		// A burst of a tenth of a second's queries lets a run start at
		// full speed and keeps bursts short.
		s = &serverPace{lim: rate.NewLimiter(rate.Limit(p.ceiling), max(1, int(p.ceiling/10))), now: p.ceiling}
		p.servers[addr] = s
	}
	return s
}

// wait blocks until addr may be sent a query, or ctx ends.
func (p *Pacer) wait(ctx context.Context, addr string) error {
	if err := p.server(addr).lim.Wait(ctx); err != nil {
		return err
	}
	p.sent.Add(1)
	return nil
}

// observe adapts addr's rate to the outcome of one query.
func (p *Pacer) observe(addr string, timedOut bool) {
	s := p.server(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.now + 1
	if timedOut {
		p.timeouts.Add(1)
		next = s.now / 2
	}
	next = min(max(next, p.floor), p.ceiling)
	if next != s.now {
		s.now = next
		s.lim.SetLimit(rate.Limit(next))
		s.lim.SetBurst(max(1, int(next/10)))
	}
}
