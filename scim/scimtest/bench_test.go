package scimtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// seeded returns a handler holding n users, "user%d@Example.com" with
// externalId "ext%d", built once per size.
func seeded(b *testing.B, n int) *scimtest.Handler {
	b.Helper()
	h := scimtest.NewHandler(scimtest.Options{})
	for i := range n {
		h.AddUser(map[string]any{"userName": fmt.Sprintf("user%d@Example.com", i), "externalId": fmt.Sprintf("ext%d", i)})
	}
	return h
}

// serve runs one request through h without a network, and fails unless it
// answers 200 with exactly one resource when one is wanted.
func serve(b *testing.B, h http.Handler, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
	}
	return w
}

// BenchmarkFilterLookup measures the eq lookups a provisioning client sends
// for every user, against 100,000 users: each should cost what it costs
// with 1,000 (compare the sizes).
func BenchmarkFilterLookup(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		h := seeded(b, n)
		for _, attr := range []string{"userName", "externalId"} {
			b.Run(fmt.Sprintf("%s/users=%d", attr, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					v := fmt.Sprintf("USER%d@example.COM", i%n)
					if attr == "externalId" {
						v = fmt.Sprintf("ext%d", i%n)
					}
					w := serve(b, h, scimtest.BasePath+"/Users?filter="+url.QueryEscape(attr+` eq "`+v+`"`))
					var list struct{ TotalResults int }
					if i == 0 && (json.Unmarshal(w.Body.Bytes(), &list) != nil || list.TotalResults != 1) {
						b.Fatalf("filter %s eq %q: %s", attr, v, w.Body)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkListPage measures a page of 200 users from the middle of an
// unfiltered list, as a client listing everything once fetches them.
func BenchmarkListPage(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		h := seeded(b, n)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			for b.Loop() {
				serve(b, h, fmt.Sprintf("%s/Users?startIndex=%d&count=200", scimtest.BasePath, n/2))
			}
		})
	}
}

// BenchmarkCreate measures POST /Users into a server that already holds
// 100,000 users.
func BenchmarkCreate(b *testing.B) {
	h := seeded(b, 100_000)
	i := 0
	for b.Loop() {
		body := fmt.Sprintf(`{"schemas":[%q],"userName":"new%d@example.com","externalId":"n%d"}`, scimtest.SchemaUser, i, i)
		req := httptest.NewRequest(http.MethodPost, scimtest.BasePath+"/Users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("POST: %d %s", w.Code, w.Body)
		}
		i++
	}
}
