package verify_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

const file = "/logmein-verification-code.txt"

// webZone is main.test with hosts at documentation addresses, which
// webWorld maps to local HTTP servers.
const webZone = `$ORIGIN main.test.
$TTL 300
@    IN SOA ns1.main.test. hostmaster.main.test. ( 1 3600 600 86400 60 )
@    IN NS ns1.main.test.
ns1  IN A 192.0.2.1
@    IN A 192.0.2.10
www  IN A 192.0.2.10
two  IN A 192.0.2.10
two  IN A 192.0.2.11
v6   IN AAAA 2001:db8::10
v6   IN A 192.0.2.10
lan  IN A 10.1.2.3
ll   IN A 169.254.7.7
sub  IN A 192.0.2.10
cdn  IN A 192.0.2.12
noaddr IN TXT "no address here"
xn--bcher-kva IN A 192.0.2.10
`

// webWorld serves each handler at an address:port of webZone ("192.0.2.10:80";
// port 443 gets a TLS server with a self-signed certificate) and returns a
// checker whose dialer sends those addresses there and refuses the rest,
// so that no test connects off loopback.
type webWorld struct {
	mu   sync.Mutex
	reqs []*http.Request
	tls  *x509.CertPool
}

func newWebWorld(t testing.TB, sites map[string]http.Handler) (*verify.Checker, *webWorld) {
	t.Helper()
	w := &webWorld{tls: x509.NewCertPool()}
	to := map[string]string{}
	for addr, h := range sites {
		logged := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			w.mu.Lock()
			w.reqs = append(w.reqs, r)
			w.mu.Unlock()
			h.ServeHTTP(rw, r)
		})
		var srv *httptest.Server
		if strings.HasSuffix(addr, ":443") {
			srv = httptest.NewTLSServer(logged)
			w.tls.AddCert(srv.Certificate())
		} else {
			srv = httptest.NewServer(logged)
		}
		t.Cleanup(srv.Close)
		to[addr] = srv.Listener.Addr().String()
	}
	r := verifytest.Start(t, verifytest.Options{Recursive: true}, webZone)
	ns := verifytest.Start(t, verifytest.Options{}, webZone)
	c := &verify.Checker{Resolvers: []string{r.Addr}, Timeout: 300 * time.Millisecond, Tries: 2,
		Exchanger: mapExchanger{to: map[string]string{"192.0.2.1:53": ns.Addr}}}
	c.RequestTimeout = 2 * time.Second
	c.ConnectTimeout = time.Second
	c.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		real, ok := to[addr]
		if !ok {
			host, _, _ := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			real = addr
		}
		var d net.Dialer
		return d.DialContext(ctx, network, real)
	}
	return c, w
}

func (w *webWorld) requests() []*http.Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*http.Request(nil), w.reqs...)
}

