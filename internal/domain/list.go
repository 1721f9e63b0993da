package domain

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// MaxLineLength is the longest line ReadList accepts, in bytes, without its
// line ending.
const MaxLineLength = 64 << 10

// ReadList reads domains, one a line, and returns them normalized, without
// duplicates, in the order of their first appearance.
//
// Blank lines and lines whose first non-blank character is '#' are skipped; a
// '#' preceded by white space starts a comment that runs to the end of the
// line ("main.com  # production"). Lines may end in LF or CRLF, and a UTF-8
// byte order mark at the start of the input is ignored. The first bad line
// stops the reading with an error giving its line number and quoting it; so
// does a line longer than MaxLineLength.
func ReadList(r io.Reader) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for e := range Entries(r) {
		if e.Err != nil {
			return nil, e.Err
		}
		if !seen[e.Domain] {
			seen[e.Domain] = true
			out = append(out, e.Domain)
		}
	}
	return out, nil
}

// Entry is one line of a domain list that names a domain: the domain
// normalized, or why the line is bad.
type Entry struct {
	Line   int
	Text   string // the line without comment and surrounding space
	Domain string
	// Err, when set, says why the line is bad ("line 7: …"), or why the
	// list could not be read further; then Domain is empty.
	Err error
}

// Entries reads a domain list as ReadList does, one line at a time, and
// yields each line that names a domain, duplicates included, so that a
// caller can check names as they come without holding the list. A bad
// name is an Entry with Err and the reading goes on; a line longer than
// MaxLineLength or a read error is the last Entry.
func Entries(r io.Reader) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		sc := bufio.NewScanner(r)
		// Room for the longest line, its CRLF, and a byte more so that a
		// line just over the limit is detected here rather than by the
		// scanner.
		sc.Buffer(make([]byte, 0, 4096), MaxLineLength+3)
		n := 0
		for sc.Scan() {
			n++
			line := sc.Text()
			if n == 1 {
				line = strings.TrimPrefix(line, "\uFEFF")
			}
			line = strings.TrimSuffix(line, "\r")
			if len(line) > MaxLineLength {
				yield(Entry{Line: n, Err: fmt.Errorf("line %d: longer than %d bytes", n, MaxLineLength)})
				return
			}
			line = stripComment(line)
			if line == "" {
				continue
			}
			e := Entry{Line: n, Text: line}
			d, err := Normalize(line)
			if err != nil {
				e.Err = fmt.Errorf("line %d: %w", n, err)
			}
			e.Domain = d
			if !yield(e) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				yield(Entry{Line: n + 1, Err: fmt.Errorf("line %d: longer than %d bytes", n+1, MaxLineLength)})
				return
			}
			yield(Entry{Line: n + 1, Err: fmt.Errorf("reading domains after line %d: %w", n, err)})
		}
	}
}

// stripComment removes a comment and surrounding white space from a line.
func stripComment(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		return ""
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimSpace(line[:i])
		}
	}
	return line
}
