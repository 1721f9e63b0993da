// Package english holds the few rules of English that orgctl's messages
// need, so that the library and the command line word counts alike.
package english

import "strconv"

// Plural returns one when n is 1 and many otherwise: a noun ("server",
// "servers") or a verb agreeing with a count ("serves", "serve").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Count is n followed by the noun in the right number: "1 error", "2
// errors".
func Count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + Plural(n, one, many)
}
