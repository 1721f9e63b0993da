package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Sentinels matched by errors.Is. An [*Error] from a response matches the
// one its HTTP status stands for; the CLI maps ErrUnauthorized to exit
// code 4.
var (
	// ErrUnauthorized: 401 or 403, or no token given (ErrNoToken).
	ErrUnauthorized = errors.New("scim: unauthorized")
	// ErrNotFound: 404, or a search by attribute (FindUser, FindGroup)
	// that matched nothing.
	ErrNotFound = errors.New("scim: not found")
	// ErrConflict: 409, a uniqueness conflict (RFC 7644 §3.3).
	ErrConflict = errors.New("scim: conflict")
	// ErrPreconditionFailed: 412, an If-Match version that no longer holds.
	ErrPreconditionFailed = errors.New("scim: precondition failed")
	// ErrRateLimited: 429 that outlasted the retries.
	ErrRateLimited = errors.New("scim: rate limited")

	// ErrNoToken is returned by New when Config.Token is zero. It matches
	// ErrUnauthorized.
	ErrNoToken = fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	// ErrPagination: a list could not be read completely (a server that
	// ignores startIndex, more pages than Config.MaxPages). A partial list
	// is never returned as if it were whole.
	ErrPagination = errors.New("scim: incomplete list")
	// ErrUnsupported: the server's ServiceProviderConfig says it does not
	// support what the call needs (PATCH).
	ErrUnsupported = errors.New("scim: not supported by the server")
	// ErrInvalid: an argument the call cannot use, such as an empty id,
	// or a userName or displayName that CheckName refuses; nothing was
	// sent. A CLI reports it as a usage error.
	ErrInvalid = errors.New("scim: invalid argument")
)

// invalidError is an argument error that reads as its own message and
// matches ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf returns an error matching ErrInvalid.
func invalidf(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

// CheckName returns nil when s can be a userName or a group's
// displayName, else why not: it is empty or only white space, it is not
// UTF-8, or it holds a control character (C0, DEL or C1: a tab, a
// newline, an escape), which no person types in a name and which a
// terminal, a filter or a log line would take for something else. The
// error matches ErrInvalid and reads as the reason alone, such as
// "holds a control character (U+0007)", for the caller to say whose
// value it is.
func CheckName(s string) error {
	switch {
	case s == "":
		return invalidf("is empty")
	case strings.TrimSpace(s) == "":
		return invalidf("is only white space")
	case !utf8.ValidString(s):
		return invalidf("is not UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidf("holds a control character (U+%04X)", r)
		}
	}
	return nil
}

// checkName refuses a name that CheckName refuses, naming what the call
// was doing and the attribute, with the value escaped.
func checkName(doing, attr, s string) error {
	if err := CheckName(s); err != nil {
		if s == "" {
			return invalidf("scim: %s: no %s", doing, attr)
		}
		return invalidf("scim: %s: %s %s %v", doing, attr, strconv.Quote(s), err)
	}
	return nil
}

// AmbiguousError is a reference that more than one resource matches: two
// groups with the same displayName (servers need not keep it unique), or a
// server that holds a userName twice. The caller should name the resource
// by its id, one of Matches.
type AmbiguousError struct {
	Kind    string   // "user" or "group"
	Attr    string   // the attribute compared, e.g. "displayName"
	Value   string   // the value looked for
	Matches []string // the ids of the resources that have it
}

// Error reads like `scim: 2 groups have displayName "Eng" (ids g1, g7)`.
func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("scim: %d %ss have %s %s (ids %s)", len(e.Matches), e.Kind, e.Attr, quote(e.Value), strings.Join(e.Matches, ", "))
}

// Error is a failed request: an HTTP error status (Status set), or no
// usable response at all (Status 0, Err set: a timeout, a reset
// connection, a cancelled context). It never holds the token; Path has
// neither scheme, host nor query.
type Error struct {
	Method   string
	Path     string // the request path, e.g. /scim/v2/Users/42
	Status   int    // HTTP status; 0 when there was no response
	SCIMType string // RFC 7644 §3.12 scimType, when the server gave one
	Detail   string // the server's detail message
	Body     string // the response body, truncated to 1 KiB, token scrubbed
	Attempts int    // how many attempts were made
	Err      error  // why there was no response (Status 0)
}

// Error reads like "scim: GET /scim/v2/Users/42: 404 Not Found: Resource 42 not found".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scim: %s %s: ", e.Method, e.Path)
	if e.Status == 0 {
		b.WriteString(describe(e.Err))
	} else {
		fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
		if e.SCIMType != "" {
			fmt.Fprintf(&b, " (scimType %s)", e.SCIMType)
		}
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		} else if s := snippet(e.Body); s != "" && !strings.HasPrefix(strings.TrimSpace(e.Body), "{") {
			b.WriteString(": " + s)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel that e's status stands for.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrPreconditionFailed:
		return e.Status == http.StatusPreconditionFailed
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// describe words a transport error for people.
func describe(err error) string {
	switch {
	case err == nil:
		return "no response"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without a complete response"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens there)"
	}
	return err.Error()
}

// maxErrorBody is how much of a response body an Error keeps.
const maxErrorBody = 1024

// errorBody is the SCIM error schema (RFC 7644 §3.12), read leniently:
// status as a string or a number, and the detail under the names other
// APIs use when the server is not (yet) speaking SCIM.
type errorBody struct {
	Status           lenientInt `json:"status"`
	SCIMType         string     `json:"scimType"`
	Detail           string     `json:"detail"`
	Message          string     `json:"message"`
	ErrorDescription string     `json:"error_description"`
	Error            any        `json:"error"`
}

// parseErrorBody fills e's SCIMType, Detail and Body from a response body.
// It never fails: a body that is not a SCIM error is kept raw.
func (e *Error) parseErrorBody(body []byte, token string) {
	// Unmarshal fills what it can and skips members of the wrong type;
	// a body that is not JSON at all leaves eb empty.
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	e.SCIMType = printable(clean(scrub(eb.SCIMType, token), 64))
	oauth, _ := eb.Error.(string)
	e.Detail = printable(clean(scrub(firstNonEmpty(eb.Detail, eb.Message, eb.ErrorDescription, oauth), token), 512))
	e.Body = clean(scrub(string(body), token), maxErrorBody)
}

// scrub replaces the token in text from a server that echoes it.
func scrub(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, redacted)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// clean makes s printable: valid UTF-8, at most max bytes (cut on a rune
// boundary, marked with "…").
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// printable replaces the control characters of a server's message, which
// end up on a terminal in error messages: white space by a space, the
// rest (an escape sequence's ESC) by U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

// titleRE and tagRE are compiled on first use, not at package init, which
// every orgctl command pays at start-up.
var (
	titleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })
	tagRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<[^>]*>`) })
)

// snippet is a one-line summary of a body that is not a SCIM error: an
// HTML page's title, or its text with white space folded, cut at 200
// bytes.
func snippet(body string) string {
	if m := titleRE().FindStringSubmatch(body); m != nil {
		body = m[1]
	} else if strings.Contains(body, "<") {
		body = tagRE().ReplaceAllString(body, " ")
	}
	return printable(clean(strings.Join(strings.Fields(body), " "), 200))
}
