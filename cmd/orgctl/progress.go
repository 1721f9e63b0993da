package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is what long runs (many domains, a sync, --wait) report to as
// they go. On a terminal it is a bar on stderr with done/total, rate, ETA
// and counts by status; when stderr is not a terminal, or with -q, the
// bar is not drawn and only notes are printed (one line each, without -q).
// Results never go through it: they go to stdout through the printer.
type progress interface {
	// Done counts one finished item under its status ("verified",
	// "created", "failed"…).
	Done(status string)
	// Note shows a message about the run in progress, such as the last
	// poll of --wait: on the bar's line on a terminal, as a line of its
	// own otherwise.
	Note(msg string)
	// Close removes the bar from the terminal; call it before printing
	// anything else on stderr, and before the summary.
	Close()
}

// newProgress starts the run's progress report for total items (-1 when
// unknown, as for domains read from stdin).
func (f *factory) newProgress(desc string, total int) progress {
	switch {
	case f.opts.Quiet:
		return nopProgress{}
	case !f.io.errTTY:
		return &lineProgress{w: f.io.ErrOut}
	}
	return newBarProgress(f.io.ErrOut, desc, total, f.io.colorErr())
}

// nopProgress reports nothing (-q).
type nopProgress struct{}

func (nopProgress) Done(string) {}
func (nopProgress) Note(string) {}
func (nopProgress) Close()      {}

// lineProgress prints notes as lines (stderr is a file or a pipe).
type lineProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *lineProgress) Done(string) {}
func (p *lineProgress) Close()      {}
func (p *lineProgress) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "orgctl: %s\n", msg)
}

// barProgress draws a progress bar (schollz/progressbar) on a terminal.
type barProgress struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	desc   string
	counts map[string]int
	note   string
	closed bool
}

func newBarProgress(w io.Writer, desc string, total int, color bool) *barProgress {
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("items"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
		progressbar.OptionEnableColorCodes(color),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionUseANSICodes(true),
	)
	return &barProgress{bar: bar, desc: desc, counts: map[string]int{}}
}

func (p *barProgress) Done(status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.counts[status]++
	p.bar.Describe(p.describe())
	_ = p.bar.Add(1)
}

func (p *barProgress) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.note = msg
	p.bar.Describe(p.describe())
}

// describe is the text before the bar: the run, counts by status, and
// the last note.
func (p *barProgress) describe() string {
	parts := []string{p.desc}
	for _, s := range slices.Sorted(maps.Keys(p.counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", s, p.counts[s]))
	}
	if p.note != "" {
		parts = append(parts, p.note)
	}
	return strings.Join(parts, " · ")
}

func (p *barProgress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	_ = p.bar.Clear()
	_ = p.bar.Exit()
}
