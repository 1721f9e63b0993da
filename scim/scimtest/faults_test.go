package scimtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// statuses sends n GETs of /Users and returns their statuses.
func statuses(t *testing.T, c *client, n int) []int {
	t.Helper()
	var out []int
	for range n {
		out = append(out, c.do("GET", "/Users", nil).status)
	}
	return out
}

func TestTooManyEvery(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{TooManyEvery: 3})
	c := newClient(t, srv)
	got := statuses(t, c, 7)
	if want := []int{200, 200, 429, 200, 200, 429, 200}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	c.do("GET", "/Users", nil).want(t, 200)
	r := c.do("GET", "/Users", nil)
	r.wantError(t, http.StatusTooManyRequests, "")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want the default 1", got)
	}

	date := time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)
	srv.SetOptions(scimtest.Options{TooManyEvery: 1, RetryAfter: date})
	if got := c.do("GET", "/Users", nil).header.Get("Retry-After"); got != date {
		t.Errorf("Retry-After %q, want %q", got, date)
	}
}

func TestFailEvery(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{FailEvery: 2})
	c := newClient(t, srv)
	if got, want := statuses(t, c, 4), []int{200, 503, 200, 503}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	srv.SetOptions(scimtest.Options{FailEvery: 1, FailStatus: 500})
	c.do("POST", "/Users", user("never")).wantError(t, 500, "")
	if n := len(srv.Users()); n != 0 {
		t.Errorf("a failed POST created %d users", n)
	}
}

func TestFaultOrderAndCounting(t *testing.T) {
	// Request 6 is due for all three faults; the reset wins. Requests to
	// exempt paths neither fail nor count.
	srv := scimtest.Start(t, scimtest.Options{
		ResetEvery: 6, TooManyEvery: 3, FailEvery: 2,
		ExemptPaths: []string{"/ServiceProviderConfig", "/Schemas/"},
	})
	c := newClient(t, srv)
	var got []int
	for i := range 6 {
		c.do("GET", "/ServiceProviderConfig", nil).want(t, 200)
		c.do("GET", "/Schemas/"+scimtest.SchemaUser, nil).want(t, 200)
		r, err := c.try("POST", "/Users", user("u"+string(rune('a'+i))))
		if err != nil {
			got = append(got, 0)
			continue
		}
		got = append(got, r.status)
	}
	if want := []int{201, 503, 429, 503, 201, 0}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	var logged []int
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			logged = append(logged, r.Status)
		}
	}
	if want := []int{201, 503, 429, 503, 201, 0}; !slices.Equal(logged, want) {
		t.Errorf("logged statuses %v, want %v", logged, want)
	}
}

func TestResetEvery(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{ResetEvery: 2})
	c := newClient(t, srv)
	c.do("POST", "/Users", user("first")).want(t, http.StatusCreated)
	_, err := c.try("POST", "/Users", user("second"))
	if err == nil {
		t.Fatal("the second request got a response")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("error %v, want EOF or connection reset", err)
	}
	c.do("POST", "/Users", user("third")).want(t, http.StatusCreated)
	if n := len(srv.Users()); n != 2 {
		t.Errorf("%d users, want 2: a reset request is not carried out", n)
	}
	log := srv.Requests()
	if len(log) != 3 || log[1].Status != 0 || !strings.Contains(string(log[1].Body), `"second"`) {
		t.Errorf("log of the reset request: %+v", log)
	}
}

func TestLatency(t *testing.T) {
	const latency = 50 * time.Millisecond
	srv := scimtest.Start(t, scimtest.Options{Latency: latency})
	c := newClient(t, srv)
	start := time.Now()
	c.do("GET", "/ServiceProviderConfig", nil).want(t, 200)
	if d := time.Since(start); d < latency {
		t.Errorf("answered after %v, before the latency of %v", d, latency)
	}

	// A client that gives up first gets no answer, and the log says so.
	srv.SetOptions(scimtest.Options{Latency: time.Hour})
	srv.ResetLog()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/Users", nil)
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the deadline", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if log := srv.Requests(); len(log) != 1 || log[0].Status != 0 {
		t.Errorf("log %+v, want one request without a status", log)
	}
}

func TestAuth(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{Token: "s3cret"})
	c := newClient(t, srv)

	r := c.do("GET", "/Users", nil)
	r.wantError(t, http.StatusUnauthorized, "")
	if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate %q", got)
	}
	c.token = "wrong"
	r = c.do("GET", "/ServiceProviderConfig", nil)
	r.wantError(t, http.StatusUnauthorized, "")
	if strings.Contains(string(r.raw), "wrong") || strings.Contains(string(r.raw), "s3cret") {
		t.Errorf("the error repeats a token: %s", r.raw)
	}
	c.token = "s3cret"
	c.do("GET", "/Users", nil).want(t, http.StatusOK)

	req, _ := http.NewRequest("GET", srv.URL+"/Users", nil)
	req.Header.Set("Authorization", "Basic czNjcmV0")
	if got := statusOf(t, srv, req); got != http.StatusUnauthorized {
		t.Errorf("Basic auth: status %d", got)
	}
}

func TestRequestLog(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	body := `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "userName": "logged",   "active": true}`
	c.do("POST", "/Users?attributes=userName", body).want(t, http.StatusCreated)
	c.do("GET", "/Nope", nil)
	log := srv.Requests()
	if len(log) != 2 {
		t.Fatalf("%d requests logged, want 2", len(log))
	}
	r := log[0]
	if r.Method != "POST" || r.Path != "/scim/v2/Users" || r.RawQuery != "attributes=userName" || string(r.Body) != body || r.Status != 201 {
		t.Errorf("logged %+v", r)
	}
	if got := r.Header.Get("Content-Type"); got != "application/scim+json" {
		t.Errorf("logged Content-Type %q", got)
	}
	if log[1].Status != 404 {
		t.Errorf("logged status %d for an unknown endpoint", log[1].Status)
	}
	log[0].Body[0] = 'X' // a copy
	if srv.Requests()[0].Body[0] != '{' {
		t.Error("Requests shares the log's memory")
	}
	srv.ResetLog()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after ResetLog", n)
	}
}

// TestResetRetriedGET pins what the package documentation warns of: Go's
// transport resends a GET on a reused connection that is reset, so the
// client sees the next request's answer, and the server counts both.
func TestResetRetriedGET(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{ResetEvery: 2})
	c := newClient(t, srv)
	c.do("GET", "/Users", nil).want(t, 200)
	c.do("GET", "/Users", nil).want(t, 200) // reset, resent, answered
	var got []int
	for _, r := range srv.Requests() {
		got = append(got, r.Status)
	}
	if want := []int{200, 0, 200}; !slices.Equal(got, want) {
		t.Errorf("logged statuses %v, want %v", got, want)
	}
}
