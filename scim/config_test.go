package scim

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenNeverShown(t *testing.T) {
	// A server that echoes the Authorization header in its error bodies.
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, `{"status":"401","detail":"bad credentials: `+r.Header.Get("Authorization")+`"}`)
	})
	var infos []RequestInfo
	cfg := Config{URL: s.URL + "/scim/v2", Token: NewToken(testToken), OnRequest: func(i RequestInfo) { infos = append(infos, i) }}
	c, err := New(cfg, WithSleep((&sleeper{}).sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, getErr := c.GetUser(ctx, "u1")
	if !errors.Is(getErr, ErrUnauthorized) {
		t.Fatalf("err %v, want ErrUnauthorized", getErr)
	}
	_, listErr := c.ListUsers(ctx, ListOptions{})
	_, testErr := c.Test(ctx)
	s.Close()
	_, netErr := c.GetUser(ctx, "u1") // connection refused
	cfgJSON, _ := json.Marshal(struct{ Token Token }{cfg.Token})

	type holder struct{ cfg Config } // unexported: fmt cannot call Token.String
	var out []string
	for _, v := range []any{cfg, &cfg, c, cfg.Token, holder{cfg}, &holder{cfg}, getErr, listErr, testErr, netErr, infos} {
		out = append(out, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v))
	}
	out = append(out, string(cfgJSON))
	var e *Error
	if errors.As(getErr, &e) {
		out = append(out, e.Body, e.Detail)
	}
	for _, s := range out {
		if strings.Contains(s, testToken) || strings.Contains(s, "SECRET") {
			t.Errorf("token shown: %s", s)
		}
	}
	if !strings.Contains(fmt.Sprintf("%v", cfg), "[redacted]") || fmt.Sprintf("%#v", cfg.Token) != `scim.Token("[redacted]")` {
		t.Errorf("%v / %#v", cfg, cfg.Token)
	}
	if !strings.Contains(e.Detail, "Bearer [redacted]") {
		t.Errorf("echoed token not scrubbed to [redacted]: %q", e.Detail)
	}
}

func TestNewChecksConfig(t *testing.T) {
	tok := NewToken(testToken)
	tests := []struct {
		cfg  Config
		want string // "" for no error
	}{
		{Config{URL: "https://scim.example.com/scim/v2", Token: tok}, ""},
		{Config{URL: "http://127.0.0.1:8080/scim", Token: tok}, ""},
		{Config{URL: "http://127.9.9.9/scim", Token: tok}, ""},
		{Config{URL: "http://[::1]:8080/scim", Token: tok}, ""},
		{Config{URL: "http://LocalHost:8080/", Token: tok}, ""},
		{Config{URL: "http://scim.example.com/scim/v2", Token: tok},
			"scim: refusing http://scim.example.com/scim/v2: plain http is allowed only to loopback hosts (127.0.0.0/8, ::1, localhost); use https"},
		{Config{URL: "http://10.0.0.1/scim", Token: tok}, "scim: refusing http://10.0.0.1/scim: plain http is allowed only to loopback hosts (127.0.0.0/8, ::1, localhost); use https"},
		{Config{URL: "http://localhost.example.com/", Token: tok}, "scim: refusing http://localhost.example.com/: plain http is allowed only to loopback hosts (127.0.0.0/8, ::1, localhost); use https"},
		{Config{URL: "https://user:pw@host/scim", Token: tok}, "scim: URL https://user:xxxxx@host/scim carries credentials: give the token separately"},
		{Config{URL: "ftp://host/scim", Token: tok}, "scim: URL ftp://host/scim: want an https:// URL"},
		{Config{URL: "https://host/scim?x=1", Token: tok}, "scim: URL https://host/scim?x=1: a base URL takes no query or fragment"},
		{Config{URL: "host/scim", Token: tok}, `scim: URL "host/scim" has no scheme: add https:// (https://host/scim), or http:// for a loopback host`},
		{Config{URL: "127.0.0.1:8080/scim/v2", Token: tok}, `scim: URL "127.0.0.1:8080/scim/v2" has no scheme: add https:// (https://127.0.0.1:8080/scim/v2), or http:// for a loopback host`},
		{Config{URL: "localhost:8080/scim", Token: tok}, `scim: URL "localhost:8080/scim" has no scheme: add https:// (https://localhost:8080/scim), or http:// for a loopback host`},
		{Config{URL: "https:///scim", Token: tok}, "scim: URL https:///scim has no host"},
		{Config{URL: "http://127.0.0.1:99999/scim", Token: tok}, "scim: URL http://127.0.0.1:99999/scim: port 99999 is not 1-65535"},
		{Config{URL: "https://host:0/scim", Token: tok}, "scim: URL https://host:0/scim: port 0 is not 1-65535"},
		{Config{Token: tok}, "scim: no URL given (want the service's base URL, e.g. https://host/scim/v2)"},
		{Config{URL: "https://host/scim"}, "scim: unauthorized: no bearer token"},
		{Config{URL: "https://host/scim", Token: NewToken("a b")}, "scim: the token holds white space, control or non-ASCII characters"},
		{Config{URL: "https://host/scim", Token: NewToken("ab\r\nX-Evil: 1")}, "scim: the token holds white space, control or non-ASCII characters"},
		{Config{URL: "https://host/scim", Token: NewToken("tökén")}, "scim: the token holds white space, control or non-ASCII characters"},
		{Config{URL: "https://host/scim", Token: tok, CAFileOnly: true}, "scim: CAFileOnly needs a CAFile"},
		{Config{URL: "https://host/scim", Token: tok, CAFile: "/nonexistent/ca.pem"}, "scim: reading the CA file: open /nonexistent/ca.pem: no such file or directory"},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("New(%q): got %q\nwant %q", tt.cfg.URL, got, tt.want)
		}
		if err == nil && strings.HasSuffix(c.URL(), "/") {
			t.Errorf("URL() = %s keeps a trailing slash", c.URL())
		}
	}
}

func TestCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"id":"u1"}`)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	if _, err := New(Config{URL: srv.URL, Token: NewToken(testToken), CAFile: notPEM}); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a CA file without certificates: %v", err)
	}

	for _, tt := range []struct {
		name   string
		caFile string
		only   bool
		ok     bool
	}{{"system roots only", "", false, false}, {"added to the system roots", ca, false, true}, {"instead of them", ca, true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			attempts := 0
			c, err := New(Config{URL: srv.URL, Token: NewToken(testToken), CAFile: tt.caFile, CAFileOnly: tt.only,
				OnRequest: func(RequestInfo) { attempts++ }})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetUser(context.Background(), "u1")
			if (err == nil) != tt.ok {
				t.Fatalf("err %v", err)
			}
			if err != nil && (attempts != 1 || !strings.Contains(err.Error(), "certificate")) {
				t.Errorf("a TLS failure: %d attempts, %v", attempts, err)
			}
		})
	}
}
