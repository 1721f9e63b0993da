package verify

import (
	"testing"

	"github.com/miekg/dns"
)

const benchCode = "logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"

// BenchmarkClassify measures matching one found value against the
// expected code, for an exact match and a near miss (the slow path).
func BenchmarkClassify(b *testing.B) {
	for _, tt := range []struct{ name, got string }{
		{"exact", benchCode},
		{"near_miss", "Logmein-Verification-Code = 668E156B-F5D3-430E-9944-F1D4385D043E"},
		{"other", "v=spf1 include:_spf.example.com -all"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				classify(tt.got, benchCode)
			}
		})
	}
}

// BenchmarkServerResult measures decoding one TXT answer (a packed
// message of four records, as a server sends it) into a Server.
func BenchmarkServerResult(b *testing.B) {
	m := new(dns.Msg)
	m.SetQuestion("main.test.", dns.TypeTXT)
	m.Response, m.Authoritative = true, true
	for _, s := range []string{`"v=spf1 -all"`, `"` + benchCode + `"`, `"google-site-verification=abc"`, `"a" "b"`} {
		rr, err := dns.NewRR("main.test. 300 IN TXT " + s)
		if err != nil {
			b.Fatal(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	wire, err := m.Pack()
	if err != nil {
		b.Fatal(err)
	}
	var c Checker
	b.ReportAllocs()
	for b.Loop() {
		r := new(dns.Msg)
		if err := r.Unpack(wire); err != nil {
			b.Fatal(err)
		}
		s := c.serverResult(reply{msg: r}, target{addr: "192.0.2.1:53"}, RoleAuthoritative, "main.test.", benchCode)
		if !s.Match {
			b.Fatal("no match")
		}
	}
}
