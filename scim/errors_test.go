package scim

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestErrorParsing(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name, ctype, body string
		status            int
		want              string
		scimType, detail  string
		bodyLen           int
	}{
		{name: "status as string", status: 404, body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"Resource u1 not found"}`,
			want: "scim: GET /scim/v2/Users/u1: 404 Not Found: Resource u1 not found", detail: "Resource u1 not found"},
		{name: "status as number", status: 404, body: `{"status":404,"detail":"Resource u1 not found"}`,
			want: "scim: GET /scim/v2/Users/u1: 404 Not Found: Resource u1 not found", detail: "Resource u1 not found"},
		{name: "scimType", status: 400, body: `{"status":"400","scimType":"invalidFilter","detail":"bad filter"}`,
			want: "scim: GET /scim/v2/Users/u1: 400 Bad Request (scimType invalidFilter): bad filter", scimType: "invalidFilter", detail: "bad filter"},
		{name: "members of odd types", status: 409, body: `{"status":{"x":1},"scimType":7,"detail":"dup"}`,
			want: "scim: GET /scim/v2/Users/u1: 409 Conflict: dup", detail: "dup"},
		{name: "HTML", status: 502, ctype: "text/html", body: "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
			want: "scim: GET /scim/v2/Users/u1: 502 Bad Gateway: 502 Bad Gateway"},
		{name: "HTML without title", status: 403, ctype: "text/html", body: "<p>Access\n  denied</p>",
			want: "scim: GET /scim/v2/Users/u1: 403 Forbidden: Access denied"},
		{name: "plain text", status: 401, ctype: "text/plain", body: "invalid token\n",
			want: "scim: GET /scim/v2/Users/u1: 401 Unauthorized: invalid token"},
		{name: "OAuth style", status: 401, body: `{"error":"invalid_token","error_description":"expired"}`,
			want: "scim: GET /scim/v2/Users/u1: 401 Unauthorized: expired", detail: "expired"},
		{name: "empty", status: 500, want: "scim: GET /scim/v2/Users/u1: 500 Internal Server Error"},
		{name: "huge", status: 400, ctype: "text/plain", body: long,
			want: "scim: GET /scim/v2/Users/u1: 400 Bad Request: " + long[:200] + "…", bodyLen: maxErrorBody + len("…")},
		{name: "redirect", status: 301, body: "moved",
			want: "scim: GET /scim/v2/Users/u1: 301 Moved Permanently: the server redirects to https://elsewhere/scim/v2/Users/u1 (redirects are not followed: fix the URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", cmp.Or(tt.ctype, "application/scim+json"))
				w.Header().Set("Location", "https://elsewhere/scim/v2/Users/u1")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			c, _ := newClient(t, s, Config{Retry: Retry{Attempts: 1}})
			_, err := c.GetUser(context.Background(), "u1")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v is not an *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if e.Status != tt.status || e.SCIMType != tt.scimType || (tt.detail != "" && e.Detail != tt.detail) || e.Method != "GET" || e.Path != "/scim/v2/Users/u1" {
				t.Errorf("%+v", e)
			}
			if tt.bodyLen > 0 && len(e.Body) != tt.bodyLen {
				t.Errorf("body kept %d bytes, want %d", len(e.Body), tt.bodyLen)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	sentinels := []error{ErrUnauthorized, ErrNotFound, ErrConflict, ErrPreconditionFailed, ErrRateLimited}
	tests := []struct {
		status int
		want   error
	}{
		{401, ErrUnauthorized}, {403, ErrUnauthorized}, {404, ErrNotFound}, {409, ErrConflict},
		{412, ErrPreconditionFailed}, {429, ErrRateLimited}, {400, nil}, {500, nil}, {0, nil},
	}
	for _, tt := range tests {
		var err error = &Error{Status: tt.status}
		for _, s := range sentinels {
			if got := errors.Is(err, s); got != (s == tt.want) {
				t.Errorf("errors.Is(%d, %v) = %v", tt.status, s, got)
			}
		}
	}
	if !errors.Is(ErrNoToken, ErrUnauthorized) {
		t.Error("ErrNoToken does not match ErrUnauthorized")
	}
}

func TestRateLimitedAfterRetries(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		reply(w, 429, `{"status":"429","detail":"Too many requests"}`)
	})
	c, sl := newClient(t, s, Config{Retry: Retry{Attempts: 3}})
	_, err := c.GetGroup(context.Background(), "g1")
	if !errors.Is(err, ErrRateLimited) || len(sl.got()) != 2 {
		t.Errorf("err %v after waits %v", err, sl.got())
	}
}

func FuzzErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"status":"404","detail":"x"}`, `{"status":404}`, `{"status":4.04e2,"scimType":"mutability"}`,
		`<html><title>t</title></html>`, "", "\xff\xfe", `{"detail":"` + strings.Repeat("é", 600) + `"}`, `[1,2]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := &Error{Method: "GET", Path: "/Users", Status: 400}
		e.parseErrorBody(body, "tok")
		msg := e.Error()
		if len(e.Body) > maxErrorBody+len("…") || len(e.Detail) > 512+len("…") || len(msg) > 2048 {
			t.Fatalf("too long: body %d, detail %d, message %d", len(e.Body), len(e.Detail), len(msg))
		}
		if strings.Contains(msg, "tok") && !strings.Contains(string(body), "tok") {
			t.Fatal("token appeared from nowhere")
		}
		if strings.Contains(e.Body, "tok") || strings.Contains(e.Detail, "tok") {
			t.Fatalf("token kept: %q", e.Body)
		}
	})
}

func FuzzListResponse(f *testing.F) {
	for _, s := range []string{
		`{"totalResults":"2","itemsPerPage":1,"startIndex":1,"Resources":[{"id":"1","userName":"a","active":"True"}]}`,
		`{"totalresults":2,"resources":[{"ID":"1","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}]}`,
		`{"Resources":[null,{"emails":[{"value":"a@b"}]}]}`, `{"totalResults":1e400}`, `{}`, `[]`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var lr ListResponse[*User]
		if err := lr.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := lr.MarshalJSON()
		if err != nil {
			t.Fatalf("decoded but cannot encode: %v", err)
		}
		var again ListResponse[*User]
		if err := again.UnmarshalJSON(out); err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
	})
}
