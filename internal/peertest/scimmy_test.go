package peertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	scimUserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimEnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	scimPatchOpSchema    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	scimErrorSchema      = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// scimResource holds the attributes of a User or Group that the tests look at.
type scimResource struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id"`
	ExternalID  string   `json:"externalId,omitempty"`
	UserName    string   `json:"userName,omitempty"`
	DisplayName string   `json:"displayName,omitempty"`
	Active      *bool    `json:"active,omitempty"`
	Name        *struct {
		GivenName  string `json:"givenName,omitempty"`
		FamilyName string `json:"familyName,omitempty"`
	} `json:"name,omitempty"`
	Enterprise *struct {
		Department string `json:"department"`
	} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Members []scimMember `json:"members,omitempty"`
	Meta    struct {
		ResourceType string `json:"resourceType"`
		Created      string `json:"created"`
		LastModified string `json:"lastModified"`
		Location     string `json:"location"`
	} `json:"meta"`
}

type scimMember struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Ref     string `json:"$ref,omitempty"`
	Type    string `json:"type,omitempty"`
}

type scimList struct {
	TotalResults int            `json:"totalResults"`
	StartIndex   int            `json:"startIndex"`
	ItemsPerPage int            `json:"itemsPerPage"`
	Resources    []scimResource `json:"Resources"`
}

type scimError struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType"`
	Detail   string   `json:"detail"`
}

// scimSend sends one request with the given bearer token (none when empty) and returns the response
// with its body read.
func scimSend(t *testing.T, s *SCIMMY, token, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, data
}

