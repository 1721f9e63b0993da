package scim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers with fail for the first n requests, then with 200 and a
// user.
func flaky(t *testing.T, n int32, fail func(w http.ResponseWriter)) (*server, *atomic.Int32) {
	var calls atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			fail(w)
			return
		}
		reply(w, 200, `{"id":"u1","userName":"ann"}`)
	})
	return s, &calls
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		max        time.Duration
		want       time.Duration
		noRetry    bool // the wait is over max: the request ends with the 429
	}{
		{"seconds", 429, "3", 0, 3 * time.Second, false},
		{"HTTP date", 429, now.Add(7 * time.Second).Format(http.TimeFormat), 0, 7 * time.Second, false},
		{"date in the past", 429, now.Add(-time.Hour).Format(http.TimeFormat), 0, 0, false},
		{"over 60 s: not retried early", 429, "3600", 0, 0, true},
		{"over the configured wait", 429, "6", 5 * time.Second, 0, true},
		{"at the configured wait", 429, "5", 5 * time.Second, 5 * time.Second, false},
		{"503 with Retry-After", 503, "2", 0, 2 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, calls := flaky(t, 1, func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", tt.retryAfter)
				reply(w, tt.status, `{"status":"`+strconv.Itoa(tt.status)+`","detail":"slow down"}`)
			})
			var infos []RequestInfo
			c, sl := newClient(t, s, Config{Retry: Retry{MaxRetryAfter: tt.max}, OnRequest: func(i RequestInfo) { infos = append(infos, i) }},
				WithClock(func() time.Time { return now }))
			_, err := c.GetUser(context.Background(), "u1")
			if tt.noRetry {
				var se *Error
				if !errors.As(err, &se) || se.Status != tt.status || calls.Load() != 1 || len(sl.got()) != 0 {
					t.Errorf("err %v after %d attempts and waits %v, want the %d at once", err, calls.Load(), sl.got(), tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sl.got(); !slices.Equal(got, []time.Duration{tt.want}) {
				t.Errorf("waits %v, want [%v]", got, tt.want)
			}
			if calls.Load() != 2 {
				t.Errorf("%d attempts, want 2", calls.Load())
			}
			if len(infos) != 2 || infos[0].Status != tt.status || !infos[0].Retry || infos[0].Wait != tt.want || infos[0].Attempt != 1 ||
				infos[1].Status != 200 || infos[1].Attempt != 2 || infos[1].Err != nil || infos[1].Retry || infos[1].Path != "/scim/v2/Users/u1" {
				t.Errorf("infos %+v", infos)
			}
		})
	}
}

func TestRetryTransient(t *testing.T) {
	tests := []struct {
		name string
		fail func(t *testing.T) func(w http.ResponseWriter)
	}{
		{"500", status(500)}, {"502", status(502)}, {"503", status(503)}, {"504", status(504)},
		{"429 without Retry-After", status(429)},
		{"connection reset", func(t *testing.T) func(w http.ResponseWriter) {
			return func(w http.ResponseWriter) { hangUp(t, w) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, calls := flaky(t, 2, tt.fail(t))
			c, sl := newClient(t, s, Config{})
			u, err := c.GetUser(context.Background(), "u1")
			if err != nil || u.ID != "u1" {
				t.Fatalf("GetUser = %+v, %v", u, err)
			}
			if calls.Load() != 3 {
				t.Errorf("%d attempts, want 3", calls.Load())
			}
			// Full jitter: each wait is at most Base·2^(n-1).
			for i, w := range sl.got() {
				if bound := DefaultBackoffBase << i; w < 0 || w > bound {
					t.Errorf("wait %d = %v, want within [0, %v]", i+1, w, bound)
				}
			}
			if len(sl.got()) != 2 {
				t.Errorf("waits %v, want 2", sl.got())
			}
		})
	}
}

func status(code int) func(t *testing.T) func(w http.ResponseWriter) {
	return func(*testing.T) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { reply(w, code, `<html><title>Upstream trouble</title></html>`) }
	}
}

