package codegen

import (
	"strconv"
	"strings"
)

// DefaultTTL is the TTL, in seconds, that ZoneLine and FQDNLine give the TXT
// record: an hour, short enough that a mistake is corrected quickly.
const DefaultTTL = 3600

// maxString is the longest character-string a TXT record can hold (RFC 1035,
// section 3.3).
const maxString = 255

// Record says where a code is published for one name.
//
// Domain is the zone apex as the user gave it, normalized, without a trailing
// dot (main.com). Name is the owner name of the TXT record, fully qualified but
// without a trailing dot: Domain itself or a name under it (www.main.com).
// Value is the full published code, as returned by Value.
//
// Record does not validate its fields; build it from normalized names.
type Record struct {
	Domain string
	Name   string
	Value  string
}

// ZoneLine returns the TXT record as a zone-file line relative to the origin
// Domain, the way DNS hosting panels ask for it:
//
//	@ 3600 IN TXT "logmein-verification-code=…"     (Name is the apex)
//	www 3600 IN TXT "logmein-verification-code=…"   (Name is www.<Domain>)
//
// A Name outside Domain is written fully qualified, with a trailing dot.
// ZoneLine and FQDNLine share one format: owner, TTL (DefaultTTL), class,
// type and the value as a quoted character-string (RFC 1035, section 5.1).
func (r Record) ZoneLine() string {
	return r.relativeName() + " " + r.rr()
}

// FQDNLine returns the TXT record as a zone-file line with a fully qualified
// owner name, the way dig prints it:
//
//	main.com. 3600 IN TXT "logmein-verification-code=…"
func (r Record) FQDNLine() string {
	return fqdn(r.Name) + " " + r.rr()
}

// Dig returns a dig command that shows the TXT records at Name, for example
// "dig +short TXT main.com.".
func (r Record) Dig() string {
	return "dig +short TXT " + shellQuote(fqdn(r.Name))
}

// Nslookup returns an nslookup command that shows the TXT records at Name, for
// example "nslookup -type=TXT main.com.", for systems without dig.
func (r Record) Nslookup() string {
	return "nslookup -type=TXT " + shellQuote(fqdn(r.Name))
}

// URL returns the address of the verification file for Name, for example
// "http://main.com/logmein-verification-code.txt".
func (r Record) URL() string {
	return "http://" + strings.TrimSuffix(r.Name, ".") + "/" + FileName
}

// Body returns the exact content of the verification file: Value with no
// trailing newline. (A trailing newline is tolerated by the HTTP check but
// reported; see DESIGN.md §4.)
func (r Record) Body() string {
	return r.Value
}

func (r Record) rr() string {
	return strconv.Itoa(DefaultTTL) + " IN TXT " + txtData(r.Value)
}

// relativeName returns Name relative to Domain: "@" for the apex, the leading
// labels for a name under it, and the fully qualified name otherwise.
func (r Record) relativeName() string {
	name := strings.ToLower(strings.TrimSuffix(r.Name, "."))
	dom := strings.ToLower(strings.TrimSuffix(r.Domain, "."))
	switch {
	case name == dom:
		return "@"
	case dom != "" && strings.HasSuffix(name, "."+dom):
		return strings.TrimSuffix(name, "."+dom)
	default:
		return fqdn(r.Name)
	}
}

func fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// txtData renders v as the RDATA of a TXT record in presentation format: one
// quoted character-string, or several if v is longer than 255 octets, with
// '"' and '\' escaped and bytes outside printable ASCII written as \DDD.
func txtData(v string) string {
	if v == "" {
		return `""`
	}
	var b strings.Builder
	for i := 0; i < len(v); i += maxString {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for _, c := range []byte(v[i:min(i+maxString, len(v))]) {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < ' ' || c > '~':
				b.WriteByte('\\')
				b.WriteString(strconv.Itoa(int(c) / 100))
				b.WriteString(strconv.Itoa(int(c) / 10 % 10))
				b.WriteString(strconv.Itoa(int(c) % 10))
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	return b.String()
}

// shellQuote returns s unchanged when a POSIX shell would read it as one word
// as it is, and single-quoted otherwise, so that printed commands are safe to
// paste.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