// serve answers every path with status and body.
func serve(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

// fileOnly serves body at the verification file's path and 404 elsewhere.
func fileOnly(body string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(file, serve(200, body))
	return mux
}

// redirectTo answers path with a redirect to loc, and serves the file at
// every other path through next.
func redirectTo(status int, path, loc string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			w.Header().Set("Location", loc)
			w.WriteHeader(status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// onHost sends requests for host to h and the others to next.
func onHost(host string, h, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == host {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestHTTP(t *testing.T) {
	html := "<!DOCTYPE html><html><head><title>Not found</title></head><body>We could not find that page.</body></html>"
	tests := []struct {
		name   string
		host   string
		sites  map[string]http.Handler
		strict bool
		status verify.Status
		want   []string
		absent []string
	}{
		{name: "exact file", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)},
			status: verify.StatusVerified, absent: []string{"http.trailing_newline", "http.soft_404", "http.private_address"}},
		{name: "trailing LF", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code + "\n")},
			status: verify.StatusVerified, want: []string{"http.trailing_newline"}},
		{name: "trailing CRLF", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code + "\r\n")},
			status: verify.StatusVerified, want: []string{"http.trailing_newline"}},
		{name: "trailing LF strict", strict: true, sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code + "\n")},
			status: verify.StatusMismatch, want: []string{"http.trailing_newline"}},
		{name: "exact file strict", strict: true, sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)},
			status: verify.StatusVerified, absent: []string{"http.trailing_newline"}},
		{name: "BOM", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly("\ufeff" + code)},
			status: verify.StatusMismatch, want: []string{"http.bom"}},
		{name: "leading space", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(" " + code)},
			status: verify.StatusMismatch, want: []string{"http.whitespace"}},
		{name: "trailing tab", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code + "\t\n")},
			status: verify.StatusMismatch, want: []string{"http.whitespace"}},
		{name: "blank line first", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly("\n" + code)},
			status: verify.StatusMismatch, want: []string{"http.whitespace"}},
		{name: "HTML", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly("<html><body>" + code + "</body></html>")},
			status: verify.StatusMismatch, want: []string{"http.html"}},
		{name: "wrong code", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(other)},
			status: verify.StatusMismatch, want: []string{"http.wrong_code"}},
		{name: "upper case", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(strings.ToUpper(code))},
			status: verify.StatusMismatch, want: []string{"http.near_miss"}},
		{name: "smart quotes", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly("“" + code + "”")},
			status: verify.StatusMismatch, want: []string{"http.near_miss"}},
		{name: "unrelated text", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly("hello")},
			status: verify.StatusMismatch, want: []string{"http.no_code"}},
		{name: "empty file", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly("")},
			status: verify.StatusMismatch, want: []string{"http.no_code"}},
		{name: "129 bytes", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code + strings.Repeat("\n", 129-len(code)))},
			status: verify.StatusMismatch, want: []string{"http.too_large"}},
		{name: "128 bytes is not too large", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(strings.Repeat("x", 128))},
			status: verify.StatusMismatch, want: []string{"http.no_code"}, absent: []string{"http.too_large"}},
		{name: "big HTML page", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(strings.Repeat(html, 100))},
			status: verify.StatusMismatch, want: []string{"http.too_large", "http.html"}},
		{name: "404", sites: map[string]http.Handler{"192.0.2.10:80": http.NotFoundHandler()},
			status: verify.StatusNotFound, want: []string{"http.not_found"}, absent: []string{"http.soft_404"}},
		{name: "410", sites: map[string]http.Handler{"192.0.2.10:80": serve(410, "gone")},
			status: verify.StatusNotFound, want: []string{"http.not_found"}},
		{name: "403", sites: map[string]http.Handler{"192.0.2.10:80": serve(403, "forbidden")},
			status: verify.StatusNotFound, want: []string{"http.status"}, absent: []string{"http.blocked"}},
		{name: "403 to bots only", sites: map[string]http.Handler{"192.0.2.10:80": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.UserAgent(), "Mozilla/") {
				w.WriteHeader(403)
				return
			}
			io.WriteString(w, code)
		})}, status: verify.StatusNotFound, want: []string{"http.status", "http.blocked"}},
		{name: "500", sites: map[string]http.Handler{"192.0.2.10:80": serve(500, "oops")},
			status: verify.StatusError, want: []string{"http.status"}},
		{name: "204", sites: map[string]http.Handler{"192.0.2.10:80": serve(204, "")},
			status: verify.StatusNotFound, want: []string{"http.status"}},
		{name: "refused", sites: map[string]http.Handler{},
			status: verify.StatusError, want: []string{"http.refused"}},
		{name: "soft 404 catch-all", sites: map[string]http.Handler{"192.0.2.10:80": serve(200, html)},
			status: verify.StatusMismatch, want: []string{"http.html", "http.soft_404"}},
		{name: "soft 404 with the file right", sites: map[string]http.Handler{"192.0.2.10:80": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == file {
				io.WriteString(w, code)
				return
			}
			io.WriteString(w, html)
		})}, status: verify.StatusVerified, want: []string{"http.soft_404"}},
		{name: "private address", host: "lan.main.test", sites: map[string]http.Handler{"10.1.2.3:80": fileOnly(code)},
			status: verify.StatusVerified, want: []string{"http.private_address"}},
		{name: "no address", host: "noaddr.main.test", sites: map[string]http.Handler{},
			status: verify.StatusNotFound, want: []string{"http.not_found"}},
		{name: "nxdomain", host: "nx.main.test", sites: map[string]http.Handler{},
			status: verify.StatusNotFound, want: []string{"http.not_found"}},
		{name: "two addresses agree", host: "two.main.test", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code), "192.0.2.11:80": fileOnly(code)},
			status: verify.StatusVerified},
		{name: "two addresses disagree", host: "two.main.test", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code), "192.0.2.11:80": http.NotFoundHandler()},
			status: verify.StatusPartial, want: []string{"http.not_found"}},
		{name: "a redirect within the host stays on each address", host: "two.main.test", sites: map[string]http.Handler{
			"192.0.2.10:80": redirectTo(301, file, "/moved.txt", serve(200, code)),
			"192.0.2.11:80": redirectTo(301, file, "/moved.txt", http.NotFoundHandler())},
			status: verify.StatusPartial, want: []string{"http.redirect", "http.not_found"}},
		{name: "one of two unreachable", host: "two.main.test", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)},
			status: verify.StatusVerified, want: []string{"http.refused"}},
		{name: "IPv6 refused, IPv4 serves", host: "v6.main.test", sites: map[string]http.Handler{"192.0.2.10:80": fileOnly(code)},
			status: verify.StatusVerified, want: []string{"http.refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newWebWorld(t, tt.sites)
			c.Strict = tt.strict
			host := tt.host
			if host == "" {
				host = "main.test"
			}
			res, err := c.HTTP(context.Background(), host, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res, tt.status, tt.want, tt.absent)
			if res.Method != verify.MethodHTTP || res.URL != "http://"+host+file {
				t.Errorf("method %q url %q", res.Method, res.URL)
			}
			if tt.status != verify.StatusVerified && !hasSeverity(res.Findings, verify.SeverityError) {
				t.Errorf("status %s without an error finding: %v", res.Status, res.Findings)
			}
			if tt.status == verify.StatusVerified && hasSeverity(res.Findings, verify.SeverityError) {
				t.Errorf("verified with an error finding: %v", res.Findings)
			}
		})
	}
}

