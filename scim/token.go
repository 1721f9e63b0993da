package scim

import "strconv"

// Token is a bearer token that keeps its value out of every printed form.
// String and GoString give "[redacted]", and so does MarshalText (JSON,
// YAML); fmt's %v and %+v of a struct holding a Token, exported field or
// not, show "[redacted]" or a pointer, never the value. Only the
// Authorization header of a request carries it.
//
// The zero Token is "no token".
type Token struct {
	p *string // a pointer, so that reflection on an unexported field prints an address
}

// NewToken returns a Token holding s; NewToken("") is the zero Token.
func NewToken(s string) Token {
	if s == "" {
		return Token{}
	}
	return Token{p: &s}
}

// IsZero reports whether t holds no token.
func (t Token) IsZero() bool { return t.p == nil }

const redacted = "[redacted]"

// String returns "[redacted]", or "" for the zero Token.
func (t Token) String() string {
	if t.IsZero() {
		return ""
	}
	return redacted
}

// GoString returns scim.Token("[redacted]"), so %#v does not reveal t.
func (t Token) GoString() string { return "scim.Token(" + strconv.Quote(t.String()) + ")" }

// MarshalText returns the redacted form: a configuration dump never holds
// the token.
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// value is the secret itself, for the Authorization header and for
// scrubbing server responses that echo it.
func (t Token) value() string {
	if t.IsZero() {
		return ""
	}
	return *t.p
}
