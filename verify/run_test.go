package verify_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// seq yields a job per domain.
func seq(domains ...string) func(func(verify.Job) bool) {
	return func(yield func(verify.Job) bool) {
		for _, d := range domains {
			if !yield(verify.Job{Domain: d, Code: verify.Code{Value: code}}) {
				return
			}
		}
	}
}

func domainsOf(rs []*verify.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Domain)
	}
	return out
}

// TestRunOrder: checks that finish in reverse order are emitted as they
// finish, or in the order of the jobs when Ordered.
func TestRunOrder(t *testing.T) {
	domains := []string{"a.test", "b.test", "c.test", "d.test"}
	for _, ordered := range []bool{false, true} {
		// Each check waits for the one after it, so they finish d, c, b, a.
		gates := map[string]chan struct{}{}
		for _, d := range domains {
			gates[d] = make(chan struct{})
		}
		close(gates["d.test"])
		check := func(ctx context.Context, domain string, _ verify.Code) (*verify.Result, error) {
			<-gates[domain]
			if i := slices.Index(domains, domain); i > 0 {
				defer close(gates[domains[i-1]])
			}
			return &verify.Result{Domain: domain, Status: verify.StatusVerified, Verified: true}, nil
		}
		var got []*verify.Result
		err := verify.Run(context.Background(), seq(domains...), verify.RunOptions{Check: check, Concurrency: 4, Ordered: ordered},
			func(r *verify.Result) { got = append(got, r) })
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"d.test", "c.test", "b.test", "a.test"}
		if ordered {
			want = domains
		}
		if g := domainsOf(got); !slices.Equal(g, want) {
			t.Errorf("ordered=%v: emitted %v, want %v", ordered, g, want)
		}
	}
}

// TestRunConcurrency: no more checks run at once than Concurrency, and
// every job is checked once, ordered or not.
func TestRunConcurrency(t *testing.T) {
	var domains []string
	for i := range 50 {
		domains = append(domains, string(rune('a'+i%26))+string(rune('a'+i/26))+".test")
	}
	for _, ordered := range []bool{false, true} {
		var running, most atomic.Int32
		var mu sync.Mutex
		checked := map[string]int{}
		check := func(ctx context.Context, domain string, _ verify.Code) (*verify.Result, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			mu.Lock()
			checked[domain]++
			mu.Unlock()
			time.Sleep(time.Millisecond) // let others start, if they may
			return &verify.Result{Domain: domain, Status: verify.StatusNotFound}, nil
		}
		var got []*verify.Result
		err := verify.Run(context.Background(), seq(domains...), verify.RunOptions{Check: check, Concurrency: 3, Ordered: ordered},
			func(r *verify.Result) { got = append(got, r) })
		if err != nil {
			t.Fatal(err)
		}
		if m := most.Load(); m > 3 {
			t.Errorf("ordered=%v: %d checks at once, want at most 3", ordered, m)
		}
		if len(got) != len(domains) {
			t.Errorf("ordered=%v: %d results for %d jobs", ordered, len(got), len(domains))
		}
		for _, d := range domains {
			if checked[d] != 1 {
				t.Errorf("ordered=%v: %s checked %d times, want once", ordered, d, checked[d])
			}
		}
	}
}

// TestRunCutShort: every job gets exactly one result when ctx ends part
// way: those done keep theirs, the one running and those not started get
// status error with check.cancelled; Run returns ctx's error. A check
// that fails otherwise gets check.failed.
func TestRunCutShort(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	check := func(ctx context.Context, domain string, _ verify.Code) (*verify.Result, error) {
		switch domain {
		case "b.test":
			cancel() // Ctrl-C while b is being checked
			<-ctx.Done()
			return nil, ctx.Err()
		case "e.test":
			return nil, errors.New("no resolvers")
		}
		return &verify.Result{Domain: domain, Status: verify.StatusVerified, Verified: true}, nil
	}
	var got []*verify.Result
	clock := newFakeClock()
	err := verify.Run(ctx, seq("a.test", "b.test", "c.test", "d.test"),
		verify.RunOptions{Check: check, Method: verify.MethodDNS, Concurrency: 1, Ordered: true, Poller: verify.Poller{Clock: clock}},
		func(r *verify.Result) { got = append(got, r) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if g := domainsOf(got); !slices.Equal(g, []string{"a.test", "b.test", "c.test", "d.test"}) {
		t.Fatalf("results for %v, want one for each of a, b, c, d", g)
	}
	if got[0].Status != verify.StatusVerified {
		t.Errorf("a.test: %s, want the verified result it had", got[0].Status)
	}
	for _, r := range got[1:] {
		if r.Status != verify.StatusError || r.Verified || len(r.Findings) != 1 || r.Findings[0].Code != verify.CodeCancelled ||
			r.Method != verify.MethodDNS || r.Name != r.Domain+"." || r.Expected != code || !r.CheckedAt.Equal(clock.Now()) {
			t.Errorf("%s: %+v, want status error with one check.cancelled finding", r.Domain, r)
		}
	}

	got = nil
	err = verify.Run(context.Background(), seq("e.test"), verify.RunOptions{Check: check}, func(r *verify.Result) { got = append(got, r) })
	if err != nil || len(got) != 1 || got[0].Status != verify.StatusError || got[0].Findings[0].Code != verify.CodeFailed {
		t.Errorf("a failing check: Run = %v, results %+v; want one error result with check.failed", err, got)
	}
}

// TestRunDeadline: against a server that never answers, a deadline cuts
// every domain short, and each still gets its result.
func TestRunDeadline(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{Drop: true}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{srv.Addr}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var got []*verify.Result
	err := verify.Run(ctx, seq("a.test", "b.test", "c.test"), verify.RunOptions{Check: c.DNS, Method: verify.MethodDNS},
		func(r *verify.Result) { got = append(got, r) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want context.DeadlineExceeded", err)
	}
	if len(got) != 3 {
		t.Fatalf("%d results, want 3", len(got))
	}
	for _, r := range got {
		if r.Status != verify.StatusError || r.Findings[0].Code != verify.CodeCancelled {
			t.Errorf("%s: %s %+v, want error with check.cancelled", r.Domain, r.Status, r.Findings)
		}
	}
}

// TestRunOrderedWindow: while the first job is unfinished, Ordered takes
// no more than its window (4×Concurrency) of jobs past it, so the results
// it holds stay bounded.
func TestRunOrderedWindow(t *testing.T) {
	const concurrency, window = 2, 8
	var yielded atomic.Int32
	var firstEmitted atomic.Bool
	release := make(chan struct{})
	jobs := func(yield func(verify.Job) bool) {
		for i := range 40 {
			n := yielded.Add(1)
			if n == window+1 {
				close(release) // the first job may finish now
			}
			if n > window+1 && !firstEmitted.Load() {
				t.Errorf("job %d taken while the first is unfinished: more than the window of %d", n, window)
			}
			if !yield(verify.Job{Domain: string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".test"}) {
				return
			}
		}
	}
	check := func(ctx context.Context, domain string, _ verify.Code) (*verify.Result, error) {
		if domain == "aa.test" {
			<-release
		}
		return &verify.Result{Domain: domain}, nil
	}
	n := 0
	err := verify.Run(context.Background(), jobs, verify.RunOptions{Check: check, Concurrency: concurrency, Ordered: true},
		func(r *verify.Result) {
			if n == 0 {
				firstEmitted.Store(true)
			}
			n++
		})
	if err != nil || n != 40 {
		t.Errorf("Run = %v with %d results, want nil and 40", err, n)
	}
}
