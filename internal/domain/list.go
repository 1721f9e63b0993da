package domain

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
	sc := bufio.NewScanner(r)
	// Room for the longest line, its CRLF, and a byte more so that a line
	// just over the limit is detected here rather than by the scanner.
	sc.Buffer(make([]byte, 0, 4096), MaxLineLength+3)
	var (
		out  []string
		seen = make(map[string]bool)
		n    int
	)
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSuffix(line, "\r")
		if len(line) > MaxLineLength {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n, MaxLineLength)
		}
		line = stripComment(line)
		if line == "" {
			continue
		}
		d, err := Normalize(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, MaxLineLength)
		}
		return nil, fmt.Errorf("reading domains after line %d: %w", n, err)
	}
	return out, nil
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
