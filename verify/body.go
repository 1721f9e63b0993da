package verify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/orgctl/orgctl/codegen"
)

// bom is the UTF-8 byte-order mark.
const bom = "\ufeff"

// judgeBody applies the match rule to a 200 response's body.
func judgeBody(ch *chain, body []byte, contentType, want string, strict bool, u string) (Status, bool) {
	s := string(body)
	n := len(ch.findings)
	defer func() {
		if len(body) > MaxBody {
			return // a page, not a value: its bytes explain nothing
		}
		for i := n; i < len(ch.findings); i++ {
			ch.findings[i].Found = s // the bytes explain every finding on the body
		}
	}()
	html := looksHTML(s, contentType)
	if len(body) > MaxBody {
		ch.add("http.too_large", SeverityError, fmt.Sprintf("serve only the code (%d bytes) in the file", len(want)),
			"%s is %s long; the file may hold at most %d bytes: the code and nothing else%s", u, sizeText(len(body)), MaxBody, htmlHint(html))
		if html {
			ch.add("http.html", SeverityError, "serve a plain text file whose only content is the code, not a web page",
				"%s returned an HTML page (%s), not the plain text code", u, quotePrefix(s))
		}
		return StatusMismatch, false
	}
	if s == want {
		return StatusVerified, true
	}
	trimmed := strings.TrimRight(s, "\r\n")
	if trimmed == want {
		if strict {
			ch.add("http.trailing_newline", SeverityError, "save the file without a final newline (e.g. printf '%s' > "+codegen.FileName+")",
				"%s holds the code followed by %q; --strict demands the exact bytes", u, s[len(trimmed):])
			return StatusMismatch, false
		}
		ch.add("http.trailing_newline", SeverityInfo, "", "%s holds the code followed by %q; the trailing newline is tolerated", u, s[len(trimmed):])
		return StatusVerified, true
	}
	switch {
	case strings.HasPrefix(s, bom):
		what := "the code"
		if strings.TrimRight(strings.TrimPrefix(s, bom), "\r\n") != want {
			what = "other content"
		}
		ch.add("http.bom", SeverityError, "save the file as UTF-8 without a byte-order mark (BOM), or as plain ASCII",
			"%s starts with a UTF-8 byte-order mark (EF BB BF) before %s: %q", u, what, s)
	case html:
		ch.add("http.html", SeverityError, "serve a plain text file whose only content is the code, not a web page",
			"%s returned an HTML page (%s), not the plain text code", u, quotePrefix(s))
	case strings.TrimFunc(trimmed, isSpace) == want || strings.Map(dropSpace, trimmed) == want:
		ch.add("http.whitespace", SeverityError, "remove the spaces, tabs or blank lines around the code: the file must hold exactly the code",
			"%s holds the code with extra white space: %q", u, s)
	default:
		if m, ok := classify(trimmed, want); ok {
			code := "http.near_miss"
			switch m.code {
			case "dns.wrong_code":
				code = "http.wrong_code"
			case "dns.near_miss.whitespace":
				code = "http.whitespace"
			}
			ch.add(code, SeverityError, strings.Replace(m.fix, "record's value", "file's content", 1), "%s holds %s: %q", u, m.what, s)
		} else if s == "" {
			ch.add("http.no_code", SeverityError, "put the code in the file: "+want, "%s is empty", u)
		} else {
			ch.add("http.no_code", SeverityError, "make the code the file's only content: "+want, "%s does not hold a verification code: %q", u, s)
		}
	}
	return StatusMismatch, false
}

// looksHTML reports whether a body is a web page rather than a text file.
func looksHTML(s, contentType string) bool {
	if strings.HasPrefix(strings.ToLower(contentType), "text/html") {
		return true
	}
	l := strings.ToLower(strings.TrimLeftFunc(strings.TrimPrefix(s, bom), isSpace))
	return strings.HasPrefix(l, "<!doctype html") || strings.HasPrefix(l, "<html") || strings.Contains(l, "<body") || strings.Contains(l, "<head")
}

func htmlHint(html bool) string {
	if html {
		return " (it is a web page)"
	}
	return ""
}

func sizeText(n int) string {
	if n >= ReadLimit {
		return "at least " + strconv.Itoa(ReadLimit) + " bytes"
	}
	return strconv.Itoa(n) + " bytes"
}

// quotePrefix quotes the start of a body for a message.
func quotePrefix(s string) string {
	const n = 60
	if len(s) > n {
		return strconv.Quote(s[:n]) + "…"
	}
	return strconv.Quote(s)
}
