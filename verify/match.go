package verify

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/miekg/dns"
)

// codeRE matches a well-formed code of any UUID.
var codeRE = regexp.MustCompile(`^logmein-verification-code=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

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
	if codeRE.MatchString(lg) && codeRE.MatchString(strings.ToLower(want)) && lg != strings.ToLower(want) {
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

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func uuidOf(s string) string { return uuidRE.FindString(s) }

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
