package peertest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const codeFile = "logmein-verification-code.txt"

// webClient returns an HTTP client that connects to addr whatever host a URL names, the way a test
// of orgctl points its names at a local server. With certPEM it trusts that certificate alone;
// SNI and Host are the URL's host. Redirects are returned, not followed.
func webClient(t *testing.T, addr string, certPEM []byte, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	if certPEM != nil {
		tr.TLSClientConfig = tlsTrusting(t, certPEM)
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// get fetches url and returns the response with its whole body.
func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, body
}

func TestNginxServesFilesByteExact(t *testing.T) {
	t.Parallel()
	crlf := "orgctl-verify=abc123\r\n"
	bom := "\ufefforgctl-verify=abc123\n"
	n := StartNginx(t, NginxOptions{},
		Site{Name: "crlf.web.test", Files: map[string]string{codeFile: crlf, "sub/dir/x.txt": "deep"}},
		Site{Name: "bom.web.test", Files: map[string]string{codeFile: bom}},
	)
	c := webClient(t, n.Addr, nil, 3*time.Second)

	for _, tc := range []struct {
		url  string
		want string
	}{
		{"http://crlf.web.test/" + codeFile, crlf},
		{"http://bom.web.test/" + codeFile, bom},
		{"http://crlf.web.test/sub/dir/x.txt", "deep"},
		// nginx folds the Host's case and drops a final dot before it matches server_name.
		{"http://CRLF.Web.Test./" + codeFile, crlf},
	} {
		resp, body := get(t, c, tc.url)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, []byte(tc.want)) {
			t.Errorf("GET %s: got %s %q, want 200 %q", tc.url, resp.Status, body, tc.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
			t.Errorf("GET %s: got Content-Type %q, want text/plain", tc.url, ct)
		}
	}

	resp, body := get(t, c, "http://crlf.web.test/missing.txt")
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "orgctl-verify") {
		t.Errorf("missing file: got %s %q, want 404", resp.Status, body)
	}
	// Neither site answers for a name that is not theirs: the default server does.
	resp, body = get(t, c, "http://other.web.test/"+codeFile)
	if resp.StatusCode != http.StatusNotFound || string(body) != nginxNoSite {
		t.Errorf("unknown Host: got %s %q, want 404 %q", resp.Status, body, nginxNoSite)
	}
}

func TestNginxRedirects(t *testing.T) {
	t.Parallel()
	n := StartNginx(t, NginxOptions{}, Site{
		Name: "redirect.web.test",
		Files: map[string]string{
			"dir/" + codeFile: "x",
		},
		Config: `location = /` + codeFile + ` { return 301 http://a.test/` + codeFile + `; }
		location = /relative { return 302 /elsewhere; }`,
	})
	c := webClient(t, n.Addr, nil, 3*time.Second)
	_, port, _ := net.SplitHostPort(n.Addr)

	for _, tc := range []struct {
		url      string
		status   int
		location string
	}{
		{"http://redirect.web.test/" + codeFile, http.StatusMovedPermanently, "http://a.test/" + codeFile},
		// absolute_redirect is on: a relative target comes back as an absolute URL built from
		// the Host and the port nginx listens on.
		{"http://redirect.web.test/relative", http.StatusFound, "http://redirect.web.test:" + port + "/elsewhere"},
		// A directory without its final slash is redirected to it.
		{"http://redirect.web.test/dir", http.StatusMovedPermanently, "http://redirect.web.test:" + port + "/dir/"},
	} {
		resp, _ := get(t, c, tc.url)
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
			t.Errorf("GET %s: got %s Location %q, want %d Location %q", tc.url, resp.Status, resp.Header.Get("Location"), tc.status, tc.location)
		}
	}
}

func tlsTrusting(t *testing.T, certPEM []byte) *tls.Config {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatalf("no certificate in %q", certPEM)
	}
	return &tls.Config{RootCAs: roots}
}

