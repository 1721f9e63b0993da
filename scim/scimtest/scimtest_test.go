package scimtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

func TestUserRoundTrip(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)

	created := c.do("POST", "/Users", user("Alice@Example.com",
		"externalId", "ext-1",
		"name", map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"emails", []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
		scimtest.SchemaEnterpriseUser, map[string]any{"department": "R&D", "employeeNumber": "42"},
	)).want(t, http.StatusCreated)
	if ct := created.header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	id, _ := created.body["id"].(string)
	if id == "" {
		t.Fatalf("no id in %s", created.raw)
	}
	loc := srv.URL + "/Users/" + id
	if got := created.header.Get("Location"); got != loc {
		t.Errorf("Location = %q, want %q", got, loc)
	}
	for key, want := range map[string]any{"location": loc, "resourceType": "User"} {
		if got := get(created.body, "meta", key); got != want {
			t.Errorf("meta.%s = %v, want %v", key, got, want)
		}
	}
	if c, m := get(created.body, "meta", "created"), get(created.body, "meta", "lastModified"); c == nil || c != m {
		t.Errorf("meta.created = %v, meta.lastModified = %v: want both, equal", c, m)
	}
	if got := created.body["active"]; got != true {
		t.Errorf("active = %v, want the default true", got)
	}
	if got := created.body["schemas"]; !equalJSON(got, []string{scimtest.SchemaUser, scimtest.SchemaEnterpriseUser}) {
		t.Errorf("schemas = %v", got)
	}
	if got := get(created.body, scimtest.SchemaEnterpriseUser, "department"); got != "R&D" {
		t.Errorf("department = %v", got)
	}

	got := c.do("GET", "/Users/"+id, nil).want(t, http.StatusOK)
	if !equalJSON(got.body, created.body) {
		t.Errorf("GET gives\n%s\nPOST gave\n%s", got.raw, created.raw)
	}

	put := user("alice@example.com", "active", false, "name", map[string]any{"givenName": "Al"})
	put["id"] = "ignored"
	replaced := c.do("PUT", "/Users/"+id, put).want(t, http.StatusOK)
	if replaced.body["id"] != id || get(replaced.body, "meta", "created") != get(created.body, "meta", "created") {
		t.Errorf("PUT changed id or meta.created: %s", replaced.raw)
	}
	if replaced.body["externalId"] != nil || replaced.body["emails"] != nil || replaced.body[scimtest.SchemaEnterpriseUser] != nil {
		t.Errorf("PUT kept attributes it did not send: %s", replaced.raw)
	}
	if replaced.body["active"] != false || get(replaced.body, "name", "givenName") != "Al" {
		t.Errorf("PUT did not replace: %s", replaced.raw)
	}

	c.do("DELETE", "/Users/"+id, nil).want(t, http.StatusNoContent)
	c.do("GET", "/Users/"+id, nil).wantError(t, http.StatusNotFound, "")
	c.do("DELETE", "/Users/"+id, nil).wantError(t, http.StatusNotFound, "")
	c.do("PUT", "/Users/"+id, put).wantError(t, http.StatusNotFound, "")
	if n := len(srv.Users()); n != 0 {
		t.Errorf("%d users left after DELETE", n)
	}
}

func TestGroupRoundTrip(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	u1 := srv.AddUser(map[string]any{"userName": "u1"})
	u2 := srv.AddUser(map[string]any{"userName": "u2"})

	g := c.do("POST", "/Groups", group("Staff", u1, u2, u1)).want(t, http.StatusCreated)
	gid := g.body["id"].(string)
	want := []any{
		map[string]any{"value": u1, "type": "User", "$ref": srv.URL + "/Users/" + u1},
		map[string]any{"value": u2, "type": "User", "$ref": srv.URL + "/Users/" + u2},
	}
	if !equalJSON(g.body["members"], want) {
		t.Errorf("members = %v, want %v (repeats dropped)", g.body["members"], want)
	}
	if got := get(c.do("GET", "/Users/"+u1, nil).body, "groups", 0, "display"); got != "Staff" {
		t.Errorf("the member's groups has display %v, want Staff", got)
	}

	c.do("POST", "/Groups", group("Bad", "no-such-id")).wantError(t, http.StatusBadRequest, "invalidValue")
	c.do("POST", "/Groups", group("Staff")).want(t, http.StatusCreated) // displayName need not be unique

	c.do("DELETE", "/Users/"+u1, nil).want(t, http.StatusNoContent)
	got := c.do("GET", "/Groups/"+gid, nil).want(t, http.StatusOK)
	if !equalJSON(got.body["members"], want[1:]) {
		t.Errorf("after deleting u1, members = %v", got.body["members"])
	}
	c.do("DELETE", "/Groups/"+gid, nil).want(t, http.StatusNoContent)
	if got := c.do("GET", "/Users/"+u2, nil).body["groups"]; got != nil {
		t.Errorf("after deleting the group, u2 has groups %v", got)
	}
}

