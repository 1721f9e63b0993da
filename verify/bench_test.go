package verify_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// BenchmarkDNS measures one whole check — zone discovery through a
// resolver, two authoritative servers, the resolver check — against
// in-process servers on loopback.
func BenchmarkDNS(b *testing.B) {
	main := zone(1, "@ IN TXT \"v=spf1 -all\"\n@ IN TXT \""+code+"\"\n")
	s1 := verifytest.Start(b, verifytest.Options{}, main)
	s2 := verifytest.Start(b, verifytest.Options{}, main)
	r := verifytest.Start(b, verifytest.Options{Recursive: true}, main)
	c := &verify.Checker{Resolvers: []string{r.Addr}, Timeout: time.Second,
		Exchanger: mapExchanger{to: map[string]string{"192.0.2.1:53": s1.Addr, "192.0.2.2:53": s2.Addr}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.DNS(ctx, "main.test", verify.Code{Value: code})
		if err != nil || !res.Verified {
			b.Fatalf("%v %v", err, res.Status)
		}
	}
}

// BenchmarkHTTP measures one whole HTTP check — A/AAAA through a resolver,
// a redirect to another host, the file, the soft-404 canary — against
// local servers.
func BenchmarkHTTP(b *testing.B) {
	www := fileOnly(code)
	c, _ := newWebWorld(b, map[string]http.Handler{"192.0.2.10:80": onHost("www.main.test", www, redirectTo(301, file, "http://www.main.test"+file, www))})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.HTTP(ctx, "main.test", verify.Code{Value: code})
		if err != nil || !res.Verified {
			b.Fatalf("%v %v", err, res.Status)
		}
	}
}

// BenchmarkDiagnoseFailing measures Diagnose of a domain that fails both
// ways — the record on www, the file missing — so that every probe runs:
// the misplaced-name probes, TCP to each server, the zone-cut check, and
// the HTTP check with its canary.
func BenchmarkDiagnoseFailing(b *testing.B) {
	main := zone(1, "www IN TXT \""+code+"\"\n@ IN A 192.0.2.10\n")
	s1 := verifytest.Start(b, verifytest.Options{}, main)
	s2 := verifytest.Start(b, verifytest.Options{}, main)
	r := verifytest.Start(b, verifytest.Options{Recursive: true}, main)
	c, _ := newWebWorld(b, map[string]http.Handler{"192.0.2.10:80": serve(http.StatusNotFound, "no such file")})
	c.Resolvers = []string{r.Addr}
	c.Exchanger = mapExchanger{to: map[string]string{"192.0.2.1:53": s1.Addr, "192.0.2.2:53": s2.Addr}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Diagnose(ctx, "main.test", verify.Code{Value: code})
		if err != nil || res.DNS.Status != verify.StatusNotFound || !slices.ContainsFunc(res.DNS.Findings, func(f verify.Finding) bool { return f.Code == "dns.wrong_name" }) {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