func TestRetriesBounded(t *testing.T) {
	s, calls := flaky(t, 1000, func(w http.ResponseWriter) { reply(w, 502, "bad gateway") })
	c, sl := newClient(t, s, Config{Retry: Retry{Base: time.Second, Max: 3 * time.Second}})
	_, err := c.GetUser(context.Background(), "u1")
	var e *Error
	if !errors.As(err, &e) || e.Status != 502 || e.Attempts != DefaultAttempts {
		t.Fatalf("err = %#v", err)
	}
	if want := "scim: GET /scim/v2/Users/u1: 502 Bad Gateway: bad gateway (after 5 attempts)"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	if calls.Load() != DefaultAttempts {
		t.Errorf("%d attempts, want %d", calls.Load(), DefaultAttempts)
	}
	bounds := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	for i, w := range sl.got() {
		if w > bounds[i] {
			t.Errorf("wait %d = %v, over %v", i+1, w, bounds[i])
		}
	}
	if len(sl.got()) != 4 {
		t.Errorf("waits %v, want 4", sl.got())
	}

	s2, calls2 := flaky(t, 1000, func(w http.ResponseWriter) { reply(w, 500, "") })
	c2, _ := newClient(t, s2, Config{Retry: Retry{Attempts: 1}})
	if _, err := c2.GetUser(context.Background(), "u1"); err == nil || calls2.Load() != 1 {
		t.Errorf("Attempts 1: %d attempts, err %v", calls2.Load(), err)
	}
}

func TestNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409, 412} {
		s, calls := flaky(t, 1, func(w http.ResponseWriter) { reply(w, code, `{"status":`+strconv.Itoa(code)+`}`) })
		c, _ := newClient(t, s, Config{})
		if _, err := c.GetUser(context.Background(), "u1"); err == nil || calls.Load() != 1 {
			t.Errorf("%d: %d attempts, err %v", code, calls.Load(), err)
		}
	}
}

func TestCancelStopsRetries(t *testing.T) {
	t.Run("during the wait", func(t *testing.T) {
		s, calls := flaky(t, 1000, func(w http.ResponseWriter) { reply(w, 503, "") })
		ctx, cancel := context.WithCancel(context.Background())
		c, _ := newClient(t, s, Config{}, WithSleep(func(ctx context.Context, d time.Duration) error {
			cancel()
			return sleep(ctx, time.Hour) // the real sleep, which must return at once
		}))
		_, err := c.GetUser(ctx, "u1")
		if !errors.Is(err, context.Canceled) || calls.Load() != 1 {
			t.Errorf("%d attempts, err %v", calls.Load(), err)
		}
	})
	t.Run("during a request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			cancel()
			<-r.Context().Done()
		})
		c, sl := newClient(t, s, Config{})
		_, err := c.GetUser(ctx, "u1")
		if !errors.Is(err, context.Canceled) || len(sl.got()) != 0 {
			t.Errorf("waits %v, err %v", sl.got(), err)
		}
	})
}

func TestAttemptTimeoutRetried(t *testing.T) {
	var calls atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // never answers the first attempt
			return
		}
		reply(w, 200, `{"id":"u1"}`)
	})
	var errs []error
	c, _ := newClient(t, s, Config{Timeout: 100 * time.Millisecond, OnRequest: func(i RequestInfo) { errs = append(errs, i.Err) }})
	if _, err := c.GetUser(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	if want := "scim: GET /scim/v2/Users/u1: no response within 100ms: context deadline exceeded"; len(errs) != 2 || errs[0] == nil || errs[0].Error() != want || errs[1] != nil {
		t.Errorf("attempt errors %v, want the first to be %s", errs, want)
	}
}

func TestDeleteIdempotent(t *testing.T) {
	s, _ := flaky(t, 1, func(w http.ResponseWriter) { reply(w, 503, "") })
	s.Config.Handler = wrapDelete(s.Config.Handler)
	c, _ := newClient(t, s, Config{})
	if err := c.DeleteUser(context.Background(), "u1"); err != nil {
		t.Errorf("404 after a retried DELETE: %v", err)
	}
	s2 := newServer(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 404, "") })
	c2, _ := newClient(t, s2, Config{})
	if err := c2.DeleteGroup(context.Background(), "g1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("404 on the first DELETE: %v", err)
	}
}

// wrapDelete turns the 200 that flaky gives after its failures into the
// 404 of a resource an earlier attempt deleted.
func wrapDelete(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&notFoundOn200{ResponseWriter: w}, r)
	})
}

type notFoundOn200 struct{ http.ResponseWriter }

func (w *notFoundOn200) WriteHeader(code int) {
	if code == 200 {
		code = 404
	}
	w.ResponseWriter.WriteHeader(code)
}
