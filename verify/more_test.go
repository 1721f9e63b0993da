package verify_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

func TestExpiredCode(t *testing.T) {
	c := world{ns1: zone(1, "@ IN TXT \""+code+"\"\n")}.checker(t)
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { return now }
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code, ExpiresAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusMismatch || !slices.Contains(codes(res.Findings), "code.expired") {
		t.Errorf("status %s findings %v, want mismatch with code.expired", res.Status, codes(res.Findings))
	}
	res, _ = c.DNS(context.Background(), "main.test", verify.Code{Value: code, ExpiresAt: now.Add(time.Hour)})
	if res.Status != verify.StatusVerified || slices.Contains(codes(res.Findings), "code.expired") {
		t.Errorf("unexpired: status %s findings %v", res.Status, codes(res.Findings))
	}
}

func TestSubdomains(t *testing.T) {
	c := world{ns1: zone(1, "@ IN TXT \""+code+"\"\nwww IN TXT \""+code+"\"\nshop IN A 192.0.2.9\n")}.checker(t)
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code, Subdomains: []string{"www.main.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusVerified || len(res.Subdomains) != 1 || res.Subdomains[0].Name != "www.main.test." {
		t.Fatalf("status %s, subdomains %d", res.Status, len(res.Subdomains))
	}
	res, _ = c.DNS(context.Background(), "main.test", verify.Code{Value: code, Subdomains: []string{"www.main.test", "shop.main.test"}})
	if res.Status != verify.StatusNotFound || res.Verified {
		t.Errorf("one subdomain without the code: status %s verified %v, want not_found", res.Status, res.Verified)
	}
	if res.Subdomains[0].Status != verify.StatusVerified || res.Subdomains[1].Status != verify.StatusNotFound {
		t.Errorf("per-name statuses %s %s", res.Subdomains[0].Status, res.Subdomains[1].Status)
	}
}

func TestNameserverOverride(t *testing.T) {
	good := verifytest.Start(t, verifytest.Options{}, zone(1, "@ IN TXT \""+code+"\"\n"))
	c := &verify.Checker{Nameservers: []string{good.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusVerified || res.Zone != "main.test." {
		t.Errorf("status %s zone %q", res.Status, res.Zone)
	}
	for _, q := range good.Queries() {
		if q.RD {
			t.Errorf("query %s sent with RD=1 to an authoritative server", q)
		}
	}
}

func TestQueriesUseEDNSAndTCPOnTruncation(t *testing.T) {
	big := zone(1, bigRRset()+"@ IN TXT \""+code+"\"\n")
	srv := verifytest.Start(t, verifytest.Options{}, big)
	c := &verify.Checker{Nameservers: []string{srv.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified {
		t.Fatalf("status %s", res.Status)
	}
	var udp, tcp bool
	for _, q := range srv.Queries() {
		if q.Type == 16 && q.Net == "udp" {
			udp = true
		}
		if q.Type == 16 && q.Net == "tcp" {
			tcp = true
		}
	}
	if !udp || !tcp {
		t.Errorf("TXT over udp %v, tcp %v; want both (UDP first, TCP after TC=1)", udp, tcp)
	}
	if s := res.Servers[0]; !s.Truncated || s.Transport != "tcp" {
		t.Errorf("server entry: truncated %v transport %q", s.Truncated, s.Transport)
	}
}

func TestRetriesOnlyTimeouts(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{Refuse: true}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Tries: 3}
	if _, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code}); err != nil {
		t.Fatal(err)
	}
	// REFUSED is an answer: each question is asked once.
	seen := map[string]int{}
	for _, q := range srv.Queries() {
		seen[q.String()]++
	}
	for q, n := range seen {
		if n > 1 {
			t.Errorf("%s asked %d times after an answer", q, n)
		}
	}

	drop := verifytest.Start(t, verifytest.Options{Drop: true}, zone(1, ""))
	c = &verify.Checker{Nameservers: []string{drop.Addr}, Timeout: 100 * time.Millisecond, Tries: 3}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusError {
		t.Errorf("status %s, want error", res.Status)
	}
	tries := map[string]int{}
	for _, q := range drop.Queries() {
		tries[q.String()]++
	}
	if len(tries) == 0 {
		t.Fatal("no query reached the silent server")
	}
	for q, n := range tries {
		if n != 3 {
			t.Errorf("%s tried %d times against a silent server, want 3", q, n)
		}
	}
}

func TestPollUntilPublished(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{srv.Addr}, Timeout: 300 * time.Millisecond}
	var statuses []verify.Status
	check := func(ctx context.Context) (*verify.Result, error) {
		r, err := c.DNS(ctx, "main.test", verify.Code{Value: code})
		if err == nil && len(statuses) == 1 {
			// Publish after the first check.
			if err := srv.SetZones(zone(2, "@ IN TXT \""+code+"\"\n")); err != nil {
				t.Error(err)
			}
		}
		return r, err
	}
	res, err := verify.Poll(context.Background(), 10*time.Second, 10*time.Millisecond, check, func(r *verify.Result, _ time.Duration) {
		statuses = append(statuses, r.Status)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified {
		t.Fatalf("poll ended with %s", res.Status)
	}
	if len(statuses) != 3 || statuses[0] != verify.StatusNotFound || statuses[2] != verify.StatusVerified {
		t.Errorf("statuses %v, want not_found, not_found, verified", statuses)
	}
}

func TestPollGivesUp(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{srv.Addr}, Timeout: 300 * time.Millisecond}
	n := 0
	res, err := verify.Poll(context.Background(), 100*time.Millisecond, 20*time.Millisecond,
		func(ctx context.Context) (*verify.Result, error) {
			n++
			return c.DNS(ctx, "main.test", verify.Code{Value: code})
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || n < 2 {
		t.Errorf("verified %v after %d checks; want a not-verified result after several", res.Verified, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := verify.Poll(ctx, time.Minute, time.Second,
		func(ctx context.Context) (*verify.Result, error) {
			return c.DNS(ctx, "main.test", verify.Code{Value: code})
		}, nil); err == nil {
		t.Error("a cancelled poll returned no error")
	}
}

func TestNameserversThatRefuseEverything(t *testing.T) {
	lame := verifytest.Start(t, verifytest.Options{Refuse: true}, zone(1, ""))
	c := &verify.Checker{Nameservers: []string{lame.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	// REFUSED is an answer: the server does not have the code.
	expect(t, res, verify.StatusNotFound, []string{"dns.lame"}, nil)
}

func TestServerWithoutEDNS(t *testing.T) {
	old := verifytest.Start(t, verifytest.Options{NoEDNS: true}, zone(1, "@ IN TXT \""+code+"\"\n"))
	c := &verify.Checker{Nameservers: []string{old.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, nil, []string{"dns.lame"})
}

func TestAllAuthoritativeUnreachableNeverPasses(t *testing.T) {
	c := world{ns1: zone(1, "@ IN TXT \""+code+"\"\n"), o1: verifytest.Options{Drop: true}, o2: verifytest.Options{Drop: true}}.checker(t)
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	// The resolver has the code; that is said, but it is not a pass.
	expect(t, res, verify.StatusError, []string{"dns.ns_unreachable"}, nil)
	var msg string
	for _, f := range res.Findings {
		if f.Code == "dns.ns_unreachable" && f.Severity == verify.SeverityError {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "serves the code, but that cannot be confirmed") {
		t.Errorf("message %q does not say what the resolver saw", msg)
	}
}