func TestHTTPRequestHeadersAndAddresses(t *testing.T) {
	c, w := newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": fileOnly(code)})
	c.UserAgent = "orgctl/1.2.3"
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, nil, nil)
	reqs := w.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want the file and the soft-404 canary", len(reqs))
	}
	r := reqs[0]
	if r.URL.Path != file || r.Host != "main.test" || r.Method != http.MethodGet {
		t.Errorf("request %s %s Host %s", r.Method, r.URL.Path, r.Host)
	}
	if ua, acc := r.Header.Get("User-Agent"), r.Header.Get("Accept"); ua != "orgctl/1.2.3" || acc != "*/*" {
		t.Errorf("User-Agent %q Accept %q", ua, acc)
	}
	if enc := r.Header.Get("Accept-Encoding"); enc != "" {
		t.Errorf("Accept-Encoding %q: the body must be judged as served", enc)
	}
	canary := reqs[1].URL.Path
	if !strings.HasPrefix(canary, "/logmein-verification-") || canary == file || !strings.HasSuffix(canary, ".txt") {
		t.Errorf("canary path %q", canary)
	}
	if len(res.Addresses) != 1 {
		t.Fatalf("addresses %+v", res.Addresses)
	}
	a := res.Addresses[0]
	if a.Address != "192.0.2.10" || !a.Match || a.Body != code || a.Size != len(code) || len(a.Hops) != 1 ||
		a.Hops[0].StatusCode != 200 || a.Hops[0].Address != "192.0.2.10:80" {
		t.Errorf("address %+v", a)
	}
}

func TestHTTPReadLimit(t *testing.T) {
	c, _ := newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": fileOnly(strings.Repeat("x", 1<<20))})
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusMismatch, []string{"http.too_large"}, nil)
	if got := res.Addresses[0].Size; got != verify.ReadLimit {
		t.Errorf("read %d bytes, want the limit %d", got, verify.ReadLimit)
	}
}

