package scim

import (
	"fmt"
	"strings"
)

// Eq returns the filter `attr eq "value"` (RFC 7644 §3.4.2.2) with value
// written as a JSON string literal: `"` and `\` escaped with a backslash,
// control characters as \uXXXX, everything else as is.
//
//	scim.Eq("userName", `a"b\c`) == `userName eq "a\"b\\c"`
func Eq(attr, value string) string {
	return attr + " eq " + quote(value)
}

// quote writes s as a JSON string literal, escaping only what JSON
// requires, so that filters and member paths stay readable.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
