package provision

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/orgctl/orgctl/scim"
)

// Format is how a source is written.
type Format int

// Formats of a source. FormatAuto decides by the file name's extension, or,
// for stdin and unknown extensions, by the content.
const (
	FormatAuto Format = iota
	FormatCSV
	FormatJSON
	FormatJSONL
)

// ParseFormat reads a format as given to a --format flag or as a file
// name's extension: auto, csv, json, jsonl or ndjson (any case).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "json":
		return FormatJSON, nil
	case "jsonl", "ndjson":
		return FormatJSONL, nil
	}
	return FormatAuto, fmt.Errorf("unknown source format %q: want auto, csv, json or jsonl", s)
}

// String returns the name ParseFormat reads.
func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatJSON:
		return "json"
	case FormatJSONL:
		return "jsonl"
	}
	return "auto"
}

// Kind is what a source turned out to be once read.
type Kind string

// Kinds of source.
const (
	KindCSV   Kind = "csv"   // a CSV with canonical headers
	KindEntra Kind = "entra" // the CSV of Entra ID's "bulk download users"
	KindJSON  Kind = "json"
	KindJSONL Kind = "jsonl"
)

// Limits on what a source may hold.
const (
	// MaxFieldBytes is the longest value of a field (64 KiB).
	MaxFieldBytes = 64 << 10
	// MaxRowErrors is how many bad rows a SourceError lists; it counts the
	// rest.
	MaxRowErrors = 1000
)

// Source is a validated source of users (and, for JSON, groups), read
// whole: every row passed validation. Its users are kept compactly, as one
// string a user, until Build maps them.
type Source struct {
	// Name is the file name given ("-" for stdin), for messages.
	Name string
	Kind Kind
	// fields are the source field of each column, as knownFields names
	// them; a record holds its values in this order.
	fields []string
	users  []sourceRow
	groups []sourceGroup
	// seen finds duplicates while the source is read, among all its rows
	// with a userName, bad or not: a bad row does not hide a duplicate.
	seen *uniq
	// path, for a source opened by OpenSource, is the file its users are
	// read from again, with format; n counts them. emit, while the file is
	// read again, takes each user instead of users.
	path   string
	format Format
	n      int
	emit   func(sourceRow) error
}

// Len returns the number of users in the source.
func (s *Source) Len() int {
	if s.path != "" {
		return s.n
	}
	return len(s.users)
}

// OpenSource validates the source file at path as ReadSource does, but
// keeps only what finds duplicates (8 bytes a userName and externalId
// while it reads) and the JSON groups: its users are read from the file
// again each time they are walked (Build, BuildStream), so that a source of
// a million users takes no memory to speak of. The file must not change
// until the Source is dropped. name is for messages.
func OpenSource(path, name string, format Format) (*Source, error) {
	src, err := readSource(path, name, format, nil)
	if err != nil {
		return nil, err
	}
	src.users = nil
	return src, nil
}

// readSource opens path and reads it as ReadSource does; with emit set,
// every good user goes to emit rather than into the Source.
func readSource(path, name string, format Format, emit func(sourceRow) error) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", name, err)
	}
	defer f.Close()
	return readFrom(f, name, format, &Source{Name: name, seen: newUniq(0), path: path, emit: emit})
}