func TestHTTPRedirects(t *testing.T) {
	ok := fileOnly(code)
	hop := func(i int) string { return fmt.Sprintf("/hop%d", i) }
	// chain serves /file → /hop1 → … → /hopN → the file at /final.
	chain := func(n int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == file:
				http.Redirect(w, r, hop(1), http.StatusFound)
			case r.URL.Path == "/final":
				io.WriteString(w, code)
			default:
				var i int
				fmt.Sscanf(r.URL.Path, "/hop%d", &i)
				next := hop(i + 1)
				if i+1 > n-1 {
					next = "/final"
				}
				http.Redirect(w, r, next, http.StatusFound)
			}
		})
	}
	tests := []struct {
		name   string
		sites  map[string]http.Handler
		status verify.Status
		want   []string
		hops   int
	}{
		{"301 same host", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "/new/place.txt", serve(200, code))}, verify.StatusVerified, []string{"http.redirect"}, 2},
		{"302", map[string]http.Handler{"192.0.2.10:80": redirectTo(302, file, "/x", serve(200, code))}, verify.StatusVerified, []string{"http.redirect"}, 2},
		{"307", map[string]http.Handler{"192.0.2.10:80": redirectTo(307, file, "/x", serve(200, code))}, verify.StatusVerified, []string{"http.redirect"}, 2},
		{"308 to www", map[string]http.Handler{"192.0.2.10:80": onHost("www.main.test", ok, redirectTo(308, file, "http://www.main.test"+file, ok))}, verify.StatusVerified, []string{"http.redirect"}, 2},
		{"to https", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "https://www.main.test"+file, ok), "192.0.2.10:443": ok}, verify.StatusVerified, []string{"http.redirect", "http.tls"}, 2},
		{"303 refused", map[string]http.Handler{"192.0.2.10:80": redirectTo(303, file, "/x", serve(200, code))}, verify.StatusNotFound, []string{"http.redirect_status"}, 1},
		{"300 refused", map[string]http.Handler{"192.0.2.10:80": redirectTo(300, file, "/x", serve(200, code))}, verify.StatusNotFound, []string{"http.redirect_status"}, 1},
		{"ftp refused", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "ftp://main.test"+file, ok)}, verify.StatusNotFound, []string{"http.redirect_scheme"}, 1},
		{"port 8080 refused", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "http://main.test:8080"+file, ok)}, verify.StatusNotFound, []string{"http.redirect_port"}, 1},
		{"explicit port 443 allowed", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "https://main.test:443"+file, ok), "192.0.2.10:443": ok}, verify.StatusVerified, []string{"http.redirect"}, 2},
		{"loop", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "/a", redirectTo(301, "/a", file, ok))}, verify.StatusNotFound, []string{"http.redirect_loop"}, 2},
		{"loop through another spelling", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "HTTP://Main.Test:80"+file, ok)}, verify.StatusNotFound, []string{"http.redirect_loop"}, 1},
		{"to an IDN host", map[string]http.Handler{"192.0.2.10:80": onHost("xn--bcher-kva.main.test", ok, redirectTo(301, file, "http://bücher.main.test"+file, ok))}, verify.StatusVerified, []string{"http.redirect"}, 2},
		{"self loop", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, file, ok)}, verify.StatusNotFound, []string{"http.redirect_loop"}, 1},
		{"10 redirects allowed", map[string]http.Handler{"192.0.2.10:80": chain(10)}, verify.StatusVerified, []string{"http.redirect"}, 11},
		{"11 redirects refused", map[string]http.Handler{"192.0.2.10:80": chain(11)}, verify.StatusNotFound, []string{"http.too_many_redirects"}, 11},
		{"missing slash", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "https://www.main.test"+strings.TrimPrefix(file, "/"), ok)}, verify.StatusNotFound, []string{"http.redirect_missing_slash"}, 1},
		{"no Location", map[string]http.Handler{"192.0.2.10:80": serve(302, "")}, verify.StatusNotFound, []string{"http.redirect"}, 1},
		{"to a host without address", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "http://noaddr.main.test"+file, ok)}, verify.StatusNotFound, []string{"http.redirect"}, 2},
		{"to a refusing host", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "http://cdn.main.test"+file, ok)}, verify.StatusNotFound, []string{"http.refused"}, 2},
		{"to 404", map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "/elsewhere", http.NotFoundHandler())}, verify.StatusNotFound, []string{"http.redirect", "http.not_found"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newWebWorld(t, tt.sites)
			res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res, tt.status, tt.want, nil)
			if got := len(res.Addresses[0].Hops); got != tt.hops {
				t.Errorf("%d hops recorded, want %d: %+v", got, tt.hops, res.Addresses[0].Hops)
			}
		})
	}
}

func TestHTTPTrustedCertificateIsNoFinding(t *testing.T) {
	c, w := newWebWorld(t, map[string]http.Handler{
		"192.0.2.10:80":  redirectTo(301, file, "https://example.com"+file, http.NotFoundHandler()),
		"192.0.2.10:443": fileOnly(code),
	})
	// httptest's certificate is for example.com; trusting it makes the
	// https hop valid.
	c.RootCAs = w.tls
	c.ConnectTo = []verify.ConnectTo{{FromHost: "example.com", FromPort: "443", ToHost: "192.0.2.10", ToPort: "443"}}
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, []string{"http.redirect"}, []string{"http.tls"})
	if h := res.Addresses[0].Hops[1]; h.TLSError != "" || h.Address != "192.0.2.10:443" {
		t.Errorf("https hop %+v", h)
	}
}

