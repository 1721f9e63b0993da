package verify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// countQueries counts the queries s received, by "NAME TYPE".
func countQueries(s *verifytest.Server) map[string]int {
	n := map[string]int{}
	for _, q := range s.Queries() {
		n[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Type]]++
	}
	return n
}

// TestCacheOneDiscoveryPerZone: many names of one zone, checked at once
// with a Cache, cost one NS query and one address lookup per name
// server; each name still gets its own TXT queries and its own result.
func TestCacheOneDiscoveryPerZone(t *testing.T) {
	z := zone(1, "*  IN TXT \""+code+"\"\n")
	s1 := verifytest.Start(t, verifytest.Options{}, z)
	s2 := verifytest.Start(t, verifytest.Options{}, z)
	r := verifytest.Start(t, verifytest.Options{Recursive: true}, z)
	c := &verify.Checker{Resolvers: []string{r.Addr}, Timeout: time.Second, Tries: 2,
		Exchanger: mapExchanger{to: map[string]string{"192.0.2.1:53": s1.Addr, "192.0.2.2:53": s2.Addr}},
		Cache:     verify.NewCache(), Pacer: verify.NewPacer(0)}

	const n = 200
	var domains []string
	for i := range n {
		domains = append(domains, fmt.Sprintf("n%d.main.test", i))
	}
	got := map[string]int{}
	err := verify.Run(context.Background(), seq(domains...), verify.RunOptions{Check: c.DNS, Concurrency: 32},
		func(res *verify.Result) {
			got[res.Domain]++
			if res.Status != verify.StatusVerified {
				t.Errorf("%s: status %s, want verified (%v)", res.Domain, res.Status, codes(res.Findings))
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range domains {
		if got[d] != 1 {
			t.Errorf("%s: %d results, want 1", d, got[d])
		}
	}
	q := countQueries(r)
	for _, k := range []string{"main.test. NS", "ns1.main.test. A", "ns2.main.test. A", "ns1.main.test. AAAA"} {
		if q[k] != 1 {
			t.Errorf("resolver got %d queries %q, want 1", q[k], k)
		}
	}
	if a1, a2 := countQueries(s1)["n7.main.test. TXT"], countQueries(s2)["n7.main.test. TXT"]; a1 != 1 || a2 != 1 {
		t.Errorf("authoritative servers got %d and %d TXT queries for n7.main.test, want 1 each", a1, a2)
	}
	// Per name: its SOA and TXT at the resolver, its TXT at ns1 and ns2;
	// discovery adds a handful in all.
	if sent, max := c.Pacer.Sent(), int64(4*n+10); sent > max {
		t.Errorf("sent %d queries for %d names, want at most %d", sent, n, max)
	}
}

// TestPacerBacksOffOnTimeouts: every timeout halves the server's rate and
// is retried; the queries are counted.
func TestPacerBacksOffOnTimeouts(t *testing.T) {
	dead := verifytest.Start(t, verifytest.Options{Drop: true}, zone(1, ""))
	p := verify.NewPacer(400)
	c := &verify.Checker{Nameservers: []string{dead.Addr}, Timeout: 50 * time.Millisecond, Tries: 3, Pacer: p}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusError {
		t.Errorf("status %s, want error", res.Status)
	}
	// One TXT query and one SOA query (the zone walk asks the given
	// servers), each tried 3 times; 6 timeouts halve 400 six times, to the
	// floor of 20.
	if got := p.Timeouts(); got != p.Sent() || got < 3 {
		t.Errorf("timeouts %d of %d sent, want every query (at least 3)", got, p.Sent())
	}
	if got := len(dead.Queries()); int64(got) != p.Sent() {
		t.Errorf("server received %d queries, pacer counted %d", got, p.Sent())
	}
	if got := p.Rate(dead.Addr); got != verify.MinServerRate {
		t.Errorf("rate after %d timeouts: %v, want the floor %v", p.Timeouts(), got, verify.MinServerRate)
	}

	live := verifytest.Start(t, verifytest.Options{}, zone(1, "@ IN TXT \""+code+"\"\n"))
	p = verify.NewPacer(400)
	c = &verify.Checker{Nameservers: []string{live.Addr}, Pacer: p}
	if _, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code}); err != nil {
		t.Fatal(err)
	}
	if got := p.Rate(live.Addr); got != 400 {
		t.Errorf("rate of a server that answers: %v, want the ceiling 400", got)
	}
}

// TestPacerLimitsRate: a server's queries wait for their turn; a query
// whose turn comes after the deadline is not sent at all.
func TestPacerLimitsRate(t *testing.T) {
	s := verifytest.Start(t, verifytest.Options{}, zone(1, "@ IN TXT \""+code+"\"\n"))
	p := verify.NewPacer(0.5) // one query every two seconds
	c := &verify.Checker{Nameservers: []string{s.Addr}, Pacer: p, Tries: 1}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = c.DNS(ctx, "main.test", verify.Code{Value: code})
	if got := len(s.Queries()); got != 1 {
		t.Errorf("server received %d queries within a second at 0.5/s, want 1", got)
	}
	if p.Sent() != 1 {
		t.Errorf("pacer counted %d queries, want 1", p.Sent())
	}
}

// TestRunJobErrAndLost: a job with Err gets an error result naming it and
// is not checked; a job whose domain verified before and does not now
// gets code.lost, unless the check could not tell (error).
func TestRunJobErrAndLost(t *testing.T) {
	last := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	statuses := map[string]verify.Status{"gone.test": verify.StatusNotFound, "ok.test": verify.StatusVerified, "down.test": verify.StatusError}
	var mu sync.Mutex
	checked := map[string]bool{}
	check := func(ctx context.Context, d string, c verify.Code) (*verify.Result, error) {
		mu.Lock()
		checked[d] = true
		mu.Unlock()
		st := statuses[d]
		return &verify.Result{Domain: d, Status: st, Verified: st == verify.StatusVerified}, nil
	}
	jobs := func(yield func(verify.Job) bool) {
		for _, j := range []verify.Job{
			{Domain: "bad!.test", Err: errors.New("stdin line 3: bad name")},
			{Domain: "gone.test", Code: verify.Code{Value: code, LastVerified: last}},
			{Domain: "ok.test", Code: verify.Code{Value: code, LastVerified: last}},
			{Domain: "down.test", Code: verify.Code{Value: code, LastVerified: last}},
			{Domain: "new.test", Code: verify.Code{Value: code}},
		} {
			if !yield(j) {
				return
			}
		}
	}
	got := map[string]*verify.Result{}
	if err := verify.Run(context.Background(), jobs, verify.RunOptions{Check: check, Ordered: true}, func(r *verify.Result) { got[r.Domain] = r }); err != nil {
		t.Fatal(err)
	}
	if checked["bad!.test"] {
		t.Error("a job with Err was checked")
	}
	if r := got["bad!.test"]; r == nil || r.Status != verify.StatusError || !strings.Contains(fmt.Sprint(r.Findings), "stdin line 3") {
		t.Errorf("bad job: got %+v, want an error result naming stdin line 3", r)
	}
	for d, want := range map[string]bool{"gone.test": true, "ok.test": false, "down.test": false, "new.test": false} {
		r := got[d]
		has := false
		for _, f := range r.Findings {
			if f.Code == verify.CodeLost {
				has = true
				if !strings.Contains(f.Message, "2026-11-01T08:00:00Z") {
					t.Errorf("%s: code.lost says %q, want the date it last verified", d, f.Message)
				}
			}
		}
		if has != want {
			t.Errorf("%s (%s): code.lost %v, want %v", d, r.Status, has, want)
		}
	}
}
