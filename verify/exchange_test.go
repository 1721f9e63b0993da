package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

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

func TestServerWithoutEDNS(t *testing.T) {
	old := verifytest.Start(t, verifytest.Options{NoEDNS: true}, zone(1, "@ IN TXT \""+code+"\"\n"))
	c := &verify.Checker{Nameservers: []string{old.Addr}, Timeout: 300 * time.Millisecond}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, nil, []string{"dns.lame"})
}