// each calls fn with every user of the source, in order; an error of fn
// ends the walk and is returned.
func (s *Source) each(fn func(sourceRow) error) error {
	if s.path == "" {
		for _, r := range s.users {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	again, err := readSource(s.path, s.Name, s.format, fn)
	var se *SourceError
	if errors.As(err, &se) {
		return fmt.Errorf("source %s changed while it was synced: %w", s.Name, err)
	}
	if err == nil && again.n != s.n {
		err = fmt.Errorf("source %s changed while it was synced: %d users, then %d", s.Name, s.n, again.n)
	}
	return err
}

// Fields returns the source fields the source has, in column order: for a
// CSV, its header's columns by the names mappings and scoping rules use
// (Entra's userPrincipalName is userName); for JSON, the canonical fields.
func (s *Source) Fields() []string { return slices.Clone(s.fields) }

// column returns the index of field f in s's records, or -1.
func (s *Source) column(f string) int { return slices.Index(s.fields, f) }

// sourceRow is one user of a source: its values in column order, joined by
// NUL (which no value may hold). One string a user keeps a million-user
// source small: no per-row map or slice survives reading.
type sourceRow struct {
	line int
	data string
}

// values splits r into dst (reused) with one entry a column; missing
// trailing columns are empty.
func (r sourceRow) values(dst []string, n int) []string {
	dst = dst[:0]
	s := r.data
	for len(dst) < n {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			dst = append(dst, s)
			s = ""
			for len(dst) < n {
				dst = append(dst, "")
			}
			break
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
	return dst
}

// joinValues is the data of a record holding vals.
func joinValues(vals []string) string { return strings.Join(vals, "\x00") }

// sourceGroup is a group of a JSON source's "groups" list.
type sourceGroup struct {
	line        int
	displayName string
	externalID  string
	members     []string
}

// RowError is one problem of a source: where, which field, the offending
// value (shortened) and what is wrong.
type RowError struct {
	// Line is the 1-based line of the row (where its object or a broken
	// quote starts); 0 when the problem concerns the whole source.
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	// Value is the offending value, shortened to about 80 characters.
	Value string `json:"value,omitempty"`
	Msg   string `json:"message"`
}

// Error reads `line 12: active "yes": invalid boolean (want true or false)`.
func (e RowError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteByte(' ')
	}
	if e.Value != "" || e.Field != "" {
		fmt.Fprintf(&b, "%q: ", e.Value)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// SourceError says why a source was refused: every bad row found (up to
// MaxRowErrors) and how many more there were. Nothing may be sent to a
// target from a source that gave one.
type SourceError struct {
	Name string
	Rows []RowError
	// More counts the problems found beyond Rows.
	More int
}

// Error names the source and its problems, the first few in full.
func (e *SourceError) Error() string {
	n := len(e.Rows) + e.More
	var b strings.Builder
	fmt.Fprintf(&b, "source %s: %d problem", e.Name, n)
	if n != 1 {
		b.WriteByte('s')
	}
	for i, r := range e.Rows {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", n-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(r.Error())
	}
	return b.String()
}

// errs collects row errors for a SourceError.
type errs struct {
	rows []RowError
	more int
	// fatal is an error of Source.emit, which ends the use of the rows
	// read again (the reader goes on to the end of the file).
	fatal error
}

func (e *errs) add(line int, field, value, format string, args ...any) {
	if len(e.rows) >= MaxRowErrors {
		e.more++
		return
	}
	e.rows = append(e.rows, RowError{Line: line, Field: field, Value: shorten(value), Msg: fmt.Sprintf(format, args...)})
}

func (e *errs) err(name string) error {
	if len(e.rows) == 0 {
		return nil
	}
	return &SourceError{Name: name, Rows: e.rows, More: e.more}
}

// shorten cuts s to about 80 characters (never inside a UTF-8 sequence),
// so that a huge value does not flood a message.
func shorten(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

// ReadSource reads and validates a whole source from r. name is the file
// name ("-" for stdin): its extension (.csv, .json, .jsonl) decides the
// format when format is FormatAuto, else the content does. A source with any
// bad row gives a *SourceError listing them all; a read failure gives
// another error.
//
// Validated here: encoding (UTF-8; a UTF-16 file is named as such), field
// counts, quoting, field sizes, headers and attribute names, booleans,
// userNames and group names (not empty or blank, no control character:
// scim.CheckName) and duplicate userNames (case-insensitively) or
// externalIds. Build checks what depends on the mapping.
func ReadSource(r io.Reader, name string, format Format) (*Source, error) {
	return readFrom(r, name, format, &Source{Name: name, seen: newUniq(0)})
}

// readFrom reads a source from r into src.
func readFrom(r io.Reader, name string, format Format, src *Source) (*Source, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("reading source %s: %w", name, err)
	}
	if msg := utf16(head); msg != "" {
		return nil, &SourceError{Name: name, Rows: []RowError{{Line: 1, Msg: msg}}}
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	if format == FormatAuto {
		if format, err = detect(br, name); err != nil {
			return nil, fmt.Errorf("reading source %s: %w", name, err)
		}
	}
	src.format = format
	var e errs
	switch format {
	case FormatCSV:
		err = readCSV(br, src, &e)
	case FormatJSON:
		err = readJSON(br, src, &e)
	case FormatJSONL:
		err = readJSONL(br, src, &e)
	default:
		return nil, fmt.Errorf("reading source %s: unknown format %d", name, format)
	}
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", name, err)
	}
	src.seen = nil
	if e.fatal != nil {
		return nil, e.fatal
	}
	if err := e.err(name); err != nil {
		return nil, err
	}
	return src, nil
}

// utf16 says why head, the first bytes of a source, is UTF-16 text, or "".
// Without a BOM, a NUL among the first bytes of text that should start with
// a header or a brace gives it away.
func utf16(head []byte) string {
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return "text is UTF-16: save as UTF-8"
	}
	if len(head) >= 2 && (head[0] == 0) != (head[1] == 0) {
		return "text looks like UTF-16 (NUL bytes): save as UTF-8"
	}
	return ""
}

// detect decides a source's format from its name, else from its first
// bytes: '{' starts JSON — JSONL when the first line is a whole user
// object — and anything else is CSV.
func detect(br *bufio.Reader, name string) (Format, error) {
	if f, err := ParseFormat(strings.TrimPrefix(filepath.Ext(name), ".")); err == nil && f != FormatAuto {
		return f, nil
	}
	peek, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return FormatAuto, err
	}
	t := bytes.TrimLeft(peek, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return FormatCSV, nil
	}
	line, _, _ := bytes.Cut(t, []byte("\n"))
	if isJSONLUser(bytes.TrimSpace(line)) {
		return FormatJSONL, nil
	}
	return FormatJSON, nil
}

// add checks a row's userName (column un) and externalId (column ext, or
// -1) for duplicates, and adds the row to s when it is good: to its users,
// or, for a source read from its file again, to s.emit. A bad row is
// checked too: it does not hide a duplicate.
func (s *Source) add(e *errs, line int, vals []string, un, ext int, good bool) {
	if !good {
		if s.emit == nil {
			s.seen.check(e, line, vals[un], column(vals, ext))
		}
		return
	}
	s.n++
	if s.emit != nil {
		// Read again: checked the first time.
		if e.fatal == nil {
			e.fatal = s.emit(sourceRow{line: line, data: joinValues(vals)})
		}
		return
	}
	s.seen.check(e, line, vals[un], column(vals, ext))
	if s.path == "" {
		s.users = append(s.users, sourceRow{line: line, data: joinValues(vals)})
	}
}

// column returns vals[i], or "" for i < 0.
func column(vals []string, i int) string {
	if i < 0 {
		return ""
	}
	return vals[i]
}

// uniq finds duplicate userNames and externalIds. It keeps a 64-bit hash
// of each rather than the text, so that checking a million users takes
// about 40 MB; two different names share a hash once in 10^7 sources of a
// million users, and are then reported as duplicates.
type uniq struct {
	seed       maphash.Seed
	names, ids map[uint64]int32
}

func newUniq(n int) *uniq {
	return &uniq{seed: maphash.MakeSeed(), names: make(map[uint64]int32, n), ids: make(map[uint64]int32)}
}

func (u *uniq) check(e *errs, line int, userName, externalID string) {
	key := maphash.String(u.seed, strings.ToLower(userName))
	if first, ok := u.names[key]; ok {
		e.add(line, FieldUserName, userName, "duplicate userName: line %d has it too (userNames are compared case-insensitively)", first)
	} else {
		u.names[key] = int32(line)
	}
	if externalID == "" {
		return
	}
	key = maphash.String(u.seed, externalID)
	if first, ok := u.ids[key]; ok {
		e.add(line, FieldExternalID, externalID, "duplicate externalId: line %d has it too", first)
	} else {
		u.ids[key] = int32(line)
	}
}

// checkValue adds an error when v cannot be a field's value: not UTF-8, too
// long, or holding NUL. It reports whether v is good.
func checkValue(e *errs, line int, field, v string) bool {
	switch {
	case len(v) > MaxFieldBytes:
		e.add(line, field, v, "field is %d bytes, more than the %d allowed", len(v), MaxFieldBytes)
	case !utf8.ValidString(v):
		e.add(line, field, strings.ToValidUTF8(v, "\uFFFD"), "text is not UTF-8: save the file as UTF-8")
	case strings.IndexByte(v, 0) >= 0:
		e.add(line, field, v, "contains a NUL character")
	default:
		return true
	}
	return false
}

// checkName adds an error when v, a row's userName or one of its group
// names, is a name the SCIM client would refuse to send (scim.CheckName:
// empty or only white space, or holding a control character); what says
// which ("userName", "group name"). It reports whether v is good.
func checkName(e *errs, line int, field, what, v string) bool {
	if err := scim.CheckName(v); err != nil {
		e.add(line, field, v, "%s %v", what, err)
		return false
	}
	return true
}

// parseActive reads an active value: true or false in any case; empty is
// true.
func parseActive(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// groupSep separates the group names of a record's groups field: a
// control character, so that a JSON group name may hold the ';' that
// separates them in a CSV.
const groupSep = "\x1f"

// csvGroups turns a CSV groups value into a record's: split at ';', names
// trimmed, empty ones dropped.
func csvGroups(v string) string {
	var b strings.Builder
	for g := range strings.SplitSeq(v, ";") {
		if g = strings.TrimSpace(g); g != "" {
			if b.Len() > 0 {
				b.WriteString(groupSep)
			}
			b.WriteString(g)
		}
	}
	return b.String()
}