func TestUniqueUserName(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	c.do("POST", "/Users", user("bob@example.com")).want(t, http.StatusCreated)
	c.do("POST", "/Users", user("BOB@example.COM")).wantError(t, http.StatusConflict, "uniqueness")
	other := c.do("POST", "/Users", user("carol@example.com")).want(t, http.StatusCreated).body["id"].(string)
	c.do("PUT", "/Users/"+other, user("Bob@Example.com")).wantError(t, http.StatusConflict, "uniqueness")
	c.do("PATCH", "/Users/"+other, patchBody(op("replace", "userName", "bob@EXAMPLE.com"))).wantError(t, http.StatusConflict, "uniqueness")
	// A user may change the case of its own userName.
	c.do("PUT", "/Users/"+other, user("Carol@example.com")).want(t, http.StatusOK)
}

func TestBadRequests(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	id := srv.AddUser(map[string]any{"userName": "x"})
	tests := []struct {
		name, method, path string
		body               any
		status             int
		scimType           string
	}{
		{"malformed JSON", "POST", "/Users", `{"schemas":[`, 400, "invalidSyntax"},
		{"trailing data", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"y"} {}`, 400, "invalidSyntax"},
		{"not an object", "POST", "/Users", `[]`, 400, "invalidSyntax"},
		{"no schemas", "POST", "/Users", map[string]any{"userName": "y"}, 400, "invalidValue"},
		{"group schema for a user", "POST", "/Users", map[string]any{"schemas": []string{scimtest.SchemaGroup}, "userName": "y"}, 400, "invalidValue"},
		{"no userName", "POST", "/Users", user(""), 400, "invalidValue"},
		{"unknown attribute", "POST", "/Users", user("y", "department", "Sales"), 400, "invalidSyntax"},
		{"unknown sub-attribute", "POST", "/Users", user("y", "name", map[string]any{"first": "Y"}), 400, "invalidSyntax"},
		{"string boolean", "POST", "/Users", user("y", "active", "true"), 400, "invalidValue"},
		{"single value for multi-valued", "POST", "/Users", user("y", "emails", map[string]any{"value": "y@example.com"}), 400, "invalidValue"},
		{"two primaries", "POST", "/Users", user("y", "emails", []any{map[string]any{"value": "a", "primary": true}, map[string]any{"value": "b", "primary": true}}), 400, "invalidValue"},
		{"number for string", "POST", "/Users", user("y", "title", 7), 400, "invalidValue"},
		{"same attribute twice", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"y","USERNAME":"z"}`, 400, "invalidSyntax"},
		{"group without displayName", "POST", "/Groups", map[string]any{"schemas": []string{scimtest.SchemaGroup}}, 400, "invalidValue"},
		{"bad startIndex", "GET", "/Users?startIndex=x", nil, 400, "invalidValue"},
		{"unknown attribute in attributes", "GET", "/Users/" + id + "?attributes=nosuch", nil, 400, "invalidValue"},
		{"unknown endpoint", "GET", "/Accounts", nil, 404, ""},
		{"outside the base path", "GET", "/../Users", nil, 404, ""},
		{"method", "DELETE", "/Users", nil, 405, ""},
		{"bulk", "POST", "/Bulk", `{}`, 501, ""},
		{"filter on discovery", "GET", "/Schemas?filter=" + "id%20pr", nil, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.do(tt.method, tt.path, tt.body).wantError(t, tt.status, tt.scimType)
		})
	}

	t.Run("content type", func(t *testing.T) {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
			req, _ := http.NewRequest("POST", srv.URL+"/Users", strings.NewReader(`{}`))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			if got := statusOf(t, srv, req); got != http.StatusUnsupportedMediaType {
				t.Errorf("Content-Type %q: status %d, want 415", ct, got)
			}
		}
		req, _ := http.NewRequest("POST", srv.URL+"/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"json"}`))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if got := statusOf(t, srv, req); got != http.StatusCreated {
			t.Errorf("application/json: status %d, want 201", got)
		}
	})

	t.Run("allow header", func(t *testing.T) {
		r := c.do("POST", "/Users/"+id, `{}`)
		r.wantError(t, 405, "")
		if got := r.header.Get("Allow"); got != "GET, PUT, PATCH, DELETE" {
			t.Errorf("Allow = %q", got)
		}
	})
}

