package verify_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/verify"
)

// TestDiagnoseWrongURL: when http://HOST/ does not serve the file,
// Diagnose looks for it over https, on www. and under /.well-known/, and
// says where it is; verify does not look.
func TestDiagnoseWrongURL(t *testing.T) {
	wellKnown := diagFileAt("/.well-known"+file, code+"\n")
	tests := []struct {
		name   string
		sites  map[string]http.Handler
		status verify.Status
		where  string // the URL the finding names; "" for none
	}{
		{"https only", map[string]http.Handler{"192.0.2.10:443": fileOnly(code)},
			verify.StatusError, "https://sub.main.test" + file},
		{"on www only", map[string]http.Handler{"192.0.2.10:80": onHost("www.main.test", fileOnly(code), serve(404, "no"))},
			verify.StatusNotFound, "http://www.main.test" + file},
		{"under .well-known", map[string]http.Handler{"192.0.2.10:80": wellKnown},
			verify.StatusNotFound, "http://sub.main.test/.well-known" + file},
		{"saved as .txt.txt", map[string]http.Handler{"192.0.2.10:80": diagFileAt(file+".txt", code)},
			verify.StatusNotFound, "http://sub.main.test" + file + ".txt"},
		{"saved without .txt", map[string]http.Handler{"192.0.2.10:80": diagFileAt(strings.TrimSuffix(file, ".txt"), code+"\r\n")},
			verify.StatusNotFound, "http://sub.main.test" + strings.TrimSuffix(file, ".txt")},
		{"another code on www is no hit", map[string]http.Handler{"192.0.2.10:80": onHost("www.main.test", fileOnly(other), serve(404, "no"))},
			verify.StatusNotFound, ""},
		{"served right: no probe", map[string]http.Handler{"192.0.2.10:80": fileOnly(code), "192.0.2.10:443": fileOnly(code)},
			verify.StatusVerified, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, w := newWebWorld(t, tt.sites)
			domain := "sub.main.test"
			if strings.Contains(tt.name, "www") {
				domain = "main.test"
				tt.where = strings.Replace(tt.where, "sub.", "", 1)
			}
			res, err := c.Diagnose(context.Background(), domain, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			h := res.HTTP
			if h.Status != tt.status {
				t.Fatalf("http status %s, want %s; findings %+v", h.Status, tt.status, h.Findings)
			}
			i := slices.IndexFunc(h.Findings, func(f verify.Finding) bool { return f.Code == "http.wrong_url" })
			switch {
			case tt.where == "" && i >= 0:
				t.Errorf("unexpected %+v", h.Findings[i])
			case tt.where != "" && i < 0:
				t.Errorf("no http.wrong_url in %+v", h.Findings)
			case tt.where != "" && !strings.Contains(h.Findings[i].Message, "served at "+tt.where+",") || i >= 0 && h.Findings[i].Severity != verify.SeverityError:
				t.Errorf("finding %+v, want the code served at %s", h.Findings[i], tt.where)
			}
			// verify stops at the verdict: the same status, no probe.
			before := len(w.requests())
			plain, err := c.HTTP(context.Background(), domain, verify.Code{Value: code})
			if err != nil {
				t.Fatal(err)
			}
			if plain.Status != h.Status || slices.ContainsFunc(plain.Findings, func(f verify.Finding) bool { return f.Code == "http.wrong_url" }) {
				t.Errorf("verify: %s %+v", plain.Status, plain.Findings)
			}
			for _, r := range w.requests()[before:] {
				if strings.Contains(r.URL.Path, ".well-known") || r.Host == "www."+domain {
					t.Errorf("verify probed %s%s", r.Host, r.URL.Path)
				}
			}
		})
	}
}

// TestDiagnoseWrongURLStaysWithConnectTo: with --connect-to rules, the
// probes go only where a rule sends them, never to an address from DNS.
func TestDiagnoseWrongURLStaysWithConnectTo(t *testing.T) {
	c, w := newWebWorld(t, map[string]http.Handler{
		"192.0.2.10:443": fileOnly(code),                                            // reached only through DNS
		"192.0.2.10:80":  onHost("www.main.test", fileOnly(code), serve(404, "no")), // reached only through DNS
		"192.0.2.50:80":  serve(404, "no"),
	})
	ct, err := verify.ParseConnectTo("main.test:80:192.0.2.50:80")
	if err != nil {
		t.Fatal(err)
	}
	c.ConnectTo = []verify.ConnectTo{ct}
	res, err := c.Diagnose(context.Background(), "main.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(res.HTTP.Findings, func(f verify.Finding) bool { return f.Code == "http.wrong_url" }) {
		t.Errorf("a probe left the --connect-to rules: %+v", res.HTTP.Findings)
	}
	for _, r := range w.requests() {
		if r.Host != "main.test" || r.TLS != nil {
			t.Errorf("request to %s (tls %v) that no --connect-to rule allows", r.Host, r.TLS != nil)
		}
	}
	if len(w.requests()) == 0 {
		t.Error("the check itself sent no request")
	}
}

// diagFileAt serves body at path only.
func diagFileAt(path, body string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(path, serve(200, body))
	return mux
}