func TestHTTPTLSFailure(t *testing.T) {
	// The https hop reaches a plain-HTTP server: the handshake fails.
	plain := httptest.NewServer(fileOnly(code))
	t.Cleanup(plain.Close)
	c, _ := newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "https://main.test"+file, http.NotFoundHandler())})
	c.ConnectTo = []verify.ConnectTo{{FromPort: "443", ToHost: "127.0.0.1", ToPort: portOf(t, plain.Listener.Addr())}}
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusNotFound, []string{"http.tls"}, nil)
}

func portOf(t *testing.T, a net.Addr) string {
	t.Helper()
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	stall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c, _ := newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": stall})
	t.Cleanup(func() { close(release) })
	c.RequestTimeout = 200 * time.Millisecond
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusError, []string{"http.timeout"}, nil)
}

func TestHTTPConnectTo(t *testing.T) {
	srv := httptest.NewServer(fileOnly(code))
	t.Cleanup(srv.Close)
	ct, err := verify.ParseConnectTo("main.test:80:127.0.0.1:" + portOf(t, srv.Listener.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	// No resolver at all: a --connect-to target replaces resolution.
	c := &verify.Checker{}
	c.ConnectTo = []verify.ConnectTo{ct}
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, nil, []string{"http.private_address"})
	if got := res.Addresses[0].Address; got != "127.0.0.1:"+portOf(t, srv.Listener.Addr()) {
		t.Errorf("address %q", got)
	}
}

func TestParseConnectTo(t *testing.T) {
	tests := []struct {
		in   string
		want verify.ConnectTo
		err  string
	}{
		{in: "main.com:80:127.0.0.1:8080", want: verify.ConnectTo{FromHost: "main.com", FromPort: "80", ToHost: "127.0.0.1", ToPort: "8080"}},
		{in: "::127.0.0.1:8080", want: verify.ConnectTo{ToHost: "127.0.0.1", ToPort: "8080"}},
		{in: ":80::8080", want: verify.ConnectTo{FromPort: "80", ToPort: "8080"}},
		{in: "[::1]:443:[2001:db8::1]:8443", want: verify.ConnectTo{FromHost: "::1", FromPort: "443", ToHost: "2001:db8::1", ToPort: "8443"}},
		{in: "Main.COM.:80:web:", want: verify.ConnectTo{FromHost: "main.com", FromPort: "80", ToHost: "web"}},
		{in: "main.com:80:127.0.0.1", err: "want HOST1:PORT1:HOST2:PORT2"},
		{in: "main.com:80:127.0.0.1:99999", err: "port"},
		{in: "main.com:http:127.0.0.1:80", err: "port"},
		{in: "main.com:80::", err: "give the host or port"},
		{in: "[::1:80:a:1", err: "unclosed"},
	}
	for _, tt := range tests {
		got, err := verify.ParseConnectTo(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseConnectTo(%q) error %v, want one naming the input and %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseConnectTo(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if back, err := verify.ParseConnectTo(got.String()); err != nil || back != got {
			t.Errorf("String() %q does not parse back: %+v %v", got.String(), back, err)
		}
	}
}

func TestHTTPSubdomainsAndExpiry(t *testing.T) {
	sites := map[string]http.Handler{"192.0.2.10:80": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "sub.main.test" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, code)
	})}
	c, _ := newWebWorld(t, sites)
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code, Subdomains: []string{"sub.main.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusNotFound || len(res.Subdomains) != 1 || res.Subdomains[0].URL != "http://sub.main.test"+file {
		t.Errorf("status %s subdomains %+v", res.Status, res.Subdomains)
	}
	c.Now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	res, err = c.HTTP(context.Background(), "main.test", verify.Code{Value: code, ExpiresAt: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusMismatch, []string{"code.expired"}, nil)
}

func TestAny(t *testing.T) {
	// The web world's zone has no TXT record at main.test: DNS finds
	// nothing, and HTTP decides.
	c, _ := newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": fileOnly(code)})
	res, err := c.Any(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.Method != verify.MethodHTTP || res.DNS == nil || res.HTTP == nil {
		t.Fatalf("got %+v", res)
	}
	if res.DNS.Verified || res.DNS.Method != verify.MethodDNS || !res.HTTP.Verified {
		t.Errorf("dns %s http %s", res.DNS.Status, res.HTTP.Status)
	}

	// Neither: the more favourable status (not_found by DNS over an
	// unreachable web server's error) decides.
	c, _ = newWebWorld(t, map[string]http.Handler{})
	res, err = c.Any(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == verify.StatusError || res.Method != verify.MethodDNS || res.HTTP.Status != verify.StatusError {
		t.Errorf("status %s method %s http %s", res.Status, res.Method, res.HTTP.Status)
	}
}

func TestHTTPConnectAndTLSTimeouts(t *testing.T) {
	// A connection that never completes: the dialer waits for its
	// context, which the connect timeout ends.
	c, _ := newWebWorld(t, map[string]http.Handler{})
	c.ConnectTimeout = 100 * time.Millisecond
	c.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusError, []string{"http.timeout"}, []string{"http.refused"})

	// A server that accepts the connection but never answers the TLS
	// handshake: the TLS timeout ends it.
	silent := rawServer(t, func(conn net.Conn) { <-t.Context().Done() })
	c, _ = newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": redirectTo(301, file, "https://main.test"+file, http.NotFoundHandler())})
	c.TLSTimeout = 100 * time.Millisecond
	c.ConnectTo = []verify.ConnectTo{{FromPort: "443", ToHost: "127.0.0.1", ToPort: portOf(t, silent)}}
	res, err = c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusNotFound, []string{"http.timeout"}, nil)
	if h := res.Addresses[0].Hops; len(h) != 2 || !strings.Contains(h[1].Error, "TLS handshake") {
		t.Errorf("hops %+v", h)
	}
}

// TestHTTPMalformedAnswer: a server that answers with bytes that are not
// HTTP (a broken header, a status line of garbage) gets http.malformed and
// a fix about the server, not http.refused's "start a web server".
func TestHTTPMalformedAnswer(t *testing.T) {
	for name, answer := range map[string]string{
		"header":      "HTTP/1.1 200 OK\r\nContent-Type text/plain\r\n\r\nx",
		"status line": "garbage, not http\r\n\r\n",
		"chunking":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			addr := rawServer(t, func(conn net.Conn) {
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf)
				_, _ = io.WriteString(conn, answer)
				time.Sleep(50 * time.Millisecond)
			})
			c, _ := newWebWorld(t, map[string]http.Handler{})
			c.ConnectTo = []verify.ConnectTo{{FromPort: "80", ToHost: "127.0.0.1", ToPort: portOf(t, addr)}}
			res, err := c.HTTP(context.Background(), "main.test", verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res, res.Status, []string{"http.malformed"}, []string{"http.refused"})
			for _, f := range res.Findings {
				if f.Code == "http.malformed" && !strings.Contains(f.Fix, "does not speak HTTP") {
					t.Errorf("fix %q", f.Fix)
				}
			}
		})
	}
}