// TestCanonicalNames: attribute names ignore case (RFC 7643 §2.1) and come
// back spelled as the schema spells them.
func TestCanonicalNames(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	r := c.do("POST", "/Users", `{"SCHEMAS":["urn:ietf:params:scim:schemas:core:2.0:user","URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER"],
		"USERNAME":"caps","Name":{"GIVENNAME":"C"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"Department":"D"}}`).want(t, http.StatusCreated)
	want := map[string]any{
		"userName":                    "caps",
		"name":                        map[string]any{"givenName": "C"},
		"schemas":                     []string{scimtest.SchemaUser, scimtest.SchemaEnterpriseUser},
		scimtest.SchemaEnterpriseUser: map[string]any{"department": "D"},
	}
	for k, v := range want {
		if !equalJSON(r.body[k], v) {
			t.Errorf("%s = %v, want %v", k, r.body[k], v)
		}
	}
}

func TestFilters(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	tricky := `quo"te\back`
	for _, u := range []map[string]any{
		{"userName": "Alice@example.com", "externalId": "A1", "displayName": "Alice", "active": true,
			"emails":                      []any{map[string]any{"value": "alice@work.example", "type": "work"}, map[string]any{"value": "alice@home.example", "type": "home"}},
			scimtest.SchemaEnterpriseUser: map[string]any{"department": "Sales"}},
		{"userName": "bob@example.com", "externalId": "a1", "displayName": "Bob", "active": false,
			"emails": []any{map[string]any{"value": "bob@home.example", "type": "home"}}},
		{"userName": "carol@other.example", "name": map[string]any{"givenName": "Carol"}},
		{"userName": tricky},
	} {
		srv.AddUser(u)
	}
	bobID := c.do("GET", "/Users"+filterQuery(`userName eq "bob@example.com"`), nil).body["Resources"].([]any)[0].(map[string]any)["id"].(string)

	tests := []struct {
		filter string
		want   []string
	}{
		{`userName eq "ALICE@EXAMPLE.COM"`, []string{"Alice@example.com"}}, // caseExact false
		{`userName EQ "bob@example.com"`, []string{"bob@example.com"}},     // operators ignore case
		{`USERNAME eq "bob@example.com"`, []string{"bob@example.com"}},     // so do attribute names
		{`userName eq "nobody"`, nil},
		{`userName eq ` + quote(tricky), []string{tricky}},
		{`userName eq "quo\u0022te\\back"`, []string{tricky}},
		{`externalId eq "A1"`, []string{"Alice@example.com"}}, // caseExact true
		{`externalId eq "a1"`, []string{"bob@example.com"}},
		{`displayName eq "bob"`, []string{"bob@example.com"}},
		{`id eq "` + bobID + `"`, []string{"bob@example.com"}},
		{`id eq "` + strings.ToUpper(bobID) + `"`, nil},
		{`emails.value eq "BOB@home.example"`, []string{"bob@example.com"}},
		{`emails co "@work."`, []string{"Alice@example.com"}},
		{`emails[type eq "home" and value sw "alice"]`, []string{"Alice@example.com"}},
		{`emails[type eq "work"]`, []string{"Alice@example.com"}},
		{`active eq true`, []string{"Alice@example.com", "carol@other.example", tricky}},
		{`active eq false`, []string{"bob@example.com"}},
		{`active ne false`, []string{"Alice@example.com", "carol@other.example", tricky}},
		{`userName sw "a" or userName ew ".EXAMPLE"`, []string{"Alice@example.com", "carol@other.example"}},
		{`userName co "example" and active eq true`, []string{"Alice@example.com", "carol@other.example"}},
		{`userName co "@" and (displayName eq "Bob" or name.givenName pr)`, []string{"bob@example.com", "carol@other.example"}},
		{`not (userName co "@")`, []string{tricky}},
		{`externalId pr`, []string{"Alice@example.com", "bob@example.com"}},
		{`name.givenName pr and not(externalId pr)`, []string{"carol@other.example"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"`, []string{"Alice@example.com"}},
		{`meta.resourceType eq "User" and userName gt "c"`, []string{"carol@other.example", tricky}},
		{`meta.created gt "2000-01-01T00:00:00Z"`, []string{"Alice@example.com", "bob@example.com", "carol@other.example", tricky}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			r := c.do("GET", "/Users"+filterQuery(tt.filter), nil).want(t, http.StatusOK)
			if got := userNames(r.body); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got := r.body["totalResults"]; got != json.Number(fmt.Sprint(len(tt.want))) {
				t.Errorf("totalResults = %v", got)
			}
		})
	}

	for _, bad := range []string{
		`userName eq`,
		`userName eq "unterminated`,
		`userName eq "bad \x escape"`,
		`userName xx "a"`,
		`nosuch eq "a"`,
		`name.nosuch eq "a"`,
		`active eq "true"`, // booleans take boolean literals
		`active gt true`,
		`userName eq true`,
		`userName eq unquoted`,
		`name eq "a"`, // complex without value
		`(userName eq "a"`,
		`userName eq "a")`,
		`userName eq "a" and`,
		`not userName eq "a"`,
		`emails[type eq "work"`,
		`emails[nosuch eq "a"]`,
		`userName[value eq "a"]`,
		`emails[type eq "work"].value eq "a"`,
		strings.Repeat("(", 40) + `userName pr` + strings.Repeat(")", 40),
	} {
		t.Run("bad/"+bad, func(t *testing.T) {
			c.do("GET", "/Users"+filterQuery(bad), nil).wantError(t, http.StatusBadRequest, "invalidFilter")
		})
	}
}

func TestGroupFilters(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	u := srv.AddUser(map[string]any{"userName": "u"})
	srv.AddGroup(map[string]any{"displayName": "Admins", "externalId": "G-1", "members": []any{map[string]any{"value": u}}})
	srv.AddGroup(map[string]any{"displayName": "Users"})
	for f, want := range map[string]int{
		`displayName eq "admins"`:       1,
		`externalId eq "G-1"`:           1,
		`externalId eq "g-1"`:           0,
		`members.value eq "` + u + `"`:  1,
		`members[value eq "` + u + `"]`: 1,
		`members pr`:                    1,
		`not (members pr)`:              1,
	} {
		r := c.do("GET", "/Groups"+filterQuery(f), nil).want(t, http.StatusOK)
		if got := len(r.body["Resources"].([]any)); got != want {
			t.Errorf("%s: %d groups, want %d", f, got, want)
		}
	}
	// A user's computed groups can be filtered on too.
	r := c.do("GET", "/Users"+filterQuery(`groups.display eq "Admins"`), nil).want(t, http.StatusOK)
	if got := userNames(r.body); !slices.Equal(got, []string{"u"}) {
		t.Errorf("groups.display filter: %q", got)
	}
}

func TestNotFoundOnEmptyFilter(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{NotFoundOnEmptyFilter: true})
	c := newClient(t, srv)
	srv.AddUser(map[string]any{"userName": "here"})
	c.do("GET", "/Users"+filterQuery(`userName eq "gone"`), nil).wantError(t, http.StatusNotFound, "")
	c.do("GET", "/Users"+filterQuery(`userName eq "here"`), nil).want(t, http.StatusOK)
	c.do("GET", "/Users", nil).want(t, http.StatusOK)

	srv.SetOptions(scimtest.Options{})
	r := c.do("GET", "/Users"+filterQuery(`userName eq "gone"`), nil).want(t, http.StatusOK)
	if got := r.body["Resources"]; !equalJSON(got, []any{}) || r.body["totalResults"] != json.Number("0") {
		t.Errorf("an empty list should have Resources [] and totalResults 0: %s", r.raw)
	}
}

