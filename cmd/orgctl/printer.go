package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// Output formats (DESIGN.md §2).
const (
	formatText  = "text"
	formatJSON  = "json"
	formatJSONL = "jsonl"
)

// printer renders what commands return, in the one format the run asked
// for: text for people, json (an indented object, or an array for
// lists), or jsonl (one compact object a line). Every command prints
// through it; none checks the output mode itself. With -q it prints
// nothing. It is safe for concurrent use.
type printer struct {
	format  string
	quiet   bool
	verbose bool
	io      *IOStreams

	mu sync.Mutex
}

// printer returns the run's printer.
func (f *factory) printer() *printer {
	return &printer{format: cmp.Or(f.opts.Output, formatText), quiet: f.opts.Quiet, verbose: f.opts.Verbose, io: f.io}
}

// JSON reports whether output is json or jsonl.
func (p *printer) JSON() bool { return p.format != formatText }

// JSONL reports whether output is jsonl: results stream a line each.
func (p *printer) JSONL() bool { return p.format == formatJSONL }

// Quiet reports whether -q silenced stdout.
func (p *printer) Quiet() bool { return p.quiet }

// textOut is what a text renderer writes with: stdout, its palette and
// width, whether it is a terminal, and -v.
type textOut struct {
	W       io.Writer
	P       palette
	Width   int
	TTY     bool
	Verbose bool
}

func (p *printer) text() *textOut {
	return &textOut{W: p.io.Out, P: palette{on: p.io.colorOut()}, Width: p.io.width(), TTY: p.io.outTTY, Verbose: p.verbose}
}

// Print prints one value: an indented JSON object, one JSON line, or
// whatever text writes.
func (p *printer) Print(v any, text func(t *textOut)) error {
	if p.quiet {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.JSON() {
		return p.encode(v)
	}
	text(p.text())
	return nil
}

// printAll prints a list: a JSON array (never null), one JSON line per
// item, or whatever text writes for the whole list.
func printAll[T any](p *printer, items []T, text func(t *textOut)) error {
	if p.quiet {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.format {
	case formatJSON:
		if items == nil {
			items = []T{}
		}
		return p.encode(items)
	case formatJSONL:
		for _, it := range items {
			if err := p.encode(it); err != nil {
				return err
			}
		}
		return nil
	}
	text(p.text())
	return nil
}

func (p *printer) encode(v any) error {
	enc := json.NewEncoder(p.io.Out)
	enc.SetEscapeHTML(false)
	if p.format == formatJSON {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// Stream starts a list whose items arrive one at a time, as a long run
// finishes them: jsonl prints each line at once, json writes the array as
// it goes (memory does not grow with the number of items), text renders
// each item. Close ends it; a stream with no items is "[]" in json.
func (p *printer) Stream() *stream { return &stream{p: p} }

// stream is a list being printed; see printer.Stream.
type stream struct {
	p      *printer
	n      int
	closed bool
}

// Item prints one item of the list.
func (s *stream) Item(v any, text func(t *textOut)) error {
	p := s.p
	if p.quiet {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s.n++
	switch p.format {
	case formatJSONL:
		return p.encode(v)
	case formatJSON:
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if s.n == 1 {
			sep = "[\n  "
		}
		_, err = fmt.Fprintf(p.io.Out, "%s%s", sep, unescapeHTML(b))
		return err
	}
	text(p.text())
	return nil
}

// Close ends the list.
func (s *stream) Close() error {
	p := s.p
	if p.quiet || s.closed {
		return nil
	}
	s.closed = true
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.format != formatJSON {
		return nil
	}
	if s.n == 0 {
		_, err := fmt.Fprintln(p.io.Out, "[]")
		return err
	}
	_, err := fmt.Fprintln(p.io.Out, "\n]")
	return err
}

// unescapeHTML undoes json.Marshal's escaping of <, > and &, which
// Encoder.SetEscapeHTML(false) avoids for the other encoders here.
func unescapeHTML(b []byte) []byte {
	s := string(b)
	if !strings.Contains(s, `\u00`) {
		return b
	}
	r := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	return []byte(r.Replace(s))
}

// Table writes rows under a header: aligned with the header on a
// terminal, tab-separated without it when piped (for cut and awk). Cells
// are escaped with safe; an empty cell is "-".
func (t *textOut) Table(header []string, rows [][]string) error {
	w := t.W
	var tw *tabwriter.Writer
	if t.TTY {
		tw = tabwriter.NewWriter(t.W, 0, 4, 2, ' ', 0)
		w = tw
		fmt.Fprintln(w, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cmp.Or(safe(c), "-")
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// safe makes a string that came from outside (a server, a file) safe to
// print on a terminal: control characters, escape sequences and other
// invisible runes are written as Go escapes (\x1b, \u200b), tabs and
// newlines too, so that a value can neither clear the screen nor break
// a table. Printable text, non-ASCII letters included, is kept as is.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\u200b'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}
