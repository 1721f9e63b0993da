package scim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken is the token tests use; no output may contain it.
const testToken = "tok-SECRET-4f1c9a"

// spcJSON is the ServiceProviderConfig test servers serve unless told
// otherwise.
const spcJSON = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
 "patch":{"supported":true},"bulk":{"supported":false},"filter":{"supported":true,"maxResults":200},
 "etag":{"supported":false},"sort":{"supported":false},"changePassword":{"supported":false}}`

// seen is one request as a test server saw it, path below /scim/v2.
type seen struct {
	Method, Path, RawQuery, Body string
	Header                       http.Header
}

// server is an httptest server on 127.0.0.1 under /scim/v2. It answers
// the discovery endpoints itself (spc; 404 for /ResourceTypes and
// /Schemas) unless handle takes them, and records every other request.
type server struct {
	*httptest.Server
	spc string

	mu   sync.Mutex
	reqs []seen
}

func newServer(t *testing.T, handle http.HandlerFunc) *server {
	t.Helper()
	s := &server{spc: spcJSON}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := strings.CutPrefix(r.URL.Path, "/scim/v2")
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.URL.Path = path
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		switch path {
		case "/ServiceProviderConfig":
			if s.spc == "" {
				http.NotFound(w, r)
			} else {
				w.Write([]byte(s.spc))
			}
			return
		case "/ResourceTypes", "/Schemas":
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, path, r.URL.RawQuery, string(body), r.Header.Clone()})
		s.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// requests returns what the server saw, discovery left out.
func (s *server) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// sleeper records the waits between attempts and returns at once.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newClient returns a client of s that never really sleeps; cfg's URL and
// Token are filled in.
func newClient(t *testing.T, s *server, cfg Config, opts ...Option) (*Client, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	cfg.URL = s.URL + "/scim/v2"
	cfg.Token = NewToken(testToken)
	c, err := New(cfg, append([]Option{WithSleep(sl.sleep)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

// reply writes a SCIM JSON response.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// hangUp closes the connection without a response, as a reset would.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

func boolp(b bool) *bool { return &b }