func TestProjection(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	id := srv.AddUser(map[string]any{
		"userName": "p", "displayName": "P", "name": map[string]any{"givenName": "G", "familyName": "F"},
		"emails":                      []any{map[string]any{"value": "p@example.com", "type": "work"}},
		scimtest.SchemaEnterpriseUser: map[string]any{"department": "D", "division": "V"},
		"password":                    "secret",
	})
	tests := []struct{ query, want string }{
		{"attributes=userName", `{"id":"ID","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p"}`},
		{"attributes=name.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
			`{"emails":[{"value":"p@example.com"}],"id":"ID","name":{"givenName":"G"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}`},
		{"excludedAttributes=name,emails,meta,active,id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			`{"displayName":"P","id":"ID","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p"}`},
	}
	for _, tt := range tests {
		got := c.do("GET", "/Users/"+id+"?"+tt.query, nil).want(t, http.StatusOK)
		want := strings.ReplaceAll(tt.want, "ID", id)
		if b, _ := json.Marshal(got.body); string(b) != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.query, b, want)
		}
	}
	if got := c.do("GET", "/Users/"+id, nil).body["password"]; got != nil {
		t.Errorf("password returned: %v", got)
	}
}

func TestDiscovery(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{MaxCount: 50})
	c := newClient(t, srv)
	spc := c.do("GET", "/ServiceProviderConfig", nil).want(t, http.StatusOK).body
	for path, want := range map[string]any{
		"patch.supported":            true,
		"bulk.supported":             false,
		"bulk.maxOperations":         json.Number("0"),
		"filter.supported":           true,
		"filter.maxResults":          json.Number("50"),
		"etag.supported":             false,
		"sort.supported":             false,
		"authenticationSchemes.type": "oauthbearertoken",
	} {
		a, b, _ := strings.Cut(path, ".")
		v := spc[a]
		if l, ok := v.([]any); ok {
			v = l[0]
		}
		if got := get(v, b); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}

	rts := c.do("GET", "/ResourceTypes", nil).want(t, http.StatusOK).body
	if n := rts["totalResults"]; n != json.Number("2") {
		t.Errorf("%v resource types", n)
	}
	rt := c.do("GET", "/ResourceTypes/User", nil).want(t, http.StatusOK).body
	if rt["endpoint"] != "/Users" || get(rt, "schemaExtensions", 0, "schema") != scimtest.SchemaEnterpriseUser {
		t.Errorf("User resource type: %v", rt)
	}

	all := c.do("GET", "/Schemas", nil).want(t, http.StatusOK).body
	var ids []string
	for _, s := range all["Resources"].([]any) {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	if want := []string{scimtest.SchemaUser, scimtest.SchemaEnterpriseUser, scimtest.SchemaGroup}; !slices.Equal(ids, want) {
		t.Errorf("schemas %q, want %q", ids, want)
	}
	us := c.do("GET", "/Schemas/"+scimtest.SchemaUser, nil).want(t, http.StatusOK).body
	for _, a := range us["attributes"].([]any) {
		a := a.(map[string]any)
		if a["name"] != "userName" {
			continue
		}
		want := map[string]any{"type": "string", "multiValued": false, "caseExact": false, "required": true, "mutability": "readWrite", "returned": "default", "uniqueness": "server"}
		for k, v := range want {
			if a[k] != v {
				t.Errorf("userName %s = %v, want %v", k, a[k], v)
			}
		}
	}
	c.do("GET", "/Schemas/urn:nosuch", nil).wantError(t, http.StatusNotFound, "")
	c.do("GET", "/ResourceTypes/Device", nil).wantError(t, http.StatusNotFound, "")
}

