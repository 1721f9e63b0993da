package scim_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// faults are the "every Nth request" faults of a service, counted over
// every request it receives (discovery included) from 1. When several are
// due, reset wins, then tooMany, then fail, as in scimtest.
type faults struct {
	tooManyEvery int // 429 with Retry-After: 1
	failEvery    int // 503
	resetEvery   int // the connection closed without a response
}

// due returns the fault request n is due for: 0 (none), 429, 503, or -1
// for a reset.
func (f faults) due(n int) int {
	every := func(k int) bool { return k > 0 && n%k == 0 }
	switch {
	case every(f.resetEvery):
		return -1
	case every(f.tooManyEvery):
		return http.StatusTooManyRequests
	case every(f.failEvery):
		return http.StatusServiceUnavailable
	}
	return 0
}

// wireRequest is a request as a service received it.
type wireRequest struct {
	Method string
	Path   string // the full path, e.g. /scim/v2/Users/42
	Body   []byte
	Status int // 0: no response (the connection was closed)
}

// faultProxy is a reverse proxy on 127.0.0.1 in front of a SCIM service
// that has no fault switches of its own (scimmy). It records every request
// byte for byte and injects faults: a 429 or 503 is answered by the proxy
// without forwarding, while a reset forwards the request, lets the service
// apply it, and then closes the client's connection without an answer, so
// that the client cannot know whether a POST was carried out.
type faultProxy struct {
	url    string // base URL of the SCIM endpoints through the proxy
	faults faults
	rp     *httputil.ReverseProxy

	mu  sync.Mutex
	n   int
	log []wireRequest
}

// startFaultProxy starts a proxy to the SCIM base URL upstream and stops
// it when the test ends. Zero faults make a recording pass-through.
func startFaultProxy(t *testing.T, upstream string, f faults) *faultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	p := &faultProxy{faults: f, rp: &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(origin) },
		Transport: tr,
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: p}}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	p.url = srv.URL + u.Path
	return p
}

// requests returns what the proxy received, in the order the answers were
// ready.
func (p *faultProxy) requests() []wireRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wireRequest(nil), p.log...)
}

func (p *faultProxy) record(r wireRequest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, r)
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := wireRequest{Method: r.Method, Path: r.URL.Path, Body: body}
	p.mu.Lock()
	p.n++
	fault := p.faults.due(p.n)
	p.mu.Unlock()

	switch fault {
	case 0:
		p.rp.ServeHTTP(&recordingWriter{ResponseWriter: w, rec: rec, p: p}, r)
	case -1:
		p.rp.ServeHTTP(httptest.NewRecorder(), r) // applied, answer lost
		p.record(rec)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset, not an orderly close
			}
			conn.Close()
		}
	default:
		rec.Status = fault
		p.record(rec)
		if fault == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(fault)
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":"fault injected by the test proxy"}`, fault)
	}
}

// recordingWriter records the request with its status when the status is
// written, before the client can have the response.
type recordingWriter struct {
	http.ResponseWriter
	rec  wireRequest
	p    *faultProxy
	done bool
}

func (w *recordingWriter) WriteHeader(status int) {
	if !w.done {
		w.done = true
		w.rec.Status = status
		w.p.record(w.rec)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (which ReverseProxy flushes with)
// reach the connection's writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
