package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// DefaultConcurrency is how many domains Run checks at once by default:
// the most that make bench measured faster (docs/performance.md); past it
// the servers' limits (Pacer) hold the queries back anyway.
const DefaultConcurrency = 128

// MaxConcurrency is the most jobs Run checks at once; a larger
// Concurrency is taken as this. Far above what any resolver answers at
// once (the per-server Pacer holds queries back well before), it keeps a
// mistyped --concurrency from costing memory for nothing.
const MaxConcurrency = 4096

// Job is one domain to check, with the code it must publish. Domain must
// be normalized already (internal/domain.Normalize).
type Job struct {
	Domain string
	Code   Code
	// Err, when set, says why the job cannot be checked (a bad line of a
	// streamed domain list): Run gives it a result with StatusError and
	// a check.failed finding carrying Err, and checks nothing.
	Err error
}

// CheckFunc checks one domain: a Checker's DNS, HTTP, Any or Diagnose.
type CheckFunc func(ctx context.Context, domain string, code Code) (*Result, error)

// RunOptions configure Run.
type RunOptions struct {
	// Check is the check run for each job.
	Check CheckFunc
	// Method is the Method of the results that Run makes itself, for a
	// job cut short before Check gave a result: MethodDNS, MethodHTTP, or
	// "" when Check runs both.
	Method string
	// Concurrency bounds the jobs checked at once; 0 is
	// DefaultConcurrency.
	Concurrency int
	// Ordered emits the results in the order of the jobs, not as they
	// finish. A job more than a window of 4×Concurrency jobs past the
	// oldest unfinished one waits to start, so that the results held for
	// reordering stay bounded.
	Ordered bool
	// Poller repeats each job's check until it verifies (--wait); its
	// zero value checks once. Its Clock also dates the results Run makes.
	Poller
	// Each, when set, receives every result of every check of a job as it
	// comes, with the time since the job's first check began: with Wait,
	// one per poll, the last one (the one emitted) included. It is called
	// from several goroutines at once.
	Each func(r *Result, elapsed time.Duration)
}

// Run checks every job of jobs, Concurrency at a time, and hands each
// job's result to emit: as each finishes, or in the order of jobs when
// Ordered. Every job gets exactly one result, also when ctx ends first:
// a job that was cut short, or did not start, gets a result with
// StatusError and a check.cancelled finding; a check that fails with
// another error gets one with a check.failed finding. Calls of emit do
// not overlap, and all are made before Run returns.
//
// Run returns ctx's error when ctx ended before every job finished, else
// nil: whatever else went wrong is in the results.
func Run(ctx context.Context, jobs iter.Seq[Job], opts RunOptions, emit func(*Result)) error {
	workers := opts.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	workers = min(workers, MaxConcurrency)
	type numbered struct {
		i   int
		job Job
	}
	type finished struct {
		i   int
		res *Result
		cut bool
	}
	work := make(chan numbered)
	done := make(chan finished)
	// window holds a token for each job started and not yet emitted, so
	// that Ordered never holds more than its capacity of results.
	var window chan struct{}
	if opts.Ordered {
		window = make(chan struct{}, 4*workers)
	}

	var wg sync.WaitGroup
	worker := func() {
		for n := range work {
			res, cut := opts.one(ctx, n.job)
			done <- finished{n.i, res, cut}
		}
	}
	go func() {
		i := 0
		for j := range jobs {
			if window != nil {
				window <- struct{}{}
			}
			// Workers start as jobs come, up to workers: a run of three
			// domains starts three.
			if i < workers {
				wg.Go(worker)
			}
			work <- numbered{i, j}
			i++
		}
		close(work)
		wg.Wait()
		close(done)
	}()

	var cut bool // a job was cut short
	note := func(f finished) {
		cut = cut || f.cut
		emit(f.res)
	}
	if !opts.Ordered {
		for f := range done {
			note(f)
		}
	} else {
		held := map[int]finished{}
		next := 0
		for f := range done {
			held[f.i] = f
			for h, ok := held[next]; ok; h, ok = held[next] {
				delete(held, next)
				next++
				note(h)
				<-window
			}
		}
	}
	if cut || ctx.Err() != nil {
		// A deadline can pass before ctx's timer fires (ctxErr).
		return cmp.Or(ctx.Err(), context.DeadlineExceeded)
	}
	return nil
}

// one checks one job, polling as opts say; cut reports that ctx ended it.
func (opts RunOptions) one(ctx context.Context, j Job) (res *Result, cut bool) {
	if j.Err != nil {
		return opts.stopped(j, j.Err), false
	}
	if err := ctxErr(ctx); err != nil {
		return opts.stopped(j, err), true
	}
	check := func(ctx context.Context) (*Result, error) { return opts.Check(ctx, j.Domain, j.Code) }
	res, err := opts.Poll(ctx, check, opts.Each)
	if res != nil {
		// Cut short during --wait or not, the last complete check stands.
		lost(res, j.Code.LastVerified)
		return res, err != nil
	}
	return opts.stopped(j, err), isCancel(err)
}

// CodeLost is the finding of a domain that verified before and does not
// now (Code.LastVerified).
const CodeLost = "code.lost"

// lost adds a code.lost finding to a result that was checked and did not
// verify although the domain verified at last; an error is no proof that
// the code is gone.
func lost(res *Result, last time.Time) {
	if last.IsZero() || res.Verified || res.Status == StatusError {
		return
	}
	res.addf(CodeLost, SeverityError, "publish the code again (orgctl code show "+res.Domain+" prints the record and the file) before the provider re-checks the domain",
		"%s verified on %s and no longer does: the record or file was removed or changed", res.Domain, last.UTC().Format(time.RFC3339))
}

// isCancel reports whether err says a context ended.
func isCancel(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// Finding codes of results that Run makes itself.
const (
	CodeCancelled = "check.cancelled"
	CodeFailed    = "check.failed"
)

// stopped is the result of a job whose check gave none: cut short by
// ctx, or failed with err.
func (opts RunOptions) stopped(j Job, err error) *Result {
	now := opts.clock().Now()
	res := &Result{Domain: j.Domain, Method: opts.Method, Status: StatusError, Expected: j.Code.Value,
		Name: dns.CanonicalName(j.Domain), CheckedAt: now.UTC().Truncate(time.Second), Servers: []Server{}, Findings: []Finding{}}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		res.addf(CodeCancelled, SeverityError, "check again, allowing more time (--timeout)",
			"the check of %s was cut short before it finished: the time allowed ran out", j.Domain)
	case errors.Is(err, context.Canceled):
		res.addf(CodeCancelled, SeverityError, "check again",
			"the check of %s was cut short before it finished: it was interrupted", j.Domain)
	default:
		res.add(Finding{Code: CodeFailed, Severity: SeverityError, Message: fmt.Sprintf("%s could not be checked: %v", j.Domain, err)})
	}
	return res
}
