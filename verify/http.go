package verify

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/codegen"
	"github.com/orgctl/orgctl/internal/domain"
	"github.com/orgctl/orgctl/internal/english"
)

// MethodHTTP is the Method of HTTP results.
const MethodHTTP = "http"

// HTTP limits (DESIGN.md §4, as Let's Encrypt's http-01 validation).
const (
	MaxRedirects          = 10
	MaxBody               = 128  // a file longer than this fails
	ReadLimit             = 4096 // bytes read of any response
	DefaultConnectTimeout = 10 * time.Second
	DefaultTLSTimeout     = 10 * time.Second
	DefaultRequestTimeout = 15 * time.Second
)

// HTTPOptions configure the HTTP method of a Checker; the zero value
// selects the defaults of DESIGN.md §4.
type HTTPOptions struct {
	// ConnectTo sends connections elsewhere (curl's --connect-to). A
	// request whose first hop matches a rule is not resolved: the rule's
	// target is its one address.
	ConnectTo []ConnectTo
	// Strict demands byte-exact content: a trailing newline fails.
	Strict bool
	// UserAgent is sent with every request; default "orgctl".
	UserAgent string
	// ConnectTimeout, TLSTimeout and RequestTimeout bound the TCP
	// connection, the TLS handshake and each whole request.
	ConnectTimeout, TLSTimeout, RequestTimeout time.Duration
	// RootCAs verify certificates on https hops; nil is the system pool.
	// A certificate that does not verify is a warning, not a failure.
	RootCAs *x509.CertPool
	// Dial connects to addr (ip:port); nil dials over the network. Tests
	// substitute one that sends documentation addresses to local servers.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Hop is one request of a redirect chain.
type Hop struct {
	URL         string `json:"url"`
	Address     string `json:"address,omitempty"` // ip:port connected to
	StatusCode  int    `json:"status,omitempty"`
	Location    string `json:"location,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	TLSError    string `json:"tls_error,omitempty"` // the certificate did not verify
	Error       string `json:"error,omitempty"`     // why there is no response
	DurationMS  int64  `json:"duration_ms"`
	// header is the response's, to recognize what answered (middleboxes).
	header http.Header
}

// Address is what one address of the host served.
type Address struct {
	// Address is the IP the host resolved to, or the --connect-to target
	// (host:port) that replaced resolution.
	Address string `json:"address"`
	Status  Status `json:"status"`
	Match   bool   `json:"match"`
	// Body is what the last hop returned with status 200, at most
	// ReadLimit bytes; Size is its length as read.
	Body string `json:"body,omitempty"`
	Size int    `json:"size,omitempty"`
	Hops []Hop  `json:"hops"`
}

// HTTP fetches http://<domain>/logmein-verification-code.txt (and the same
// file of each of code.Subdomains) from every address of the host and
// judges it by DESIGN.md §4. Domain must be normalized already. A returned
// error means the check could not be run; every HTTP outcome is a Result.
func (c *Checker) HTTP(ctx context.Context, domain string, code Code) (*Result, error) {
	return c.http(ctx, domain, code, false)
}

// http is HTTP, with every probe when deep (Diagnose).
func (c *Checker) http(ctx context.Context, domain string, code Code, deep bool) (*Result, error) {
	if code.Value == "" {
		return nil, errors.New("verify: no code to look for")
	}
	return perName(ctx, domain, code, func(ctx context.Context, domain, host string, code Code) *Result {
		return c.checkURL(ctx, domain, host, code, deep)
	})
}

// dialTarget is where the first hop of a chain connects.
type dialTarget struct {
	label   string // the address as reported
	addr    string // host:port dialled
	private bool   // resolved into private, loopback or link-local space
	// host and ip: a redirect to another path or scheme of the same host
	// stays on the address being checked (ip is empty for --connect-to).
	host, ip string
}

// checkURL checks the file of one host; deep (Diagnose) also looks for
// the file where people put it by mistake.
func (c *Checker) checkURL(ctx context.Context, domain, host string, code Code, deep bool) *Result {
	start := time.Now()
	u := "http://" + host + "/" + codegen.FileName
	res := &Result{Domain: domain, Method: MethodHTTP, Expected: code.Value, Name: dns.CanonicalName(host), URL: u,
		CheckedAt: c.now().UTC().Truncate(time.Second), Servers: []Server{}, Findings: []Finding{}, Addresses: []Address{}}
	defer func() { res.DurationMS = time.Since(start).Milliseconds() }()

	targets, ok := c.firstHop(ctx, res, host)
	if ok {
		addrs := make([]Address, len(targets))
		found := make([][]Finding, len(targets))
		var wg sync.WaitGroup
		for i, t := range targets {
			wg.Go(func() {
				addrs[i], found[i] = c.fetchAll(ctx, u, t, code.Value)
			})
		}
		wg.Wait()
		res.Addresses = addrs
		c.decideHTTP(res, targets, found)
		c.canary(ctx, res, host, targets)
	}
	if deep && missed(res.Status) {
		c.probeURLs(ctx, res, host)
	}
	c.describeCodes(res)
	c.expiry(res, code)
	return res
}

// firstHop resolves host to the addresses to fetch from, or applies a
// --connect-to rule. With no address, the result is decided here.
func (c *Checker) firstHop(ctx context.Context, res *Result, host string) ([]dialTarget, bool) {
	toHost, toPort, ok := c.connectTo(host, "80")
	if ok && toHost != "" {
		return []dialTarget{{label: net.JoinHostPort(toHost, toPort), addr: net.JoinHostPort(toHost, toPort)}}, true
	}
	ips, err := c.resolveHost(ctx, host, false)
	if err != nil {
		res.setStatus(StatusError)
		code := findingFor(err)
		res.addf(code, SeverityError, "retry later; if it persists, check the resolvers (--resolver)",
			"the address of %s could not be looked up: %v", host, err)
		return nil, false
	}
	if len(ips) == 0 {
		res.setStatus(StatusNotFound)
		res.addf("http.not_found", SeverityError,
			fmt.Sprintf("point %s (A/AAAA records) at the web server that serves the file, or use the DNS method", host),
			"%s has no address (no A or AAAA record), so there is no web server to serve %s", host, res.URL)
		return nil, false
	}
	var targets []dialTarget
	for _, ip := range ips {
		targets = append(targets, dialTarget{label: ip.String(), addr: net.JoinHostPort(ip.String(), toPort), private: !public(ip),
			host: host, ip: ip.String()})
	}
	return targets, true
}

// public reports whether ip is reachable from the internet, as a
// provider's verifier would need.
func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip))
}

// chain is the state of one redirect chain.
type chain struct {
	addr     Address
	findings []Finding
	first    bool // the next hop is the first
}

func (ch *chain) add(code string, sev Severity, fix, format string, args ...any) {
	ch.findings = append(ch.findings, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix, Server: ch.addr.Address})
}

// fetchAll follows the chain from start, its first hop connecting to t,
// and judges what it ends on.
func (c *Checker) fetchAll(ctx context.Context, start string, t dialTarget, want string) (Address, []Finding) {
	ch := &chain{addr: Address{Address: t.label, Hops: []Hop{}}, first: true}
	final, body := c.follow(ctx, ch, start, t, c.userAgentHeaders())
	if msg, ok := redirectSummary(ch.addr.Hops); ok {
		ch.findings = append([]Finding{{Code: "http.redirect", Severity: SeverityInfo, Message: msg, Server: ch.addr.Address}}, ch.findings...)
	}
	if final == nil || ch.middlebox(final, body) {
		return ch.addr, ch.findings
	}
	switch {
	case final.StatusCode == http.StatusOK:
		ch.addr.Body, ch.addr.Size = string(body), len(body)
		ch.addr.Status, ch.addr.Match = judgeBody(ch, body, final.ContentType, want, c.Strict, final.URL)
	case final.StatusCode == http.StatusForbidden:
		ch.addr.Status = StatusNotFound
		ch.add("http.status", SeverityError, "make the file readable by every client: check the web server's permissions, access rules and firewall",
			"%s answered 403 Forbidden for %s", ch.addr.Address, final.URL)
		c.blocked(ctx, ch, final.URL, t)
	case final.StatusCode == http.StatusNotFound || final.StatusCode == http.StatusGone:
		ch.addr.Status = StatusNotFound
		fix := fmt.Sprintf("put the file %s in the web root of %s, with the code as its only content", codegen.FileName, hostOf(final.URL))
		if len(ch.addr.Hops) > 1 {
			fix = fmt.Sprintf("the redirect leads to %s, which does not exist: serve the file there, or exempt /%s from the redirect", final.URL, codegen.FileName)
		}
		ch.add("http.not_found", SeverityError, fix,
			"%s answered %d %s for %s: the file is not there", ch.addr.Address, final.StatusCode, http.StatusText(final.StatusCode), final.URL)
	case final.StatusCode >= 500:
		ch.addr.Status = StatusError
		ch.add("http.status", SeverityError, "the web server failed; retry later and check its error log",
			"%s answered %d %s for %s", ch.addr.Address, final.StatusCode, http.StatusText(final.StatusCode), final.URL)
	default:
		ch.addr.Status = StatusNotFound
		ch.add("http.status", SeverityError, "serve the file with status 200",
			"%s answered %d %s for %s; only 200 counts", ch.addr.Address, final.StatusCode, http.StatusText(final.StatusCode), final.URL)
	}
	return ch.addr, ch.findings
}

// follow requests start and the redirects it leads to, recording every
// hop in ch. It returns the last hop when it has a response to judge
// (not a followed redirect), with its body, or nil when the chain ended
// on a refused redirect or a failure, with ch's status set.
func (c *Checker) follow(ctx context.Context, ch *chain, start string, t dialTarget, header http.Header) (*Hop, []byte) {
	cur, err := url.Parse(start)
	if err != nil {
		ch.addr.Status = StatusError
		ch.add("http.redirect", SeverityError, "", "invalid URL %q: %v", start, err)
		return nil, nil
	}
	seen := map[string]bool{}
	for redirects := 0; ; redirects++ {
		seen[urlKey(cur)] = true
		hop, body, failure := c.get(ctx, cur, t, ch.first, header)
		ch.addr.Hops = append(ch.addr.Hops, hop)
		first := ch.first
		ch.first = false
		if hop.TLSError != "" {
			ch.add("http.tls", SeverityWarning, "install a certificate valid for "+cur.Hostname()+" (e.g. from Let's Encrypt)",
				"the certificate of %s is not valid (%s); orgctl went on, but a strict verifier would stop here", cur.Host, hop.TLSError)
		}
		if failure != "" {
			// A first hop that fails may work on another try; a
			// redirect leading nowhere is the site's configuration.
			ch.addr.Status = StatusNotFound
			if first {
				ch.addr.Status = StatusError
			}
			ch.failed(failure, hop, first)
			return nil, nil
		}
		if !isRedirect(hop.StatusCode) {
			if hop.StatusCode >= 300 && hop.StatusCode < 400 {
				ch.addr.Status = StatusNotFound
				ch.add("http.redirect_status", SeverityError, "redirect with 301, 302, 307 or 308, or serve the file directly",
					"%s answered %d %s; only 301, 302, 307 and 308 redirects are followed", hop.URL, hop.StatusCode, http.StatusText(hop.StatusCode))
				return nil, nil
			}
			return &ch.addr.Hops[len(ch.addr.Hops)-1], body
		}
		next, ok := c.redirect(ch, cur, hop, seen, redirects)
		if !ok {
			ch.addr.Status = StatusNotFound
			return nil, nil
		}
		cur = next
	}
}

// redirect checks a redirect and returns the URL to follow.
func (c *Checker) redirect(ch *chain, cur *url.URL, hop Hop, seen map[string]bool, redirects int) (*url.URL, bool) {
	if hop.Location == "" {
		ch.add("http.redirect", SeverityError, "give the redirect a Location header, or serve the file directly",
			"%s answered %d without a Location header", hop.URL, hop.StatusCode)
		return nil, false
	}
	loc, err := cur.Parse(hop.Location)
	if err != nil {
		ch.add("http.redirect", SeverityError, "fix the redirect's Location header",
			"%s redirects to %q, which is not a valid URL: %v", hop.URL, hop.Location, err)
		return nil, false
	}
	loc.Fragment = ""
	want := strings.TrimPrefix(cur.Path, "/")
	if want != "" && loc.Scheme != "" && strings.HasSuffix(strings.ToLower(loc.Hostname()), strings.ToLower(want)) && loc.Hostname() != want {
		ch.add("http.redirect_missing_slash", SeverityError,
			"add the missing / at the end of the redirect's target (e.g. Redirect / https://"+strings.TrimSuffix(loc.Hostname(), want)+"/)",
			"%s redirects to %s: the path was glued to the host name because the redirect target lacks a trailing /", hop.URL, hop.Location)
		return nil, false
	}
	switch {
	case loc.Scheme != "http" && loc.Scheme != "https":
		ch.add("http.redirect_scheme", SeverityError, "redirect only to http:// or https:// URLs",
			"%s redirects to %s; only http and https are followed", hop.URL, loc)
		return nil, false
	case loc.Port() != "" && loc.Port() != "80" && loc.Port() != "443":
		ch.add("http.redirect_port", SeverityError, "redirect to the standard ports 80 (http) or 443 (https) only",
			"%s redirects to port %s (%s); only ports 80 and 443 are followed", hop.URL, loc.Port(), loc)
		return nil, false
	case seen[urlKey(loc)]:
		ch.add("http.redirect_loop", SeverityError, "break the loop: the file's URL must end on a 200 response",
			"the redirects loop: %s leads back to %s", hop.URL, loc)
		return nil, false
	case redirects+1 > MaxRedirects:
		ch.add("http.too_many_redirects", SeverityError, "redirect at most 10 times; point the first redirect at the final URL",
			"more than %d redirects from %s (the last to %s)", MaxRedirects, ch.addr.Hops[0].URL, loc)
		return nil, false
	}
	return loc, true
}

// redirectSummary describes the redirects a chain followed, in one line:
// "http://a/… redirects (301) to https://b/…", or for a longer chain
// "http://a/… redirects 3 times: (301) → http://b/… (302) → … ".
func redirectSummary(hops []Hop) (string, bool) {
	n := len(hops) - 1 // the redirects followed: every hop but the last
	if n < 1 {
		return "", false
	}
	if n == 1 {
		return fmt.Sprintf("%s redirects (%d) to %s", hops[0].URL, hops[0].StatusCode, hops[1].URL), true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s redirects %d times:", hops[0].URL, n)
	for i := 1; i <= n; i++ {
		if n > 4 && i == 3 {
			fmt.Fprintf(&b, " → … (%d more)", n-4)
		}
		if n > 4 && i >= 3 && i < n-1 {
			continue
		}
		fmt.Fprintf(&b, " → (%d) %s", hops[i-1].StatusCode, hops[i].URL)
	}
	return b.String(), true
}

// urlKey identifies a URL for loop detection: scheme and host without
// regard to case, the default port left out.
func urlKey(u *url.URL) string {
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if p := u.Port(); p != "" && !(u.Scheme == "http" && p == "80") && !(u.Scheme == "https" && p == "443") {
		host = net.JoinHostPort(host, p)
	}
	return strings.ToLower(u.Scheme) + "://" + host + u.EscapedPath() + "?" + u.RawQuery
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// failed reports a hop without a response.
func (ch *chain) failed(kind string, hop Hop, first bool) {
	where := hop.URL
	if hop.Address != "" {
		where = fmt.Sprintf("%s (%s)", hop.URL, hop.Address)
	}
	sev := SeverityError
	var fix string
	switch kind {
	case "http.timeout":
		fix = "check that the web server runs and that no firewall drops connections to port 80 (and 443 for https)"
	case "http.refused":
		fix = "start a web server on the host, or open its port (80 for http, 443 for https) in the firewall"
	case "http.malformed":
		fix = "fix the web server, or the proxy, load balancer or firewall in front of it: what answers on the port does not speak HTTP correctly"
	case "http.tls":
		fix = "fix the web server's TLS configuration (certificate, protocol versions), or serve the file over plain http"
	case "http.https_on_http_port":
		fix = "make port 80 serve plain HTTP: a port forward or listener points port 80 at an HTTPS service"
	default:
		fix = "fix the redirect: its target cannot be reached"
	}
	msg := fmt.Sprintf("%s: %s", where, hop.Error)
	if !first {
		msg = "the redirect leads to " + msg
	}
	ch.findings = append(ch.findings, Finding{Code: kind, Severity: sev, Message: msg, Fix: fix, Server: ch.addr.Address})
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Hostname()
}

// userAgentHeaders are the headers of every request (DESIGN.md §4).
func (c *Checker) userAgentHeaders() http.Header {
	ua := c.HTTPOptions.UserAgent
	if ua == "" {
		ua = "orgctl"
	}
	return http.Header{"User-Agent": {ua}, "Accept": {"*/*"}}
}

// browserHeaders look like a web browser's, to tell a bot filter from a
// missing permission.
var browserHeaders = http.Header{
	"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"},
	"Accept":          {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
	"Accept-Language": {"en-US,en;q=0.9"},
}

// blocked asks again like a browser after a 403: a 200 then means a bot
// filter blocks the provider's verifier (http.blocked).
func (c *Checker) blocked(ctx context.Context, ch *chain, u string, t dialTarget) {
	probe := &chain{addr: Address{Address: ch.addr.Address}, first: true}
	final, _ := c.follow(ctx, probe, u, t, browserHeaders)
	if final != nil && final.StatusCode == http.StatusOK {
		ch.add("http.blocked", SeverityError,
			"allow every client to read /"+codegen.FileName+" (exempt it from the bot filter or WAF rule); the provider's verifier is not a browser",
			"%s answers 403 to orgctl but 200 to a request with a browser's User-Agent: a bot filter blocks non-browser clients", u)
	}
}

// canary requests a path that does not exist from the first address that
// answered 200: a 200 there too means a catch-all site (http.soft_404).
func (c *Checker) canary(ctx context.Context, res *Result, host string, targets []dialTarget) {
	for i, a := range res.Addresses {
		if len(a.Hops) == 0 || a.Hops[len(a.Hops)-1].StatusCode != http.StatusOK {
			continue
		}
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		u := "http://" + host + "/logmein-verification-" + hex.EncodeToString(rnd[:]) + ".txt"
		probe := &chain{addr: Address{Address: a.Address}, first: true}
		final, body := c.follow(ctx, probe, u, targets[i], c.userAgentHeaders())
		if final == nil || final.StatusCode != http.StatusOK {
			return
		}
		same := ""
		if string(body) == a.Body {
			same = ", with the same content"
		}
		if res.Verified {
			res.add(Finding{Code: "http.soft_404", Severity: SeverityInfo, Server: a.Address,
				Message: fmt.Sprintf("%s also answers 200 for %s, a file that does not exist%s: the site serves any path; the verification file itself is right", host, u, same),
				Fix:     "optional: answer 404 for missing files, so that mistakes show"})
			return
		}
		res.add(Finding{Code: "http.soft_404", Severity: SeverityError, Server: a.Address,
			Message: fmt.Sprintf("%s answers 200 for %s too, a file that does not exist%s: the site serves a catch-all page for any path, so %s is probably missing and that page answered instead", host, u, same, codegen.FileName),
			Fix:     fmt.Sprintf("put %s in the web root (before the catch-all rule: a rewrite to index.html, a CMS route), with the code as its only content", codegen.FileName)})
		return
	}
}

// get sends one request; the redirect is not followed. failure is a
// finding code when there is no response.
func (c *Checker) get(ctx context.Context, u *url.URL, t dialTarget, first bool, header http.Header) (hop Hop, body []byte, failure string) {
	start := time.Now()
	hop = Hop{URL: u.String()}
	defer func() { hop.DurationMS = time.Since(start).Milliseconds() }()

	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	var dialAddrs []string
	switch {
	case first: // always http://<host>/…: port 80 of the address being checked
		dialAddrs = []string{t.addr}
	default:
		addrs, fail, msg := c.hopAddrs(ctx, u.Hostname(), port, t)
		if fail != "" {
			hop.Error = msg
			return hop, nil, fail
		}
		dialAddrs = addrs
	}

	var mu sync.Mutex
	var connected string
	var dialErr, tlsErr error
	dial := c.HTTPOptions.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	connectTimeout := cmp.Or(c.HTTPOptions.ConnectTimeout, DefaultConnectTimeout)
	tr := &http.Transport{
		Proxy: nil, // a verifier connects directly
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var last error
			for _, a := range dialAddrs {
				dctx, cancel := context.WithTimeout(ctx, connectTimeout)
				conn, err := dial(dctx, "tcp", a)
				cancel()
				if err == nil {
					mu.Lock()
					connected = a
					mu.Unlock()
					return conn, nil
				}
				last = err
			}
			mu.Lock()
			dialErr = last
			mu.Unlock()
			return nil, last
		},
		TLSHandshakeTimeout: cmp.Or(c.HTTPOptions.TLSTimeout, DefaultTLSTimeout),
		TLSClientConfig: &tls.Config{
			// Verified below: an invalid certificate is reported, not fatal.
			InsecureSkipVerify: true, //nolint:gosec // verification is done in VerifyConnection
			VerifyConnection: func(cs tls.ConnectionState) error {
				if err := c.verifyCert(cs); err != nil {
					mu.Lock()
					tlsErr = err
					mu.Unlock()
				}
				return nil
			},
		},
		DisableKeepAlives:  true,
		DisableCompression: true, // judge the bytes as served
		ForceAttemptHTTP2:  false,
	}
	defer tr.CloseIdleConnections()
	rctx, cancel := context.WithTimeout(ctx, cmp.Or(c.HTTPOptions.RequestTimeout, DefaultRequestTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		hop.Error = err.Error()
		return hop, nil, "http.redirect"
	}
	req.Header = header.Clone()
	c.tracef("http GET %s via %s", u, strings.Join(dialAddrs, ", "))
	resp, err := tr.RoundTrip(req)
	mu.Lock()
	hop.Address = connected
	if tlsErr != nil {
		hop.TLSError = tlsErr.Error()
	}
	de := dialErr
	mu.Unlock()
	if err != nil {
		hop.Error, failure = describeHTTP(err, de, connected != "" && u.Scheme == "https")
		c.tracef("http GET %s: %s", u, hop.Error)
		return hop, nil, failure
	}
	defer resp.Body.Close()
	hop.StatusCode = resp.StatusCode
	hop.Location = resp.Header.Get("Location")
	hop.ContentType = resp.Header.Get("Content-Type")
	hop.header = resp.Header
	// Any answer's body is read: a page that is not the file tells what
	// stands in front of the web server.
	body, err = io.ReadAll(io.LimitReader(resp.Body, ReadLimit))
	if err != nil && resp.StatusCode == http.StatusOK {
		hop.Error, failure = describeHTTP(err, nil, false)
		return hop, nil, failure
	}
	c.tracef("http GET %s: %d (%s)", u, resp.StatusCode, connected)
	return hop, body, ""
}

// hopAddrs resolves a redirect's host (or applies --connect-to). A
// redirect within the host being checked stays on its address, so that
// each address is judged on its own.
func (c *Checker) hopAddrs(ctx context.Context, host, port string, t dialTarget) (addrs []string, failure, msg string) {
	// An IDN in a Location header is looked up by its A-labels; Normalize
	// refuses IP literals, which stay as they are.
	if h, err := domain.Normalize(host); err == nil {
		host = h
	}
	toHost, toPort, ok := c.connectTo(host, port)
	if ok && toHost != "" {
		return []string{net.JoinHostPort(toHost, toPort)}, "", ""
	}
	if t.ip != "" && strings.EqualFold(strings.TrimSuffix(host, "."), t.host) {
		return []string{net.JoinHostPort(t.ip, toPort)}, "", ""
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []string{net.JoinHostPort(ip.String(), toPort)}, "", ""
	}
	ips, err := c.resolveHost(ctx, host, false)
	if err != nil {
		return nil, "http.redirect", fmt.Sprintf("the address of %s could not be looked up: %v", host, err)
	}
	if len(ips) == 0 {
		return nil, "http.redirect", fmt.Sprintf("%s has no address (no A or AAAA record)", host)
	}
	for _, ip := range ips {
		addrs = append(addrs, net.JoinHostPort(ip.String(), toPort))
	}
	return addrs, "", ""
}

// verifyCert verifies the server's chain for its name, as a browser would.
func (c *Checker) verifyCert(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("no certificate")
	}
	inter := x509.NewCertPool()
	for _, ic := range cs.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: cs.ServerName, Roots: c.HTTPOptions.RootCAs, Intermediates: inter})
	return err
}

// describeHTTP turns a request error into words and a finding code.
func describeHTTP(err, dialErr error, tlsHop bool) (string, string) {
	var ne net.Error
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	switch {
	case dialErr != nil && errors.Is(dialErr, syscall.ECONNREFUSED):
		return "connection refused (nothing listens on that port)", "http.refused"
	case dialErr != nil && (errors.Is(dialErr, context.DeadlineExceeded) || errors.As(dialErr, &ne) && ne.Timeout()):
		return "no connection within the connect timeout", "http.timeout"
	case dialErr != nil:
		return "could not connect: " + unwrapOp(dialErr), "http.refused"
	case !tlsHop && tlsOnPlain(err):
		return "the server answered the plain HTTP request with TLS bytes: it speaks HTTPS on this port", "http.https_on_http_port"
	case tlsHop && strings.Contains(err.Error(), "TLS handshake timeout"):
		return "the TLS handshake did not finish in time", "http.timeout"
	case timeout:
		return "no complete response within the request timeout", "http.timeout"
	case tlsHop && (strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "remote error")):
		return "TLS handshake failed: " + unwrapOp(err), "http.tls"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed without a complete response", "http.refused"
	case malformed(err):
		return "the answer is not valid HTTP: " + unwrapOp(err), "http.malformed"
	default:
		return unwrapOp(err), "http.refused"
	}
}

// malformed reports whether err is net/http's reading of an answer that
// is not HTTP: a bad status line or header, bad chunking, a bad
// Content-Length, or a Location it cannot parse (its messages are all
// net/http has to tell them by).
func malformed(err error) bool {
	msg := err.Error()
	for _, s := range []string{"malformed HTTP", "malformed MIME header", "malformed chunked encoding", "bad Content-Length",
		"invalid Content-Length", "invalid header field", "failed to parse Location header", "invalid byte in chunk length",
		"transport connection broken"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// unwrapOp drops the Go operation prefixes ("dial tcp 1.2.3.4:80: ") that
// repeat what the message already says.
func unwrapOp(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// decideHTTP folds the per-address outcomes into the result: every
// reachable address must serve the file, as every authoritative server
// must serve the record.
func (c *Checker) decideHTTP(res *Result, targets []dialTarget, found [][]Finding) {
	var verified, reachable int
	best := StatusError
	for i, a := range res.Addresses {
		if targets[i].private {
			res.add(Finding{Code: "http.private_address", Severity: SeverityWarning, Server: a.Address,
				Message: fmt.Sprintf("%s resolves to %s, a private, loopback or link-local address that the provider cannot reach", strings.TrimSuffix(res.Name, "."), a.Address),
				Fix:     "publish a public address for the host, or use the DNS method"})
		}
		if a.Status != StatusError {
			reachable++
			if a.Status.rank() < best.rank() {
				best = a.Status
			}
		}
		if a.Status == StatusVerified {
			verified++
		}
	}
	switch {
	case reachable == 0:
		res.setStatus(StatusError)
	case verified == reachable:
		res.setStatus(StatusVerified)
	case verified > 0:
		res.setStatus(StatusPartial)
	default:
		res.setStatus(best)
	}
	for i, fs := range found {
		for _, f := range fs {
			// When other addresses serve the file, one that cannot be
			// reached is a warning: judged on the others.
			if res.Status == StatusVerified && res.Addresses[i].Status == StatusError && f.Severity == SeverityError {
				f.Severity = SeverityWarning
				f.Message += "; judged on the other addresses"
			}
			res.add(f)
		}
	}
}

// String describes what the address served in one line, as orgctl -v
// shows it: the status, then each hop ("192.0.2.7 verified: 301 →
// https://www.main.com/… 200 63 bytes match").
func (a Address) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:", a.Address, a.Status)
	for i, h := range a.Hops {
		if i > 0 {
			fmt.Fprintf(&b, " → %s", h.URL)
		}
		switch {
		case h.Error != "":
			fmt.Fprintf(&b, " error: %s", h.Error)
		default:
			fmt.Fprintf(&b, " %d", h.StatusCode)
		}
		if i > 0 && h.Address != "" {
			fmt.Fprintf(&b, " (%s)", h.Address)
		}
		if h.TLSError != "" {
			b.WriteString(" (certificate not valid)")
		}
	}
	if a.Size > 0 || a.Match {
		fmt.Fprintf(&b, " %d %s", a.Size, english.Plural(a.Size, "byte", "bytes"))
	}
	if a.Match {
		b.WriteString(" match")
	}
	return b.String()
}
