package verify_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/verify"
)

// TestMiddleboxNginx: what answers on port 80 is not the site. nginx
// serves the shapes: its HTTPS listener reached with plain HTTP (a port
// forward from 80 to 443), an anti-bot cookie challenge (testcookie's
// page), and a Cloudflare block page; a raw listener answers with a TLS
// alert. Each is named, with the fix, instead of a bare status.
func TestMiddleboxNginx(t *testing.T) {
	t.Parallel()
	page := func(status, ctype, body, extra string) string {
		return "location = /logmein-verification-code.txt {\n" + extra + "\t\tdefault_type " + ctype + ";\n\t\treturn " + status + " '" + body + "';\n\t}"
	}
	ng := peertest.StartNginx(t, peertest.NginxOptions{TLS: true},
		peertest.Site{Name: "tls.web.test", Files: map[string]string{"logmein-verification-code.txt": code}},
		peertest.Site{Name: "cookie.web.test", Config: page("200", "text/html",
			`<html><body><script type="text/javascript" src="/aes.min.js" ></script><script>var a=toNumbers("de3e6f4f");document.cookie="TCK="+toHex(slowAES.decrypt(c,2,a,b))+"; path=/";location.href="http://cookie.web.test/logmein-verification-code.txt?ckattempt=1";</script></body></html>`, "")},
		peertest.Site{Name: "cf.web.test", Config: page("403", "text/html",
			`<!DOCTYPE html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body>`,
			"\t\tadd_header CF-RAY \"8a1b2c3d4e5f6a7b-FRA\" always;\n")},
	)
	_, port, _ := net.SplitHostPort(ng.Addr)
	_, tport, _ := net.SplitHostPort(ng.TLSAddr)

	// A TLS server that answers anything with an alert, as one does to a
	// plain HTTP request.
	alert := rawServer(t, func(conn net.Conn) {
		buf := make([]byte, 1024)
		_, _ = conn.Read(buf)
		_, _ = conn.Write([]byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28})
	})
	_, aport, _ := net.SplitHostPort(alert.String())

	tests := []struct {
		host, toPort string
		code         string
		words        []string // in the message or fix
	}{
		{"tls.web.test", tport, "http.https_on_http_port", []string{"nginx", "400", "port 80"}},
		{"alert.web.test", aport, "http.https_on_http_port", []string{"TLS bytes", "port 80"}},
		{"cookie.web.test", port, "http.middlebox", []string{"nginx testcookie", "testcookie off"}},
		{"cf.web.test", port, "http.middlebox", []string{"Cloudflare", "403", "Skip"}},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			c := &verify.Checker{HTTPOptions: verify.HTTPOptions{
				ConnectTo:      []verify.ConnectTo{{FromHost: tt.host, FromPort: "80", ToHost: "127.0.0.1", ToPort: tt.toPort}},
				RequestTimeout: 5 * time.Second,
			}}
			r, err := c.HTTP(context.Background(), tt.host, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.Findings {
				t.Logf("%s %s: %s; fix: %s", f.Severity, f.Code, f.Message, f.Fix)
			}
			if r.Verified {
				t.Errorf("verified through %s", tt.code)
			}
			f, ok := peerFinding(r.Findings, tt.code)
			if !ok {
				t.Fatalf("no %s finding in %v", tt.code, codes(r.Findings))
			}
			for _, w := range tt.words {
				if !strings.Contains(f.Message+" "+f.Fix, w) {
					t.Errorf("%s finding %q (fix %q) lacks %q", tt.code, f.Message, f.Fix, w)
				}
			}
			if f.Severity != verify.SeverityError {
				t.Errorf("severity %s, want error", f.Severity)
			}
			for _, other := range []string{"http.status", "http.html", "http.refused"} {
				if _, dup := peerFinding(r.Findings, other); dup {
					t.Errorf("%s beside %s: the cause is said once", other, tt.code)
				}
			}
		})
	}
}
