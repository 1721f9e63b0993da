package codegen

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Prefix is the label in front of the UUID in a published code.
const Prefix = "logmein-verification-code"

// FileName is the name of the file served at the web root for HTTP
// verification.
const FileName = "logmein-verification-code.txt"

// ErrInvalid is wrapped by the errors Parse returns for input that is not a
// code.
var ErrInvalid = errors.New("invalid code")

// expected says, in error messages, what Parse accepts.
const expected = `want "` + Prefix + `=<uuid>" or the bare UUID (8-4-4-4-12 hex digits)`

// New returns a random version 4 UUID (RFC 9562, section 5.4) in its
// canonical form: 36 characters, lowercase hexadecimal digits in groups of
// 8-4-4-4-12 separated by hyphens. It reads exactly 16 bytes from r, of which
// 122 bits end up in the UUID; callers pass crypto/rand.Reader.
func New(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("generating a code: no random source")
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("generating a code: reading 16 random bytes: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10 (RFC 9562)
	return format(b), nil
}

func format(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// Value returns the published form of a code, Prefix + "=" + uuid. It does not
// check uuid: pass the result of New or Parse.
func Value(uuid string) string {
	return Prefix + "=" + uuid
}

// Parse accepts a code as users copy it: the published form
// "logmein-verification-code=<uuid>" or the bare UUID. Surrounding white space
// is ignored, and the prefix and the hex digits may be in any case. It returns
// the canonical lowercase UUID.
//
// Any UUID version is accepted, since the provider's codes need not be version
// 4, but the 8-4-4-4-12 shape is required. Near misses (quotes, spaces around
// "=", braces, another prefix) are rejected with an error that quotes the input
// and says what is wrong; the error wraps ErrInvalid.
func Parse(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", invalid(s, "empty")
	}
	if reason := quoting(t); reason != "" {
		return "", invalid(s, reason)
	}
	u := t
	if before, after, ok := strings.Cut(t, "="); ok {
		switch {
		case strings.TrimSpace(before) != before || strings.TrimSpace(after) != after:
			return "", invalid(s, `white space around "="`)
		case !strings.EqualFold(before, Prefix):
			return "", invalid(s, "unknown prefix "+quote(before))
		}
		u = after
	}
	if canon, ok := canonical(u); ok {
		return canon, nil
	}
	switch {
	case strings.HasPrefix(u, "{") && strings.HasSuffix(u, "}"):
		return "", invalid(s, "remove the braces around the UUID")
	case u == "" || strings.EqualFold(u, Prefix):
		return "", invalid(s, "the UUID is missing")
	case u != t:
		return "", invalid(s, quote(u)+" is not a UUID")
	default:
		return "", invalid(s, "not a UUID")
	}
}

// quoting names a quoting mistake around or inside t, or returns "".
func quoting(t string) string {
	if strings.ContainsAny(t, "“”‘’„«»") {
		return "remove the typographic quotes"
	}
	if strings.ContainsAny(t, "\"'`") {
		return "remove the quotes"
	}
	return ""
}

// canonical reports whether u has the 8-4-4-4-12 hex shape and returns it in
// lowercase.
func canonical(u string) (string, bool) {
	if len(u) != 36 {
		return "", false
	}
	b := []byte(u)
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
			continue
		}
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}

func invalid(input, reason string) error {
	return fmt.Errorf("%w %s: %s; %s", ErrInvalid, quote(input), reason, expected)
}

// maxQuoted bounds how much of an input an error message repeats.
const maxQuoted = 200

// quote returns s quoted with strconv.Quote, shortened when it is too long to
// be useful in a message.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
