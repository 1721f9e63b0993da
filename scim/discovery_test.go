package scim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// discoveryServer serves the discovery endpoints from a map (a missing
// path is a 404) and counts the requests.
func discoveryServer(t *testing.T, pages map[string]string, users string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		path := strings.TrimPrefix(r.URL.Path, "/scim/v2")
		if path == "/Users" && users != "" {
			reply(w, 200, users)
			return
		}
		body, ok := pages[path]
		switch {
		case !ok:
			reply(w, 404, `{"status":"404","detail":"no such endpoint"}`)
		case strings.HasPrefix(body, "status "):
			code := 0
			for _, d := range body[len("status "):] {
				code = code*10 + int(d-'0')
			}
			reply(w, code, `{"status":"`+body[len("status "):]+`"}`)
		default:
			reply(w, 200, body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestDiscover(t *testing.T) {
	full := map[string]string{
		"/ServiceProviderConfig": `{"patch":{"supported":"true"},"bulk":{"supported":true,"maxOperations":1000,"maxPayloadSize":1048576},
			"filter":{"supported":true,"maxResults":"40"},"etag":{"supported":true},"sort":{"supported":false},
			"authenticationSchemes":[{"type":"oauthbearertoken","name":"OAuth Bearer Token"}]}`,
		"/ResourceTypes": `{"totalResults":2,"Resources":[
			{"name":"User","endpoint":"/Users","schema":"` + SchemaUser + `","schemaExtensions":[{"schema":"` + SchemaEnterpriseUser + `","required":false}]},
			{"name":"Group","endpoint":"/Groups","schema":"` + SchemaGroup + `"}]}`,
		"/Schemas": `[{"id":"` + SchemaUser + `"},{"id":"` + SchemaGroup + `"}]`,
	}
	tests := []struct {
		name  string
		pages map[string]string
		want  Discovery
		err   string
	}{
		{"everything", full, Discovery{
			HasServiceProviderConfig: true, HasResourceTypes: true, HasSchemas: true,
			Patch: true, ETag: true, Bulk: BulkSupport{true, 1000, 1048576}, Filter: FilterSupport{true, 40},
			AuthenticationSchemes: []string{"oauthbearertoken"},
			ResourceTypes: []ResourceType{
				{Name: "User", Endpoint: "/Users", Schema: SchemaUser, Extensions: []string{SchemaEnterpriseUser}},
				{Name: "Group", Endpoint: "/Groups", Schema: SchemaGroup}},
			Schemas:  []string{SchemaUser, SchemaGroup},
			PageSize: 40,
		}, ""},
		{"no ResourceTypes or Schemas", map[string]string{"/ServiceProviderConfig": `{"patch":{"supported":false},"filter":{"supported":false}}`, "/Schemas": "status 501"}, Discovery{
			HasServiceProviderConfig: true, PageSize: DefaultPageSize,
			Notes: []string{
				"ServiceProviderConfig: PATCH is not supported, so updates need ReplaceUser or ReplaceGroup",
				"ServiceProviderConfig: filtering is not supported; FindUser and FindGroup try anyway and check what comes back",
				"ResourceTypes: not served (404 Not Found)",
				"Schemas: not served (501 Not Implemented)"},
		}, ""},
		{"nothing", map[string]string{}, Discovery{
			Patch: true, Filter: FilterSupport{Supported: true}, PageSize: DefaultPageSize,
			Notes: []string{
				"ServiceProviderConfig: not served (404 Not Found)",
				"assuming PATCH and filters work, without ETags or Bulk",
				"ResourceTypes: not served (404 Not Found)",
				"Schemas: not served (404 Not Found)"},
		}, ""},
		{"unauthorized", map[string]string{"/ServiceProviderConfig": "status 401"}, Discovery{},
			"scim: GET /scim/v2/ServiceProviderConfig: 401 Unauthorized"},
		{"not JSON", map[string]string{"/ServiceProviderConfig": "<html><title>Sign in</title></html>"}, Discovery{},
			"scim: GET /scim/v2/ServiceProviderConfig: reading the response: invalid character '<' looking for beginning of value (it starts: Sign in)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := discoveryServer(t, tt.pages, "")
			c, err := New(Config{URL: srv.URL + "/scim/v2", Token: NewToken(testToken)})
			if err != nil {
				t.Fatal(err)
			}
			d, err := c.Discover(context.Background())
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("got  %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*d, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *d, tt.want)
			}
			if d2, _ := c.Discover(context.Background()); d2 != d || n.Load() != 3 {
				t.Errorf("not cached: %d requests", n.Load())
			}
		})
	}
}

func TestPatchUnsupported(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	s.spc = `{"patch":{"supported":false}}`
	c, _ := newClient(t, s, Config{})
	err := c.DeactivateUser(context.Background(), "u1")
	if !errors.Is(err, ErrUnsupported) || err.Error() != "scim: not supported by the server: PATCH /scim/v2/Users/u1: the ServiceProviderConfig says PATCH is not supported" {
		t.Errorf("err %v", err)
	}
	if len(s.requests()) != 0 {
		t.Errorf("sent %+v", s.requests())
	}
}

func TestConnectionTest(t *testing.T) {
	spc := map[string]string{"/ServiceProviderConfig": `{"patch":{"supported":true}}`}
	tests := []struct {
		name   string
		pages  map[string]string
		users  string
		status int
		err    string
	}{
		{"empty list", spc, `{"totalResults":0,"Resources":[]}`, 200, ""},
		{"404 tolerated", spc, "", 404, ""},
		{"filter ignored", spc, `{"totalResults":1,"Resources":[{"id":"1","userName":"someone"}]}`, 200,
			`scim: test: GET /scim/v2/Users?filter=userName eq "<uuid>" answered 1 users for a userName nobody has: the server does not apply filters`},
		{"wrong base URL", map[string]string{}, "", 404,
			"scim: test: every endpoint below <url> answers 404: is that the service's base URL (often …/scim/v2)?"},
		{"unauthorized", map[string]string{"/ServiceProviderConfig": "status 403"}, "", 0,
			"scim: GET /scim/v2/ServiceProviderConfig: 403 Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := discoveryServer(t, tt.pages, tt.users)
			var queries []string
			c, err := New(Config{URL: srv.URL + "/scim/v2", Token: NewToken(testToken), OnRequest: func(i RequestInfo) {
				if i.Path == "/scim/v2/Users" {
					queries = append(queries, i.Query)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Test(context.Background())
			if res == nil || res.URL != srv.URL+"/scim/v2" || res.FilterStatus != tt.status {
				t.Fatalf("result %+v", res)
			}
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), srv.URL+"/scim/v2", "<url>")
				if res.Filter != "" {
					got = strings.ReplaceAll(got, res.Filter, `userName eq "<uuid>"`)
				}
			}
			if got != tt.err {
				t.Errorf("got  %s\nwant %s", got, tt.err)
			}
			if tt.status != 0 && (len(queries) != 1 || !strings.HasPrefix(queries[0], "filter=userName%20eq%20%22") || len(res.Filter) != len(`userName eq ""`)+36) {
				t.Errorf("queries %v, filter %s", queries, res.Filter)
			}
		})
	}
}
