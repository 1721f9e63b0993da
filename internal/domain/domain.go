package domain

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxLength is the longest name, in octets and without a trailing dot, that
// fits in a DNS query (RFC 1035, section 3.1, and RFC 2181, section 11).
const MaxLength = 253

// MaxLabelLength is the longest label in octets (RFC 1035, section 2.3.4).
const MaxLabelLength = 63

// ErrInvalid is wrapped by every error that rejects a name.
var ErrInvalid = errors.New("invalid domain")

// profile returns the IDNA profile used to map and validate names: UTS #46
// for lookup, non-transitional (ß stays ß, as in browsers), STD3 ASCII rules,
// the Bidi rule. Hyphen positions and lengths are checked by Normalize itself,
// for better messages and to accept host names such as "r3---sn-x.example".
func profile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.Transitional(false),
		idna.StrictDomainName(true),
		idna.BidiRule(),
		idna.CheckHyphens(false),
	)
}

// Normalize returns the canonical form of a domain name: surrounding white
// space and one trailing dot removed, lowercase, internationalized labels
// converted to A-labels. It returns an error wrapping ErrInvalid, quoting s,
// for anything that is not a host name of at least two labels: IP addresses,
// URLs, e-mail addresses, wildcards, empty labels, labels over 63 octets,
// names over 253 octets, and names of one label such as "localhost", which
// cannot be a registered domain.
//
// Normalize is idempotent: a name it returns normalizes to itself.
func Normalize(s string) (string, error) {
	name, err := normalize(s, true)
	if err != nil {
		return "", &invalidError{subject: "domain", input: s, err: err}
	}
	return name, nil
}

// CheckHost returns nil when s is a host name, such as a server's: the
// rules of Normalize, but a single label ("localhost") is one too. Else
// an error wrapping ErrInvalid, quoting s.
func CheckHost(s string) error {
	if _, err := normalize(s, false); err != nil {
		return &invalidError{subject: "host name", input: s, err: err}
	}
	return nil
}

// invalidError rejects a name. It quotes the input as given and wraps
// ErrInvalid and the cause.
type invalidError struct {
	subject string // "domain", "subdomain of main.com"
	input   string
	err     error
}

func (e *invalidError) Error() string {
	return fmt.Sprintf("invalid %s %.*q: %v", e.subject, maxQuoted, e.input, e.err)
}

func (e *invalidError) Unwrap() []error { return []error{ErrInvalid, e.err} }

// reason is a rejection without the "invalid domain" preamble, which Error
// adds.
type reason string

func (r reason) Error() string { return string(r) }

func reasonf(format string, args ...any) error {
	return reason(fmt.Sprintf(format, args...))
}

// normalize implements Normalize. With multiLabel false, a single label such
// as "www" is accepted, for the relative names Join takes.
func normalize(s string, multiLabel bool) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", reason("empty name")
	}
	if !utf8.ValidString(t) {
		return "", reason("not valid UTF-8")
	}
	if err := notAHostName(t); err != nil {
		return "", err
	}
	if err := badCharacter(t); err != nil {
		return "", err
	}
	t = trimDot(t)
	if t == "" {
		return "", reason(`the root "." is not a domain`)
	}
	if err := labelsInInput(t); err != nil {
		return "", err
	}
	a, err := profile().ToASCII(t)
	if err != nil {
		return "", fmt.Errorf("not a valid internationalized domain name: %w", err)
	}
	if err := check(a); err != nil {
		return "", err
	}
	if !multiLabel {
		return a, nil
	}
	labels := strings.Split(a, ".")
	if len(labels) == 1 {
		return "", reason("a single label is not a registered domain; give a name like main.com")
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", reasonf("the last label %q is all digits, so this is not a domain name (an IP address?)", tld)
	}
	return a, nil
}

// trimDot removes one trailing dot: a full stop, or one of the dots that IDNA
// maps to a full stop.
func trimDot(t string) string {
	for _, dot := range []string{".", "\u3002", "\uff0e", "\uff61"} {
		if strings.HasSuffix(t, dot) {
			return strings.TrimSuffix(t, dot)
		}
	}
	return t
}

