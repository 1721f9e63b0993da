package verify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/miekg/dns"
)

// codeRE matches a well-formed code of any UUID. Compiled on first use,
// as uuidRE: a regexp compiled at package init costs every command's start-up.
var codeRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^logmein-verification-code=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
})

// txtValue decodes a character-string as miekg/dns presents it (with \" \\
// and \DDD escapes) back to its raw bytes.
func txtValue(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if n, err := strconv.Atoi(s[i+1 : i+4]); err == nil && n < 256 {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

// txtStrings returns the character-strings of a TXT record as raw bytes.
func txtStrings(txt *dns.TXT) []string {
	raw := make([]string, len(txt.Txt))
	for i, p := range txt.Txt {
		raw[i] = txtValue(p)
	}
	return raw
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// nearMiss is a value that is almost the expected one.
type nearMiss struct {
	code string
	what string
	fix  string
}

// classify says how a TXT value that is not the expected one relates to
// it: a near miss, another code, or nothing alike (ok false).
func classify(got, want string) (nearMiss, bool) {
	if got == want {
		return nearMiss{}, false
	}
	lg := strings.ToLower(got)
	if codeRE().MatchString(lg) && codeRE().MatchString(strings.ToLower(want)) && lg != strings.ToLower(want) {
		return nearMiss{code: "dns.wrong_code",
			what: "another logmein verification code",
			fix:  "replace the record's value with the current code (an old or another domain's code does not count)"}, true
	}
	if strings.EqualFold(got, want) {
		return nearMiss{code: "dns.near_miss.case",
			what: "the code with different letter case",
			fix:  "publish the value exactly as given, in lower case"}, true
	}
	if stripQuotes(got, "\"'") == want {
		return nearMiss{code: "dns.near_miss.quotes",
			what: "the code wrapped in literal quote characters",
			fix:  "remove the extra quotes: the zone file's own quotes delimit the string, the DNS panel needs none"}, true
	}
	if spacedEquals(got, want) {
		return nearMiss{code: "dns.near_miss.separator",
			what: "the code with spaces around =",
			fix:  "remove the spaces around =: " + want}, true
	}
	if strings.Map(dropSpace, got) == want {
		return nearMiss{code: "dns.near_miss.whitespace",
			what: "the code with extra white space",
			fix:  "remove the spaces, tabs or invisible characters around or inside the value"}, true
	}
	if strings.ContainsAny(got, smartQuotes) && stripQuotes(strings.TrimFunc(got, isSpace), smartQuotes+"\"'") == want {
		return nearMiss{code: "dns.near_miss.smart_quotes",
			what: "the code wrapped in typographic (smart) quotes",
			fix:  "retype the value without quotes; word processors and chat tools turn \" into “ ”"}, true
	}
	if sep := strings.Map(dropSpace, strings.ToLower(got)); sep != strings.ToLower(got) || strings.Contains(lg, "verification") {
		if uuidOf(sep) != "" && uuidOf(sep) == uuidOf(strings.ToLower(want)) {
			return nearMiss{code: "dns.near_miss.separator",
				what: "the code's UUID with a different prefix or separator",
				fix:  "publish the whole string exactly: " + want}, true
		}
	}
	if u := uuidOf(strings.ToLower(want)); u != "" && strings.Contains(lg, u) {
		return nearMiss{code: "dns.near_miss.separator",
			what: "the code's UUID inside a different value",
			fix:  "publish the whole string exactly: " + want}, true
	}
	return nearMiss{}, false
}

// spacedEquals reports whether got is want with white space around its
// first "=" and nowhere else (DESIGN.md §6 counts that as a separator).
func spacedEquals(got, want string) bool {
	i := strings.IndexByte(got, '=')
	if i < 0 {
		return false
	}
	left, right := strings.TrimRightFunc(got[:i], isSpace), strings.TrimLeftFunc(got[i+1:], isSpace)
	return left+"="+right == want && len(left)+1+len(right) != len(got)
}

// smartQuotes are the typographic quotes that editors substitute for " and '.
const smartQuotes = "“”‘’„«»"

var uuidRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
})

func uuidOf(s string) string { return uuidRE().FindString(s) }

func stripQuotes(s, quotes string) string {
	return strings.TrimFunc(s, func(r rune) bool { return strings.ContainsRune(quotes, r) })
}

func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u00a0'
}

func dropSpace(r rune) rune {
	if isSpace(r) {
		return -1
	}
	return r
}

// mentionsCode reports whether a value looks like a verification code of
// some kind, so that "something close is there" (mismatch) can be told
// from "nothing alike" (not found).
func mentionsCode(v string) bool {
	return strings.Contains(strings.ToLower(v), "logmein") || uuidOf(strings.ToLower(v)) != ""
}

// byteDiff shows, for a value that is almost the code, the bytes that
// make the difference: "before the code: e2 80 9c (“)". It is empty
// when the bytes say nothing the message does not (another code, a page).
func byteDiff(got, want, code string) string {
	if got == "" || got == want || strings.HasSuffix(code, "wrong_code") || strings.HasSuffix(code, "no_code") {
		return ""
	}
	if i := strings.Index(got, want); i >= 0 {
		var parts []string
		if i > 0 {
			parts = append(parts, "before the code: "+hexRunes(got[:i]))
		}
		if rest := got[i+len(want):]; rest != "" {
			parts = append(parts, "after it: "+hexRunes(rest))
		}
		return strings.Join(parts, "; ")
	}
	if len(got) == len(want) {
		// Runs of differing bytes, such as a word in upper case.
		var parts []string
		for i := 0; i < len(got) && len(parts) < 3; i++ {
			if got[i] == want[i] {
				continue
			}
			j := i
			for j < len(got) && got[j] != want[j] {
				j++
			}
			at := fmt.Sprintf("byte %d", i)
			if j-i > 1 {
				at = fmt.Sprintf("bytes %d-%d", i, j-1)
			}
			parts = append(parts, fmt.Sprintf("%s: % x %q where the code has %q", at, got[i:j], got[i:j], want[i:j]))
			i = j
		}
		return strings.Join(parts, "; ")
	}
	p := 0
	for p < len(got) && p < len(want) && got[p] == want[p] {
		p++
	}
	s := 0
	for s < len(got)-p && s < len(want)-p && got[len(got)-1-s] == want[len(want)-1-s] {
		s++
	}
	g, c := got[p:len(got)-s], want[p:len(want)-s]
	if len(g) > 16 || len(c) > 16 {
		return ""
	}
	if c == "" {
		return fmt.Sprintf("at byte %d: %s, which the code does not have", p, hexRunes(g))
	}
	if g == "" {
		return fmt.Sprintf("at byte %d: %q is missing", p, c)
	}
	return fmt.Sprintf("at byte %d: %s where the code has %q", p, hexRunes(g), c)
}

// hexRunes shows bytes in hex, each character's bytes with the character:
// "e2 80 9c (“) 20 ( )".
func hexRunes(s string) string {
	var parts []string
	for _, r := range s {
		var hx []string
		for _, b := range []byte(string(r)) {
			hx = append(hx, fmt.Sprintf("%02x", b))
		}
		show := string(r)
		if !unicode.IsPrint(r) { // controls, no-break and zero-width spaces, BOM

			show = fmt.Sprintf("%U", r)
		}
		parts = append(parts, strings.Join(hx, " ")+" ("+show+")")
	}
	if len(parts) > 8 {
		parts = append(parts[:8], "…")
	}
	return strings.Join(parts, " ")
}
