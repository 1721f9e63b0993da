package verify

import "sync"

// Entry is one finding code of the catalogue (DESIGN.md §6).
type Entry struct {
	Code string // stable identifier, e.g. "dns.nxdomain"
	// Summary says in a few words what the code means.
	Summary string
	// Why says why it stops (or does not stop) verification.
	Why string
}

// catalogue lists every finding code orgctl reports, in the order of
// DESIGN.md §6, with orgctl's additions among them; the check.* codes,
// last, are those of checks that Run cut short or that failed.
var catalogue = []Entry{
	{"dns.nxdomain", "the name does not exist",
		"the provider looks up the TXT record at exactly this name; a name that does not exist has no records"},
	{"dns.nodata", "the name exists but has no TXT record",
		"the provider needs a TXT record at this name; other record types do not count"},
	{"dns.wrong_code", "another verification code is published",
		"each code belongs to one request of one domain; an old code or another domain's code proves nothing to the provider"},
	{"dns.near_miss.case", "the code with other letter case",
		"the provider compares the value byte for byte; DNS keeps TXT data exactly as entered, so case counts"},
	{"dns.near_miss.whitespace", "the code with spaces, tabs or invisible characters",
		"a space, tab, no-break space (C2 A0) or zero-width character (E2 80 8B) is part of the value, so the bytes differ from the code"},
	{"dns.near_miss.quotes", "the code wrapped in literal quotes",
		"quotes typed inside the value, or doubled by a DNS panel, become part of the TXT data"},
	{"dns.near_miss.smart_quotes", "the code wrapped in typographic quotes",
		"“ ” ‘ ’ are multi-byte characters (E2 80 9C …) that editors and chat tools put in place of \"; DNS stores them as part of the value"},
	{"dns.near_miss.separator", "the code's UUID with another prefix or separator",
		"the provider looks for the whole string logmein-verification-code=UUID; another prefix, spaces around = or a missing part do not match"},
	{"dns.near_miss", "a value that looks like a code but is not this one",
		"only the exact value the provider issued counts"},
	{"dns.no_code", "TXT records, none of them a verification code",
		"the other TXT records (SPF, other vendors) are fine, but one record must hold the code"},
	{"dns.split_strings", "the code split into several strings or records",
		"strings inside one TXT record are joined and count (info); pieces in separate records are read one by one and do not"},
	{"dns.doubled_origin", "the record sits at NAME.NAME",
		"a zone file appends the zone name to names without a final dot, and DNS panels append it to the host field, so the full name entered there is doubled"},
	{"dns.wrong_name", "the code sits at another name (www., _logmein., the apex…)",
		"the provider looks only at the name being verified; a record elsewhere proves nothing"},
	{"dns.wildcard", "the code sits in a wildcard record (*.NAME)",
		"a wildcard answers for names below NAME that do not exist, never for NAME itself: the apex, or an empty non-terminal (a name with records only below it), is not covered"},
	{"dns.cname", "the name is an alias",
		"the TXT record is looked up at the end of the CNAME chain; a TXT record cannot sit next to a CNAME"},
	{"dns.cname_loop", "the alias chain loops or is too long",
		"resolvers give up on a looping chain, so no TXT record can be found"},
	{"dns.truncated", "the TXT answer does not fit in UDP",
		"an answer over 1232 bytes needs TCP; a verifier or network that cannot use TCP sees nothing"},
	{"dns.ns_inconsistent", "the authoritative servers disagree",
		"the provider may ask any of them; until all serve the code (compare the SOA serials) verification is a matter of luck"},
	{"dns.lame", "a listed name server does not serve the zone",
		"a server in the NS set that answers REFUSED or without authority gives resolvers nothing, and may be the one the provider asks"},
	{"dns.ns_unreachable", "an authoritative server does not answer",
		"resolvers that pick it time out; when none answers the record cannot be checked at the source"},
	{"dns.ns_no_tcp", "an authoritative server does not answer over TCP",
		"DNS must work over TCP (RFC 7766): large answers and resolvers that retry over TCP fail"},
	{"dns.servfail", "a server answered SERVFAIL",
		"the answer could not be obtained (broken delegation, unreachable servers or DNSSEC); the check is indeterminate"},
	{"dns.dnssec_bogus", "DNSSEC validation fails",
		"validating resolvers, as providers use, answer SERVFAIL for a zone whose signatures do not validate, so the record is invisible to them even though it is published"},
	{"dns.negative_cached", "a resolver caches the earlier 'no such record'",
		"resolvers keep a negative answer for min(SOA TTL, SOA MINIMUM) (RFC 2308); until that passes they do not ask again"},
	{"dns.resolver_disagrees", "a resolver sees other data than the zone's servers",
		"a cache that has not expired, or a split-horizon DNS that gives this network another view of the zone than the internet's"},
	{"dns.resolver_unreachable", "a resolver does not answer",
		"the check cannot use it; the authoritative servers still decide"},
	{"dns.zone_cut", "the name is delegated to other name servers",
		"below a delegation, resolvers ask the child zone's servers only; records for that name kept in the parent zone are never served"},
	{"code.expired", "the code has expired",
		"the provider accepts a code only within its validity (10 days by default); after that it needs a new one"},
	{"code.lost", "the domain verified before and no longer does",
		"providers re-check verified domains; one whose record or file is gone loses its verified state"},

	{"http.not_found", "the file is not there (404/410, or no address)",
		"the provider fetches exactly http://DOMAIN/logmein-verification-code.txt"},
	{"http.status", "the server answered a status other than 200",
		"only a 200 answer counts; 403 and other 4xx mean not found, 5xx means try again"},
	{"http.soft_404", "the site answers 200 for any path",
		"a catch-all page answers in place of a missing file, so a 200 proves nothing"},
	{"http.html", "the file is a web page",
		"the body must be the code itself, as plain text; a page around it does not match"},
	{"http.bom", "the file starts with a byte-order mark",
		"editors that save 'UTF-8 with BOM' put EF BB BF before the text; those bytes are part of the body"},
	{"http.trailing_newline", "the file ends with a newline",
		"a trailing LF or CRLF is tolerated (info), except with --strict, which demands the exact bytes"},
	{"http.whitespace", "the file holds the code with white space",
		"leading spaces, blank lines or spaces inside change the bytes of the body"},
	{"http.wrong_code", "the file holds another verification code",
		"each code belongs to one request of one domain; an old code proves nothing"},
	{"http.near_miss", "the file holds something close to the code",
		"case, quotes or a changed prefix make the bytes differ from the code"},
	{"http.no_code", "the file holds no verification code",
		"the body must be exactly the code"},
	{"http.wrong_url", "the file is served at another URL (https only, www., …code.txt.txt)",
		"the provider fetches exactly http://DOMAIN/logmein-verification-code.txt and follows redirects from there; a copy elsewhere proves nothing"},
	{"http.redirect", "the file is redirected",
		"redirects are followed (at most 10: 301, 302, 307, 308 to http or https on ports 80 and 443); the chain is shown"},
	{"http.redirect_status", "a redirect with a status that is not followed",
		"only 301, 302, 307 and 308 are followed, as by Let's Encrypt"},
	{"http.redirect_port", "a redirect to a port other than 80 or 443",
		"verifiers follow redirects only to the standard ports"},
	{"http.redirect_scheme", "a redirect to a scheme other than http or https",
		"verifiers follow redirects only to http and https"},
	{"http.redirect_loop", "the redirects loop",
		"a chain that comes back to a URL it visited never ends"},
	{"http.too_many_redirects", "more than 10 redirects",
		"verifiers stop after 10 redirects"},
	{"http.redirect_missing_slash", "a redirect glued the path to the host name",
		"a redirect target written without a final / (http://main.com + logmein-…) points at another host"},
	{"http.too_large", "the file is over 128 bytes",
		"the file may hold only the code; a large body is a page or the wrong file"},
	{"http.timeout", "the server did not answer in time",
		"connect 10 s, TLS 10 s, request 15 s; a server that is slower cannot be checked"},
	{"http.refused", "the connection was refused",
		"nothing listens on port 80 (or 443) at that address"},
	{"http.malformed", "the answer is not valid HTTP",
		"the server (or a device in front of it) answered with a broken status line, header, body length or redirect, which the provider's verifier cannot read either"},
	{"http.tls", "the certificate is not valid",
		"orgctl goes on (warning), but a verifier that checks certificates stops at an https hop with an invalid one"},
	{"http.blocked", "a bot filter blocks non-browser clients",
		"the provider's verifier is not a browser: a filter that answers 403 to it hides the file"},
	{"http.https_on_http_port", "port 80 speaks HTTPS",
		"the provider fetches http:// on port 80 in plain HTTP; a port forward or listener that points port 80 at an HTTPS service answers with TLS bytes or a 400 page"},
	{"http.middlebox", "something in front of the web server answered (CDN/WAF challenge, cookie challenge, router page)",
		"a CDN or WAF challenge, an anti-bot cookie page or a router's own admin page answers in place of the site; the provider's verifier runs no JavaScript and keeps no cookies, so it never reaches the file"},
	{"http.private_address", "the host resolves to a private address",
		"the provider fetches the file from the internet and cannot reach private, loopback or link-local addresses"},

	{CodeCancelled, "the check was cut short (--timeout, Ctrl-C)",
		"the check ended before it had an answer, so nothing is known about the domain; it is reported so that no requested domain goes without a result"},
	{CodeFailed, "the check could not run",
		"the check stopped on an error of its own before asking any server; nothing is known about the domain"},
}

// byCode indexes the catalogue (built on first use, not at every
// command's start).
var byCode = sync.OnceValue(func() map[string]Entry {
	m := make(map[string]Entry, len(catalogue))
	for _, e := range catalogue {
		m[e.Code] = e
	}
	return m
})

// Catalogue returns every finding code orgctl reports, DNS first, with its
// summary and explanation.
func Catalogue() []Entry {
	return append([]Entry(nil), catalogue...)
}

// Explain returns why a finding code matters, or "" for an unknown code.
func Explain(code string) string {
	return byCode()[code].Why
}