// TestHTTPFollowsCNAMEOfAuthoritativeServer: asked directly
// (--nameserver), an authoritative server answers a CNAME into another
// zone without its address; the check follows it.
func TestHTTPFollowsCNAMEOfAuthoritativeServer(t *testing.T) {
	c, _ := newWebWorld(t, map[string]http.Handler{"192.0.2.10:80": fileOnly(code)})
	ns := verifytest.Start(t, verifytest.Options{}, webZone+"alias IN CNAME www.other.test.\n", `$ORIGIN other.test.
@   300 IN SOA ns.other.test. h.other.test. 1 3600 600 86400 60
@   300 IN NS ns.other.test.
www 300 IN A 192.0.2.10
`)
	c.Resolvers, c.Nameservers = nil, []string{ns.Addr}
	res, err := c.HTTP(context.Background(), "alias.main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, nil, nil)
}

func TestHTTPLinkLocalAddress(t *testing.T) {
	c, _ := newWebWorld(t, map[string]http.Handler{"169.254.7.7:80": fileOnly(code)})
	res, err := c.HTTP(context.Background(), "ll.main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, verify.StatusVerified, []string{"http.private_address"}, nil)
}

// rawServer accepts TCP connections on loopback until the test ends and
// hands each to serve (on a goroutine of its own), closing it after.
func rawServer(t *testing.T, serve func(net.Conn)) net.Addr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return ln.Addr()
}
