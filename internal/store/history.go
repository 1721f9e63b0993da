package store

import (
	"sync"
	"time"
)

// History batches: the verification history is written as results come,
// in transactions of at least HistoryBatch checks or every historyEvery,
// so that a run killed midway keeps what it did and never holds its
// results; historyPending bounds the checks waiting to be written.
const (
	HistoryBatch   = 256
	historyEvery   = time.Second
	historyPending = 1 << 14
)

// HistoryWriter writes the checks of a run on a goroutine of its own: a
// transaction waits for the disk (fsync), and the results must not wait
// for it. While one transaction is written the next batch grows, so a
// slow disk gets fewer, larger transactions; past historyPending checks,
// Add waits, so that memory stays bounded.
type HistoryWriter struct {
	record func([]DomainCheck) error
	warn   func(error)

	mu     sync.Mutex
	room   *sync.Cond // signalled when the pending batch is taken
	batch  []DomainCheck
	closed bool
	wake   chan struct{} // a full batch waits
	done   chan struct{}
	warned bool
}

// NewHistoryWriter starts a writer that hands each batch to record (the
// store's RecordChecks, opened when first needed); warn hears of the
// first failure only: a history not saved is not a failed verification.
func NewHistoryWriter(record func([]DomainCheck) error, warn func(error)) *HistoryWriter {
	h := &HistoryWriter{record: record, warn: warn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.room = sync.NewCond(&h.mu)
	go h.write()
	return h
}

// write takes the pending checks when a batch is full, every
// historyEvery, and at close, and writes them in one transaction.
func (h *HistoryWriter) write() {
	defer close(h.done)
	t := time.NewTicker(historyEvery)
	defer t.Stop()
	for {
		select {
		case <-h.wake:
		case <-t.C:
		}
		h.mu.Lock()
		b, closed := h.batch, h.closed
		h.batch = nil
		h.room.Broadcast()
		h.mu.Unlock()
		if len(b) > 0 {
			if err := h.record(b); err != nil && !h.warned {
				h.warned = true
				h.warn(err)
			}
		}
		if closed {
			return
		}
	}
}

// Add queues checks.
func (h *HistoryWriter) Add(checks []DomainCheck) {
	if len(checks) == 0 {
		return
	}
	h.mu.Lock()
	for len(h.batch) >= historyPending {
		h.room.Wait()
	}
	h.batch = append(h.batch, checks...)
	full := len(h.batch) >= HistoryBatch
	h.mu.Unlock()
	if full {
		h.signal()
	}
}

func (h *HistoryWriter) signal() {
	select {
	case h.wake <- struct{}{}:
	default: // the writer is already woken
	}
}

// Close writes what is left and waits for the writer.
func (h *HistoryWriter) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.signal()
	<-h.done
}
