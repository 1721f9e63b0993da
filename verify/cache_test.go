package verify

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestCacheTTL: an answer is kept for its lowest TTL and no longer; only
// answers that serve other names are kept.
func TestCacheTTL(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	k := NewCache()
	k.now = func() time.Time { return now }
	msg := func(rrs ...string) *dns.Msg {
		m := new(dns.Msg)
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				t.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		return m
	}
	ns := cacheKey{"main.test.", dns.TypeNS, false}
	k.put(ns, msg("main.test. 300 IN NS ns1.main.test.", "main.test. 60 IN NS ns2.main.test."), "r")
	apex := cacheKey{"main.test.", dns.TypeSOA, false}
	k.put(apex, msg("main.test. 300 IN SOA ns1.main.test. h.main.test. 1 2 3 4 5"), "r")
	below := cacheKey{"a.main.test.", dns.TypeSOA, false}
	k.put(below, msg("main.test. 300 IN SOA ns1.main.test. h.main.test. 1 2 3 4 5"), "r")

	for _, tt := range []struct {
		key   cacheKey
		after time.Duration
		want  bool
	}{
		{ns, 59 * time.Second, true},
		{apex, 59 * time.Second, true},
		{below, 0, false},
		{ns, 60 * time.Second, false},
		{apex, 300 * time.Second, false},
	} {
		now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(tt.after)
		if _, got := k.get(tt.key); got != tt.want {
			t.Errorf("%v after %s: cached %v, want %v", tt.key, tt.after, got, tt.want)
		}
	}
}

// TestCacheBounded: a full cache drops entries instead of growing.
func TestCacheBounded(t *testing.T) {
	k := NewCache()
	k.max = 10
	for i := range 100 {
		m := new(dns.Msg)
		rr, _ := dns.NewRR("z.test. 300 IN NS ns.z.test.")
		m.Answer = append(m.Answer, rr)
		k.put(cacheKey{dns.Fqdn(string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".test"), dns.TypeNS, false}, m, "r")
	}
	if got := len(k.entries); got > 10 {
		t.Errorf("cache holds %d entries, want at most 10", got)
	}
}
