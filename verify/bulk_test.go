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
	// Per name: its TXT at the resolver, at ns1 and at ns2; the names
	// checked while the zone was not yet known ask its SOA too.
	if sent, max := c.Pacer.Sent(), int64(3*n+32+10); sent > max {
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
	// The zone walk (SOA) and the TXT query ask the given server, each
	// tried 3 times, one after the other: every timeout halves the limits,
	// down to their floors.
	if got := p.Timeouts(); got != p.Sent() || got < 6 {
		t.Errorf("timeouts %d of %d sent, want every query (at least 6)", got, p.Sent())
	}
	if got := len(dead.Queries()); int64(got) != p.Sent() {
		t.Errorf("server received %d queries, pacer counted %d", got, p.Sent())
	}
	if r, w := p.Limits(dead.Addr); r != verify.MinServerRate || w != verify.MinServerWindow {
		t.Errorf("limits after %d timeouts in a row: %v/s, %d in flight; want the floors %v/s, %d", p.Timeouts(), r, w, verify.MinServerRate, verify.MinServerWindow)
	}

	// Queries in flight together that time out together halve the
	// limits once: one overload, one cut. Each name asks twice, one after
	// the other (the zone walk's SOA, then the TXT): two rounds, two cuts.
	p = verify.NewPacer(400)
	c = &verify.Checker{Nameservers: []string{dead.Addr}, Timeout: time.Second, Tries: 1, Pacer: p}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { _, _ = c.DNS(context.Background(), fmt.Sprintf("n%d.main.test", i), verify.Code{Value: code}) })
	}
	wg.Wait()
	if r, w := p.Limits(dead.Addr); p.Timeouts() != 16 || r != 100 || w != verify.DefaultServerWindow/4 {
		t.Errorf("after %d timeouts in two rounds of 8: %v/s, %d in flight; want 16 timeouts and two cuts, to 100/s, %d", p.Timeouts(), r, w, verify.DefaultServerWindow/4)
	}

	live := verifytest.Start(t, verifytest.Options{}, zone(1, "@ IN TXT \""+code+"\"\n"))
	p = verify.NewPacer(400)
	c = &verify.Checker{Nameservers: []string{live.Addr}, Pacer: p}
	if _, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code}); err != nil {
		t.Fatal(err)
	}
	if r, w := p.Limits(live.Addr); r != 400 || w != verify.DefaultServerWindow {
		t.Errorf("limits of a server that answered twice: %v/s, %d in flight; want 400 (the ceiling), %d", r, w, verify.DefaultServerWindow)
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

// TestCacheZoneCut: with a Cache, names of a zone delegated below a zone
// already known are still checked at the child zone's servers: the
// parent's referral sends the check back to discovery.
func TestCacheZoneCut(t *testing.T) {
	parent := zone(1, "*  IN TXT \""+other+"\"\nsub IN NS ns.sub.main.test.\nns.sub IN A 192.0.2.3\n")
	child := `$ORIGIN sub.main.test.
$TTL 300
@  IN SOA ns.sub.main.test. h.sub.main.test. ( 5 3600 600 86400 60 )
@  IN NS ns.sub.main.test.
ns IN A 192.0.2.3
*  IN TXT "` + code + `"
`
	s1 := verifytest.Start(t, verifytest.Options{}, parent)
	s2 := verifytest.Start(t, verifytest.Options{}, parent)
	s3 := verifytest.Start(t, verifytest.Options{}, child)
	r := verifytest.Start(t, verifytest.Options{Recursive: true}, parent, child)
	c := &verify.Checker{Resolvers: []string{r.Addr}, Timeout: time.Second, Tries: 2,
		Exchanger: mapExchanger{to: map[string]string{"192.0.2.1:53": s1.Addr, "192.0.2.2:53": s2.Addr, "192.0.2.3:53": s3.Addr}},
		Cache:     verify.NewCache()}
	ctx := context.Background()
	for _, tt := range []struct {
		domain string
		zone   string
		status verify.Status
	}{
		{"a.main.test", "main.test.", verify.StatusMismatch}, // caches main.test's NS set
		{"b.main.test", "main.test.", verify.StatusMismatch},
		{"x.sub.main.test", "sub.main.test.", verify.StatusVerified},
		{"y.sub.main.test", "sub.main.test.", verify.StatusVerified},
	} {
		res, err := c.DNS(ctx, tt.domain, verify.Code{Value: code})
		if err != nil {
			t.Fatal(err)
		}
		if res.Zone != tt.zone || res.Status != tt.status {
			t.Errorf("%s: zone %s, status %s (%v); want zone %s, status %s", tt.domain, res.Zone, res.Status, codes(res.Findings), tt.zone, tt.status)
		}
	}
	if n := countQueries(r)["b.main.test. SOA"]; n != 0 {
		t.Errorf("the resolver was asked b.main.test SOA %d times; want 0: its zone is known", n)
	}
}