// scimCall sends one authenticated request, fails the test unless the status is want, and decodes
// the body into out when out is not nil.
func scimCall(t *testing.T, s *SCIMMY, method, path string, body any, want int, out any) {
	t.Helper()
	resp, data := scimSend(t, s, s.Token, method, path, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
}

func scimCreateUser(t *testing.T, s *SCIMMY, u scimResource) scimResource {
	t.Helper()
	resp, data := scimSend(t, s, s.Token, http.MethodPost, "/Users", u)
	var got scimResource
	if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusCreated || got.ID == "" {
		t.Fatalf("POST /Users %q: status %d, want 201 with an id\n%s", u.UserName, resp.StatusCode, data)
	}
	if loc := resp.Header.Get("Location"); loc != got.Meta.Location || loc != s.URL+"/Users/"+got.ID {
		t.Errorf("POST /Users %q: Location %q and meta.location %q, want both %s/Users/%s", u.UserName, loc, got.Meta.Location, s.URL, got.ID)
	}
	return got
}

// scimList asks for the users that match filter, with further query parameters such as "count=100".
func scimFind(t *testing.T, s *SCIMMY, filter string, params ...string) scimList {
	t.Helper()
	q := append([]string{"filter=" + url.QueryEscape(filter)}, params...)
	var l scimList
	scimCall(t, s, http.MethodGet, "/Users?"+strings.Join(q, "&"), nil, http.StatusOK, &l)
	return l
}

// scimQuote returns v as a SCIM filter string literal: a JSON string (RFC 7644 §3.4.2.2).
func scimQuote(v string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func scimPatch(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{scimPatchOpSchema}, "Operations": ops}
}

func TestSCIMMYDiscovery(t *testing.T) {
	s := StartSCIMMY(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || !strings.HasSuffix(s.URL, "/scim/v2") {
		t.Errorf("URL = %q, want http://127.0.0.1:PORT/scim/v2", s.URL)
	}

	var spc struct {
		Patch  struct{ Supported bool }
		Bulk   struct{ Supported bool }
		Filter struct {
			Supported  bool
			MaxResults int
		}
		Etag                  struct{ Supported bool }
		AuthenticationSchemes []struct{ Type string }
	}
	scimCall(t, s, http.MethodGet, "/ServiceProviderConfig", nil, http.StatusOK, &spc)
	if !spc.Patch.Supported || !spc.Filter.Supported || spc.Filter.MaxResults != 200 || !spc.Bulk.Supported || spc.Etag.Supported {
		t.Errorf("ServiceProviderConfig = %+v, want patch, filter (maxResults 200) and bulk, no etag", spc)
	}
	if len(spc.AuthenticationSchemes) != 1 || spc.AuthenticationSchemes[0].Type != "oauthbearertoken" {
		t.Errorf("authenticationSchemes = %+v, want one oauthbearertoken", spc.AuthenticationSchemes)
	}

	var types struct {
		Resources []struct {
			Name             string
			Endpoint         string
			SchemaExtensions []struct{ Schema string }
		}
	}
	scimCall(t, s, http.MethodGet, "/ResourceTypes", nil, http.StatusOK, &types)
	var got []string
	for _, r := range types.Resources {
		got = append(got, r.Name+" "+r.Endpoint)
		if r.Name == "User" && (len(r.SchemaExtensions) != 1 || r.SchemaExtensions[0].Schema != scimEnterpriseSchema) {
			t.Errorf("User schemaExtensions = %+v, want the enterprise extension", r.SchemaExtensions)
		}
	}
	if want := []string{"User /Users", "Group /Groups"}; !slices.Equal(got, want) {
		t.Errorf("ResourceTypes = %q, want %q", got, want)
	}

	var schemas struct{ Resources []struct{ ID string } }
	scimCall(t, s, http.MethodGet, "/Schemas", nil, http.StatusOK, &schemas)
	var ids []string
	for _, r := range schemas.Resources {
		ids = append(ids, r.ID)
	}
	if !slices.Contains(ids, scimUserSchema) || !slices.Contains(ids, scimEnterpriseSchema) {
		t.Errorf("Schemas = %q, want the User and enterprise User schemas", ids)
	}
}

func TestSCIMMYUnauthorized(t *testing.T) {
	s := StartSCIMMY(t)
	for _, token := range []string{"", "wrong-" + s.Token} {
		resp, data := scimSend(t, s, token, http.MethodGet, "/Users", nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token %q: status %d, want 401\n%s", token, resp.StatusCode, data)
		}
		var e scimError
		if err := json.Unmarshal(data, &e); err != nil || !slices.Contains(e.Schemas, scimErrorSchema) || e.Status != "401" {
			t.Errorf("token %q: body %s, want a SCIM error with status \"401\"", token, data)
		}
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("token %q: WWW-Authenticate = %q, want a Bearer challenge", token, got)
		}
	}
}

func TestSCIMMYUserLifecycle(t *testing.T) {
	s := StartSCIMMY(t)
	u := scimResource{
		Schemas:  []string{scimUserSchema, scimEnterpriseSchema},
		UserName: "ada@example.test",
		Enterprise: &struct {
			Department string `json:"department"`
		}{Department: "Engineering"},
	}
	created := scimCreateUser(t, s, u)
	if created.Meta.Created == "" || created.Meta.LastModified == "" || created.Meta.ResourceType != "User" {
		t.Errorf("meta = %+v, want resourceType User, created and lastModified", created.Meta)
	}

	var got scimResource
	scimCall(t, s, http.MethodGet, "/Users/"+created.ID, nil, http.StatusOK, &got)
	if got.UserName != u.UserName || got.Enterprise == nil || got.Enterprise.Department != "Engineering" {
		t.Errorf("GET /Users/%s = %+v, want userName %s with department Engineering", created.ID, got, u.UserName)
	}

	// A JSON boolean is what RFC 7643 asks for.
	scimCall(t, s, http.MethodPatch, "/Users/"+created.ID,
		scimPatch(map[string]any{"op": "replace", "path": "active", "value": false}), http.StatusOK, &got)
	if got.Active == nil || *got.Active {
		t.Errorf("after PATCH active false: active = %v, want false", got.Active)
	}
	// Observed: scimmy rejects the string "False" that some clients send, with 400 invalidValue
	// ("Attribute 'active' expected value type 'boolean' but found type 'string'").
	var e scimError
	scimCall(t, s, http.MethodPatch, "/Users/"+created.ID,
		scimPatch(map[string]any{"op": "replace", "path": "active", "value": "False"}), http.StatusBadRequest, &e)
	if e.ScimType != "invalidValue" {
		t.Errorf("PATCH active \"False\": scimType %q, want invalidValue", e.ScimType)
	}
	scimCall(t, s, http.MethodGet, "/Users/"+created.ID, nil, http.StatusOK, &got)
	if got.Active == nil || *got.Active {
		t.Errorf("GET after the PATCHes: active = %v, want false", got.Active)
	}

	scimCall(t, s, http.MethodDelete, "/Users/"+created.ID, nil, http.StatusNoContent, nil)
	scimCall(t, s, http.MethodGet, "/Users/"+created.ID, nil, http.StatusNotFound, nil)
	scimCall(t, s, http.MethodDelete, "/Users/"+created.ID, nil, http.StatusNotFound, nil)
}

func TestSCIMMYFilter(t *testing.T) {
	s := StartSCIMMY(t)
	alice := scimCreateUser(t, s, scimResource{
		Schemas:     []string{scimUserSchema, scimEnterpriseSchema},
		UserName:    "Alice@Example.test",
		ExternalID:  "ext-1",
		DisplayName: "Alice Liddell",
		Name: &struct {
			GivenName  string `json:"givenName,omitempty"`
			FamilyName string `json:"familyName,omitempty"`
		}{GivenName: "Alice", FamilyName: "Liddell"},
		Enterprise: &struct {
			Department string `json:"department"`
		}{Department: "Sales"},
	})
	// Quotes, a backslash and brackets inside string literals; no name and no enterprise part.
	odd := scimCreateUser(t, s, scimResource{UserName: `o"brien\x@example.test`, DisplayName: `O"Brien (x]`})

	tests := []struct {
		filter string
		want   []string // userNames, in creation order
	}{
		{`userName eq "alice@EXAMPLE.test"`, []string{alice.UserName}},
		{`USERNAME Eq "alice@example.test"`, []string{alice.UserName}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@example.test"`, []string{alice.UserName}},
		{`externalId eq "ext-1"`, []string{alice.UserName}},
		{`externalId eq "EXT-1"`, nil}, // caseExact (RFC 7643 §3.1)
		{`displayName eq "alice liddell"`, []string{alice.UserName}},
		{`id eq ` + scimQuote(odd.ID), []string{odd.UserName}},
		{`userName eq ` + scimQuote(`O"BRIEN\X@example.test`), []string{odd.UserName}},
		{`displayName eq ` + scimQuote(odd.DisplayName), []string{odd.UserName}},
		{`(displayName eq ` + scimQuote(`O"Brien (x]`) + `)`, []string{odd.UserName}},
		{`userName eq "\u0041lice@example.test"`, []string{alice.UserName}},
		{`name.familyName eq "liddell"`, []string{alice.UserName}}, // odd has no name at all
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"`, []string{alice.UserName}},
		{`userName sw "o\"" or externalId eq "ext-1"`, []string{alice.UserName, odd.UserName}},
		{`userName eq "nobody@example.test"`, nil},
	}
	for _, tt := range tests {
		l := scimFind(t, s, tt.filter)
		var got []string
		for _, r := range l.Resources {
			got = append(got, r.UserName)
		}
		if !slices.Equal(got, tt.want) || l.TotalResults != len(tt.want) {
			t.Errorf("filter %s: got %q (totalResults %d), want %q", tt.filter, got, l.TotalResults, tt.want)
		}
	}

	// The same filter language in the body of a POST /Users/.search.
	var l scimList
	scimCall(t, s, http.MethodPost, "/Users/.search", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":  `userName eq ` + scimQuote(`O"BRIEN\X@example.test`),
	}, http.StatusOK, &l)
	if len(l.Resources) != 1 || l.Resources[0].ID != odd.ID {
		t.Errorf("POST /Users/.search: %+v, want %s", l.Resources, odd.UserName)
	}
}

func TestSCIMMYUniqueness(t *testing.T) {
	s := StartSCIMMY(t)
	scimCreateUser(t, s, scimResource{UserName: "grace@example.test"})
	other := scimCreateUser(t, s, scimResource{UserName: "other@example.test"})

	var e scimError
	scimCall(t, s, http.MethodPost, "/Users", scimResource{UserName: "GRACE@example.test"}, http.StatusConflict, &e)
	if e.ScimType != "uniqueness" || e.Status != "409" {
		t.Errorf("duplicate POST: %+v, want status \"409\" and scimType uniqueness", e)
	}
	scimCall(t, s, http.MethodPatch, "/Users/"+other.ID,
		scimPatch(map[string]any{"op": "replace", "path": "userName", "value": "Grace@Example.test"}), http.StatusConflict, nil)
	// Changing the case of one's own userName is no conflict.
	scimCall(t, s, http.MethodPut, "/Users/"+other.ID, scimResource{UserName: "OTHER@example.test"}, http.StatusOK, nil)

	if l := scimFind(t, s, `userName eq "grace@example.test"`); l.TotalResults != 1 {
		t.Errorf("after the conflicts: %d users named grace@example.test, want 1", l.TotalResults)
	}
}

func TestSCIMMYPaging(t *testing.T) {
	s := StartSCIMMY(t)
	const n = 250
	scimCreateUser(t, s, scimResource{UserName: "outside@example.test"}) // not matched by the filter
	for i := range n {
		scimCreateUser(t, s, scimResource{UserName: fmt.Sprintf("page-%03d@example.test", i)})
	}

	seen := map[string]bool{}
	var sizes []int
	for start := 1; start <= n; start += 100 {
		l := scimFind(t, s, `userName sw "PAGE-"`, fmt.Sprintf("startIndex=%d", start), "count=100")
		if l.TotalResults != n || l.StartIndex != start || l.ItemsPerPage != len(l.Resources) {
			t.Errorf("startIndex=%d: totalResults %d, startIndex %d, itemsPerPage %d for %d resources; want %d, %d, and itemsPerPage the number of resources",
				start, l.TotalResults, l.StartIndex, l.ItemsPerPage, len(l.Resources), n, start)
		}
		for i, r := range l.Resources {
			// Creation order: the page starting at start holds page-(start-1) onwards.
			if want := fmt.Sprintf("page-%03d@example.test", start-1+i); r.UserName != want {
				t.Errorf("startIndex=%d, item %d: %s, want %s", start, i, r.UserName, want)
			}
			if seen[r.ID] {
				t.Errorf("startIndex=%d: %s seen on an earlier page", start, r.UserName)
			}
			seen[r.ID] = true
		}
		sizes = append(sizes, len(l.Resources))
	}
	if want := []int{100, 100, 50}; !slices.Equal(sizes, want) || len(seen) != n {
		t.Errorf("pages of %v with %d distinct users, want %v with %d", sizes, len(seen), want, n)
	}

	// Past the end: an empty page (scimmy itself would start over at the first resource).
	if l := scimFind(t, s, `userName sw "page-"`, "startIndex=251", "count=100"); len(l.Resources) != 0 || l.TotalResults != n {
		t.Errorf("startIndex=251: %d resources, totalResults %d; want none of %d", len(l.Resources), l.TotalResults, n)
	}
	// count above filter.maxResults gets maxResults.
	if l := scimFind(t, s, `userName sw "page-"`, "count=1000"); len(l.Resources) != 200 {
		t.Errorf("count=1000: %d resources, want maxResults (200)", len(l.Resources))
	}
}

func TestSCIMMYGroupMembers(t *testing.T) {
	s := StartSCIMMY(t)
	var ids []string
	for _, name := range []string{"m1", "m2", "m3"} {
		ids = append(ids, scimCreateUser(t, s, scimResource{UserName: name + "@example.test", DisplayName: `Member "` + name + `"`}).ID)
	}
	members := func(g scimResource) []string {
		var v []string
		for _, m := range g.Members {
			v = append(v, m.Value)
		}
		slices.Sort(v)
		return v
	}
	sorted := func(v ...string) []string { return slices.Sorted(slices.Values(v)) }

	var g scimResource
	scimCall(t, s, http.MethodPost, "/Groups", map[string]any{
		"displayName": "Team",
		"members":     []map[string]string{{"value": ids[0]}, {"value": ids[1]}, {"value": ids[2]}},
	}, http.StatusCreated, &g)
	if got := members(g); !slices.Equal(got, sorted(ids...)) {
		t.Fatalf("created group: members %q, want %q", got, sorted(ids...))
	}
	if m := g.Members[0]; m.Type != "User" || m.Ref != s.URL+"/Users/"+m.Value || !strings.HasPrefix(m.Display, "Member ") {
		t.Errorf("member %+v, want type User, $ref and display", m)
	}

	scimCall(t, s, http.MethodPatch, "/Groups/"+g.ID, scimPatch(map[string]any{
		"op": "remove", "path": `members[value eq ` + scimQuote(ids[1]) + `]`,
	}), http.StatusOK, &g)
	if got, want := members(g), sorted(ids[0], ids[2]); !slices.Equal(got, want) {
		t.Errorf("after removing %s: members %q, want %q", ids[1], got, want)
	}

	scimCall(t, s, http.MethodPatch, "/Groups/"+g.ID, scimPatch(map[string]any{
		"op": "add", "path": "members", "value": []map[string]string{{"value": ids[1]}},
	}), http.StatusOK, &g)
	if got := members(g); !slices.Equal(got, sorted(ids...)) {
		t.Errorf("after adding %s: members %q, want %q", ids[1], got, sorted(ids...))
	}
	// Adding a member that is there already changes nothing.
	scimCall(t, s, http.MethodPatch, "/Groups/"+g.ID, scimPatch(map[string]any{
		"op": "add", "path": "members", "value": []map[string]string{{"value": ids[1]}},
	}), http.StatusNoContent, nil)

	scimCall(t, s, http.MethodDelete, "/Users/"+ids[0], nil, http.StatusNoContent, nil)
	scimCall(t, s, http.MethodGet, "/Groups/"+g.ID, nil, http.StatusOK, &g)
	if got, want := members(g), sorted(ids[1], ids[2]); !slices.Equal(got, want) {
		t.Errorf("after deleting user %s: members %q, want %q", ids[0], got, want)
	}

	scimCall(t, s, http.MethodDelete, "/Groups/"+g.ID, nil, http.StatusNoContent, nil)
	scimCall(t, s, http.MethodGet, "/Groups/"+g.ID, nil, http.StatusNotFound, nil)
}

func TestSCIMMYStop(t *testing.T) {
	s := StartSCIMMY(t)
	s.Stop(t)
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(s.URL + "/ServiceProviderConfig"); err == nil {
		resp.Body.Close()
		t.Errorf("after Stop: GET answered %s, want no answer", resp.Status)
	}
	s.Stop(t)
}

// TestSCIMMYRetriesTakenPort hands StartSCIMMY a port that is taken first: node exits with
// EADDRINUSE and the service starts again on another port. Not parallel: it replaces pickPort.
func TestSCIMMYRetriesTakenPort(t *testing.T) {
	taken, handed := takenPortFirst(t)

	s := StartSCIMMY(t)
	if *handed != 2 || strings.Contains(s.URL, fmt.Sprintf(":%d/", taken)) {
		t.Errorf("%d ports handed out and URL %s, want 2 and not port %d", *handed, s.URL, taken)
	}
	scimCall(t, s, http.MethodGet, "/ServiceProviderConfig", nil, http.StatusOK, nil)
}