// notAHostName recognizes IP addresses, URLs and e-mail addresses, which users
// give by mistake, and says what to give instead.
func notAHostName(t string) error {
	ip := strings.TrimSuffix(t, ".")
	if strings.HasPrefix(ip, "[") && strings.HasSuffix(ip, "]") {
		ip = ip[1 : len(ip)-1]
	}
	if _, err := netip.ParseAddr(ip); err == nil {
		return reason("an IP address is not a domain name; give the domain name")
	}
	if _, err := netip.ParseAddrPort(t); err == nil {
		return reason("an IP address is not a domain name; give the domain name")
	}
	if i := strings.Index(t, "://"); i >= 0 {
		r := reason("looks like a URL; give the host name only")
		if u, err := url.Parse(t); err == nil {
			r += suggest(u.Hostname())
		}
		return r
	}
	if i := strings.LastIndexByte(t, '@'); i >= 0 {
		r := reason("looks like an e-mail address; give the domain part only")
		if i > 0 {
			r += suggest(t[i+1:])
		}
		return r
	}
	if i := strings.IndexByte(t, '/'); i >= 0 {
		return reason(`contains "/"; give the host name only`) + suggest(t[:i])
	}
	if host, port, ok := strings.Cut(t, ":"); ok && port != "" && strings.Trim(port, "0123456789") == "" {
		return reason("contains a port; give the host name only") + suggest(host)
	}
	return nil
}

// suggest returns " (name)" if name normalizes, for a hint, and "" otherwise.
func suggest(name string) reason {
	if n, err := normalize(name, true); err == nil {
		return reason(" (" + n + ")")
	}
	return ""
}

// badCharacter names the first ASCII character, or Unicode white space or
// control character, that cannot be in a host name. Other non-ASCII runes are
// left to IDNA.
func badCharacter(t string) error {
	for _, r := range t {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '.':
		case r == '*':
			return reason(`wildcards ("*") are not allowed; give the domain itself`)
		case r == '_':
			return reason(`contains "_", which is not allowed in a host name`)
		case unicode.IsSpace(r):
			return reasonf("contains white space (%U)", r)
		case unicode.IsControl(r):
			return reasonf("contains a control character (%U)", r)
		case r < utf8.RuneSelf:
			return reasonf("contains %q, which is not allowed in a host name (letters, digits, hyphens and dots only)", r)
		}
	}
	return nil
}

// labelsInInput rejects empty labels and "xn--" labels with nothing after the
// prefix, before IDNA mapping can hide them.
func labelsInInput(t string) error {
	for _, l := range strings.Split(t, ".") {
		if l == "" {
			return reason("empty label (a leading dot, or two dots in a row)")
		}
		if strings.EqualFold(l, "xn--") {
			return reasonf("label %.*q is not valid punycode", maxQuoted, l)
		}
	}
	return nil
}

// check validates the labels and the length of an ASCII name after IDNA
// mapping.
func check(a string) error {
	if len(a) > MaxLength {
		return reasonf("name is %d octets long, longer than %d", len(a), MaxLength)
	}
	for _, l := range strings.Split(a, ".") {
		switch {
		case l == "":
			return reason("empty label (a label that maps to nothing, a leading dot, or two dots in a row)")
		case len(l) > MaxLabelLength:
			return reasonf("label %.*q is longer than %d octets", maxQuoted, l, MaxLabelLength)
		case l[0] == '-' || l[len(l)-1] == '-':
			return reasonf("label %.*q starts or ends with a hyphen", maxQuoted, l)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return reasonf("label %.*q contains %q", maxQuoted, l, c)
			}
		}
		if strings.HasPrefix(l, "xn--") {
			u, err := idna.Punycode.ToUnicode(l)
			if err != nil {
				return reasonf("label %.*q is not valid punycode", maxQuoted, l)
			}
			if strings.HasPrefix(u, "-") || strings.HasSuffix(u, "-") {
				return reasonf("label %.*q (%.*q) starts or ends with a hyphen", maxQuoted, l, maxQuoted, u)
			}
		}
	}
	return nil
}

// maxQuoted bounds how much of an input an error message repeats, in
// runes (fmt's precision for %q): a name is at most 253 octets, so more of
// it is not needed to recognize it.
const maxQuoted = 300