// TestHandler mounts the handler in a server of one's own, as the sandbox
// does: locations follow the Host the client used.
func TestHandler(t *testing.T) {
	h := scimtest.NewHandler(scimtest.Options{})
	mux := http.NewServeMux()
	mux.Handle(scimtest.BasePath+"/", h)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c := &client{t: t, base: ts.URL + scimtest.BasePath, hc: ts.Client()}
	r := c.do("POST", "/Users", user("h")).want(t, http.StatusCreated)
	if want := ts.URL + "/scim/v2/Users/" + r.body["id"].(string); r.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", r.header.Get("Location"), want)
	}
	if got := get(h.Users()[0], "meta", "location"); got != "/scim/v2/Users/"+r.body["id"].(string) {
		t.Errorf("snapshot location %v", got)
	}
	if n := len(h.Requests()); n != 1 {
		t.Errorf("%d requests logged", n)
	}
}

func TestAddUserPanics(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	srv.AddUser(map[string]any{"userName": "one", "id": "fixed-id"})
	for _, u := range []map[string]any{
		{"userName": "ONE"},
		{"userName": "two", "id": "fixed-id"},
		{"displayName": "no userName"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddUser(%v) did not panic", u)
				}
			}()
			srv.AddUser(u)
		}()
	}
	if got := srv.Users()[0]["id"]; got != "fixed-id" {
		t.Errorf("id %v, want the seeded one", got)
	}
}