func TestNginxTLS(t *testing.T) {
	t.Parallel()
	n := StartNginx(t, NginxOptions{TLS: true},
		Site{Name: "a.web.test", Files: map[string]string{codeFile: "code-a\r\n"}},
		Site{Name: "b.web.test", Files: map[string]string{codeFile: "code-b\n"}},
	)
	if n.TLSAddr == "" || n.TLSAddr == n.Addr || len(n.CertPEM) == 0 {
		t.Fatalf("got Addr %q, TLSAddr %q and %d bytes of certificate, want two addresses and a certificate", n.Addr, n.TLSAddr, len(n.CertPEM))
	}
	secure := webClient(t, n.TLSAddr, n.CertPEM, 3*time.Second)
	plain := webClient(t, n.Addr, nil, 3*time.Second)
	for _, tc := range []struct {
		c    *http.Client
		url  string
		want string
	}{
		{secure, "https://a.web.test/" + codeFile, "code-a\r\n"},
		{secure, "https://b.web.test/" + codeFile, "code-b\n"},
		{plain, "http://b.web.test/" + codeFile, "code-b\n"},
	} {
		resp, body := get(t, tc.c, tc.url)
		if resp.StatusCode != http.StatusOK || string(body) != tc.want {
			t.Errorf("GET %s: got %s %q, want 200 %q", tc.url, resp.Status, body, tc.want)
		}
		if resp.TLS == nil != strings.HasPrefix(tc.url, "http:") {
			t.Errorf("GET %s: got TLS state %v", tc.url, resp.TLS)
		}
	}

	// A client that does not trust the certificate gets no answer.
	untrusting := webClient(t, n.TLSAddr, nil, 3*time.Second)
	_, err := untrusting.Get("https://a.web.test/" + codeFile)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("GET without trusting the certificate: got error %v, want x509.UnknownAuthorityError", err)
	}
}

func TestNginxStalledSite(t *testing.T) {
	t.Parallel()
	n := StartNginx(t, NginxOptions{}, Site{
		Name:   "stall.web.test",
		Config: `location / { echo_sleep 5; echo hi; }`,
	})
	c := webClient(t, n.Addr, nil, 500*time.Millisecond)
	resp, err := c.Get("http://stall.web.test/" + codeFile)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %s, want a client timeout", resp.Status)
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("got error %v, want a client timeout", err)
	}

	// While the sleep still runs, SIGTERM ends nginx: a clean exit, not one that needed SIGKILL.
	p := n.d.p
	n.Stop(t)
	if p.err != nil {
		t.Errorf("nginx ended with %v, want a clean exit on SIGTERM\n%s", p.err, n.d.output())
	}
}

func TestNginxNeedsEchoModule(t *testing.T) {
	echoModule = "/nonexistent/ngx_http_echo_module.so"
	t.Cleanup(func() { echoModule = "/usr/lib/nginx/modules/ngx_http_echo_module.so" })
	stall := []Site{{Name: "stall.web.test", Config: "location / {\n\techo_sleep 5;\n}"}}

	for _, tc := range []struct {
		name     string
		opts     NginxOptions
		sites    []Site
		ci       string
		wantSkip bool
		wantFail bool
	}{
		{"echo_sleep", NginxOptions{}, stall, "", true, false},
		{"echo_sleep CI", NginxOptions{}, stall, "true", false, true},
		{"echo in Extra CI", NginxOptions{Extra: "server { listen 127.0.0.1:1; echo hi; }"}, nil, "true", false, true},
		{"no echo", NginxOptions{Extra: "# echoes nothing"}, []Site{{Name: "echo.web.test", Config: "location /echo_x { return 204; }"}}, "true", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			rec := &needRecorder{TB: t}
			needEcho(rec, tc.opts, tc.sites)
			if (rec.skipped != "") != tc.wantSkip || (rec.failed != "") != tc.wantFail {
				t.Errorf("got skipped %q, failed %q; want skip %v, fail %v", rec.skipped, rec.failed, tc.wantSkip, tc.wantFail)
			}
			if msg := rec.skipped + rec.failed; msg != "" && !strings.Contains(msg, "apt-get install libnginx-mod-http-echo") {
				t.Errorf("got message %q, want the install hint", msg)
			}
		})
	}
}

// TestNginxRetriesTakenPort hands nginx a taken port first: it must move on to another port. Not
// parallel: it replaces pickPort.
func TestNginxRetriesTakenPort(t *testing.T) {
	Need(t, "nginx")
	taken, handed := takenPortFirst(t)

	n := StartNginx(t, NginxOptions{TLS: true}, Site{Name: "a.web.test", Files: map[string]string{codeFile: "x"}})
	if *handed != 4 {
		t.Errorf("got %d ports handed out, want 4 (a taken and a free one, then two free ones)", *handed)
	}
	if strings.HasSuffix(n.Addr, ":"+strconv.Itoa(taken)) || strings.HasSuffix(n.TLSAddr, ":"+strconv.Itoa(taken)) {
		t.Errorf("nginx claims the taken port %d: %s, %s", taken, n.Addr, n.TLSAddr)
	}
	resp, body := get(t, webClient(t, n.Addr, nil, 3*time.Second), "http://a.web.test/"+codeFile)
	if resp.StatusCode != http.StatusOK || string(body) != "x" {
		t.Errorf("got %s %q, want 200 \"x\"", resp.Status, body)
	}
}
