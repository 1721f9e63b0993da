package store

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRecordChecks measures writing one batch of the verification
// history as orgctl verify does in a bulk run: 256 checks of 256 domains
// in one transaction (one fsync), half of them with a stored code.
func BenchmarkRecordChecks(b *testing.B) {
	s, err := Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 128 {
		d := fmt.Sprintf("d%d.bench.test", i)
		if err := s.PutCode(b.Context(), Code{Domain: d, Code: "668e156b-f5d3-430e-9944-f1d4385d043e", CreatedAt: now, ExpiresAt: now.AddDate(0, 0, 10)}, false); err != nil {
			b.Fatal(err)
		}
	}
	batch := make([]DomainCheck, 256)
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			d := fmt.Sprintf("d%d.bench.test", i)
			batch[i] = DomainCheck{Domain: d, Check: Check{At: now, Method: "dns", Name: d, Status: StatusVerified}}
		}
		if err := s.RecordChecks(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(batch)), "µs/check")
}
