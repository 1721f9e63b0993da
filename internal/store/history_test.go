package store

import (
	"errors"
	"sync"
	"testing"
)

// The writer hands every check over exactly once, in batches, and warns
// of a failure once however many batches fail.
func TestHistoryWriter(t *testing.T) {
	for _, fail := range []bool{false, true} {
		var mu sync.Mutex
		var got, batches, warned int
		h := NewHistoryWriter(func(b []DomainCheck) error {
			mu.Lock()
			defer mu.Unlock()
			got += len(b)
			batches++
			if fail {
				return errors.New("disk full")
			}
			return nil
		}, func(error) { warned++ })
		const n = 3*HistoryBatch + 7
		for range n {
			h.Add([]DomainCheck{{Domain: "main.com", Check: Check{Method: "dns", Status: "verified"}}})
		}
		h.Close()
		if got != n || batches < 1 || batches > n {
			t.Errorf("fail=%v: %d checks in %d batches, want %d", fail, got, batches, n)
		}
		if want := map[bool]int{false: 0, true: 1}[fail]; warned != want {
			t.Errorf("fail=%v: warned %d times, want %d", fail, warned, want)
		}
	}
}
