package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The exact bodies strict servers accept (DESIGN.md §5): lowercase ops,
// one operation per path, JSON booleans, enterprise attributes by URN.
func TestPatchUserDiffBody(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c, _ := newClient(t, s, Config{})
	have := &User{ID: "2819c223", UserName: "ann@main.com", ExternalID: "e-1", Active: boolp(true),
		Name: Name{GivenName: "Ann", FamilyName: "Lee"}, Enterprise: Enterprise{Department: "Sales", CostCenter: "4130"}}
	want := *have
	want.Active = boolp(false)
	want.Name.GivenName = "Anne"
	want.Enterprise.Department = "Research"

	if _, err := c.patch(context.Background(), userKind.path(have.ID), DiffUser(have, &want)); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	const body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` +
		`{"op":"replace","path":"active","value":false},` +
		`{"op":"replace","path":"name.givenName","value":"Anne"},` +
		`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Research"}]}`
	if r := reqs[0]; r.Method != "PATCH" || r.Path != "/Users/2819c223" || r.Body != body {
		t.Errorf("got %s %s\n%s\nwant PATCH /Users/2819c223\n%s", r.Method, r.Path, r.Body, body)
	}
}

func TestDiffUser(t *testing.T) {
	have := &User{UserName: "a@x", ExternalID: "1", Active: boolp(true), Name: Name{GivenName: "A", FamilyName: "B"},
		Emails:     []Email{{Value: "a@x", Type: "work", Primary: true}},
		Enterprise: Enterprise{Department: "D", EmployeeNumber: "7", Division: "V"}}
	tests := []struct {
		name string
		edit func(have, u *User)
		want string
	}{
		{"unchanged", func(_, u *User) {}, `null`},
		{"unmanaged active and emails", func(_, u *User) { u.Active, u.Emails = nil, nil }, `null`},
		{"emails in another order", func(have, u *User) {
			have.Emails = append(have.Emails, Email{Value: "b@x"})
			u.Emails = []Email{{Value: "b@x"}, {Value: "a@x", Type: "work", Primary: true}}
		}, `null`},
		{"empty userName is left alone", func(_, u *User) { u.UserName = "" }, `null`},
		{"add, replace, remove", func(_, u *User) {
			u.Name.FamilyName = ""
			u.Enterprise.CostCenter = "CC"
			u.Enterprise.EmployeeNumber = "8"
			u.Enterprise.Division = ""
		}, `[{"op":"remove","path":"name.familyName"},` +
			`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"8"},` +
			`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"CC"},` +
			`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division"}]`},
		{"identity and activation", func(_, u *User) { u.UserName, u.ExternalID, u.Active = "b@x", "2", boolp(false) },
			`[{"op":"replace","path":"userName","value":"b@x"},{"op":"replace","path":"externalId","value":"2"},` +
				`{"op":"replace","path":"active","value":false}]`},
		{"emails", func(_, u *User) { u.Emails = []Email{{Value: "n@x"}} },
			`[{"op":"replace","path":"emails","value":[{"value":"n@x"}]}]`},
		{"emails removed", func(_, u *User) { u.Emails = []Email{} }, `[{"op":"remove","path":"emails"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := *have
			have := &h
			want := *have
			want.Emails = append([]Email(nil), have.Emails...)
			tt.edit(have, &want)
			got, err := marshal(DiffUser(have, &want))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDeactivateAndRenameBodies(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"id":"x"}`) })
	c, _ := newClient(t, s, Config{})
	ctx := context.Background()
	if err := c.DeactivateUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if renamed, err := c.RenameGroup(ctx, &Group{ID: "g/1", DisplayName: "R&D"}, `R&D "West"`); err != nil || !renamed {
		t.Fatalf("RenameGroup = %v, %v; want true, nil", renamed, err)
	}
	want := []seen{
		{Method: "PATCH", Path: "/Users/u1", Body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`},
		{Method: "PATCH", Path: "/Groups/g/1", Body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"R&D \"West\""}]}`},
	}
	for i, r := range s.requests() {
		if r.Method != want[i].Method || r.Path != want[i].Path || r.Body != want[i].Body {
			t.Errorf("request %d: got %s %s %s\nwant %s %s %s", i, r.Method, r.Path, r.Body, want[i].Method, want[i].Path, want[i].Body)
		}
	}
}

func TestRemoveMembersBody(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c, _ := newClient(t, s, Config{})
	if err := c.sendRemoves(context.Background(), "g1", []string{"2819c223", `odd"id\`}); err != nil {
		t.Fatal(err)
	}
	const body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` +
		`{"op":"remove","path":"members[value eq \"2819c223\"]"},` +
		`{"op":"remove","path":"members[value eq \"odd\\\"id\\\\\"]"}]}`
	reqs := s.requests()
	if len(reqs) != 1 || reqs[0].Method != "PATCH" || reqs[0].Path != "/Groups/g1" || reqs[0].Body != body {
		t.Fatalf("got %+v\nwant one PATCH /Groups/g1 with\n%s", reqs, body)
	}
	// What the server decodes: the path holds a filter with a quoted, escaped value.
	var p struct{ Operations []map[string]any }
	json.Unmarshal([]byte(reqs[0].Body), &p)
	if got := p.Operations[1]["path"]; got != `members[value eq "odd\"id\\"]` {
		t.Errorf("decoded path %s", got)
	}
	if _, ok := p.Operations[0]["value"]; ok {
		t.Error("a remove carries a value")
	}
}

func TestMembersInChunks(t *testing.T) {
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%03d", i)
	}
	tests := []struct {
		name    string
		perReq  int
		call    func(c *Client) error
		opsWant []int // operations per request
		valWant []int // values per operation, add only
	}{
		{"add", 0, func(c *Client) error { return c.sendAdds(context.Background(), "g1", ids) }, []int{1, 1, 1}, []int{100, 100, 50}},
		{"remove", 0, func(c *Client) error { return c.sendRemoves(context.Background(), "g1", ids) }, []int{100, 100, 50}, nil},
		{"add by 120", 120, func(c *Client) error { return c.sendAdds(context.Background(), "g1", ids) }, []int{1, 1, 1}, []int{120, 120, 10}},
		{"none", 0, func(c *Client) error { return c.sendAdds(context.Background(), "g1", nil) }, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
			c, _ := newClient(t, s, Config{MembersPerPatch: tt.perReq})
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			reqs := s.requests()
			if len(reqs) != len(tt.opsWant) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tt.opsWant))
			}
			next := 0 // the member id expected next, so that order and completeness are checked
			for i, r := range reqs {
				var p patchRequest
				if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
					t.Fatal(err)
				}
				if len(p.Operations) != tt.opsWant[i] {
					t.Errorf("request %d: %d operations, want %d", i, len(p.Operations), tt.opsWant[i])
				}
				for _, op := range p.Operations {
					if tt.valWant == nil {
						if want := removeMember(ids[next]); op.Op != want.Op || op.Path != want.Path || op.Value != nil {
							t.Fatalf("request %d: %+v, want %+v", i, op, want)
						}
						next++
						continue
					}
					vals := op.Value.([]any)
					if op.Op != "add" || op.Path != "members" || len(vals) != tt.valWant[i] {
						t.Fatalf("request %d: op %s path %s with %d values, want add members with %d", i, op.Op, op.Path, len(vals), tt.valWant[i])
					}
					for _, v := range vals {
						if got := v.(map[string]any)["value"]; got != ids[next] {
							t.Fatalf("value %v, want %s", got, ids[next])
						}
						next++
					}
				}
			}
			if len(reqs) > 0 && next != len(ids) {
				t.Errorf("%d members sent, want %d", next, len(ids))
			}
		})
	}
}

func TestMembersChunkFailureSaysHowFar(t *testing.T) {
	n := 0
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 2 {
			reply(w, 400, `{"status":"400","scimType":"invalidValue","detail":"no such user u150"}`)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	c, _ := newClient(t, s, Config{})
	err := c.sendAdds(context.Background(), "g1", make([]string, 250))
	const want = "adding members 101-200 of 250, group g1: scim: PATCH /scim/v2/Groups/g1: 400 Bad Request (scimType invalidValue): no such user u150"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if len(s.requests()) != 2 {
		t.Errorf("%d requests after a failure, want 2", len(s.requests()))
	}
}

func TestFilterEscaping(t *testing.T) {
	if got, want := Eq("userName", `a"b\c`), `userName eq "a\"b\\c"`; got != want {
		t.Errorf("Eq = %s, want %s", got, want)
	}
	if got, want := Eq("displayName", "tab\there"), `displayName eq "tab\u0009here"`; got != want {
		t.Errorf("Eq = %s, want %s", got, want)
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"totalResults":1,"Resources":[{"id":"1","userName":"a\"b\\c"}]}`)
	})
	c, _ := newClient(t, s, Config{})
	u, err := c.FindUser(context.Background(), `a"b\c`)
	if err != nil || u.ID != "1" {
		t.Fatalf("FindUser = %+v, %v", u, err)
	}
	r := s.requests()[0]
	if want := `filter=userName%20eq%20%22a%5C%22b%5C%5Cc%22`; r.RawQuery != want {
		t.Errorf("query %s, want %s", r.RawQuery, want)
	}
	q, _ := url.ParseQuery(r.RawQuery)
	if got := q.Get("filter"); got != `userName eq "a\"b\\c"` {
		t.Errorf("decoded filter %s", got)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, status, body string
		want               string // id, or the error
	}{
		{"one", "200", `{"totalResults":1,"Resources":[{"id":"1","userName":"Ann@Main.com"}]}`, "1"},
		{"none", "200", `{"totalResults":0,"Resources":[]}`, `scim: not found: no user with userName "ann@main.com"`},
		{"404", "404", `{"status":"404"}`, `scim: not found: no user with userName "ann@main.com"`},
		{"filter ignored", "200", `{"totalResults":2,"Resources":[{"id":"1","userName":"bob"},{"id":"2","userName":"ann@main.com"}]}`, "2"},
		{"two", "200", `{"Resources":[{"id":"1","userName":"ann@main.com"},{"id":"2","userName":"ANN@main.com"}]}`, `scim: 2 users have userName "ann@main.com" (ids 1, 2)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				var code int
				fmt.Sscan(tt.status, &code)
				reply(w, code, tt.body)
			})
			c, _ := newClient(t, s, Config{})
			u, err := c.FindUser(context.Background(), "ann@main.com")
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = u.ID
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 201, `{"id":"9","userName":"a"}`) })
	c, _ := newClient(t, s, Config{UserAgent: "orgctl/1.2.3"})
	if _, _, err := c.CreateUser(context.Background(), &User{UserName: "a"}); err != nil {
		t.Fatal(err)
	}
	h := s.requests()[0].Header
	for k, want := range map[string]string{
		"Authorization": "Bearer " + testToken,
		"Content-Type":  "application/scim+json",
		"Accept":        "application/scim+json",
		"User-Agent":    "orgctl/1.2.3",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if got := s.requests()[0].Body; got != `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}` {
		t.Errorf("body %s", got)
	}
}

func TestCreateSendsNoIDOrMeta(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"id":"g1","displayName":"Eng"}`) })
	c, _ := newClient(t, s, Config{})
	g := &Group{ID: "old", DisplayName: "Eng", ExternalID: "x1", Members: []Member{{Value: "u1"}}, Meta: Meta{Version: `W/"1"`}}
	if _, _, err := c.CreateGroup(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReplaceGroup(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	const body = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"x1","displayName":"Eng","members":[{"value":"u1"}]}`
	for _, r := range s.requests() {
		if r.Body != body {
			t.Errorf("%s %s: %s\nwant %s", r.Method, r.Path, r.Body, body)
		}
		if r.Header.Get("If-Match") != "" {
			t.Errorf("If-Match sent to a server without ETags")
		}
	}
	if r := s.requests()[1]; r.Method != "PUT" || r.Path != "/Groups/old" {
		t.Errorf("replace went to %s %s", r.Method, r.Path)
	}
}

func TestReplaceSendsIfMatchWithETags(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"id":"u1","userName":"a"}`) })
	s.spc = strings.Replace(spcJSON, `"etag":{"supported":false}`, `"etag":{"supported":true}`, 1)
	c, _ := newClient(t, s, Config{})
	if _, err := c.ReplaceUser(context.Background(), &User{ID: "u1", UserName: "a", Meta: Meta{Version: `W/"3"`}}); err != nil {
		t.Fatal(err)
	}
	if got := s.requests()[0].Header.Get("If-Match"); got != `W/"3"` {
		t.Errorf("If-Match %q", got)
	}
}

// A server that answers a PATCH with 204 No Content: PatchUser reads the
// user back, so callers always get the resource.
func TestPatchUserReadsBackAfter204(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		reply(w, 200, `{"id":"u1","userName":"ann@main.com","active":false}`)
	})
	c, _ := newClient(t, s, Config{})
	u, err := c.PatchUser(context.Background(), "u1", []PatchOp{{Op: OpReplace, Path: "active", Value: false}})
	if err != nil || u == nil || u.ID != "u1" || u.Active == nil || *u.Active {
		t.Fatalf("PatchUser = %+v, %v; want u1, inactive", u, err)
	}
	var got []string
	for _, r := range s.requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	if want := []string{"PATCH /Users/u1", "GET /Users/u1"}; !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
}

// Every type printed as JSON has snake_case keys (DESIGN.md §2).
func TestJSONIsSnakeCase(t *testing.T) {
	d := &Discovery{Bulk: BulkSupport{Supported: true}, ResourceTypes: []ResourceType{{Name: "User", Extensions: []string{"x"}}},
		Schemas: []string{"s"}, AuthenticationSchemes: []string{"oauthbearertoken"}, Notes: []string{"n"}}
	for _, v := range []any{
		d,
		&TestResult{URL: "u", Discovery: d, Filter: "f", FilterStatus: 200, Duration: time.Second, Notes: []string{"n"}},
		&MemberChanges{Added: []string{"a"}, AlreadyMembers: []string{"b"}, Removed: []string{"c"}, NotMembers: []string{"d"}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range jsonKeys(m) {
			if !snakeRE.MatchString(k) {
				t.Errorf("%T: key %q is not snake_case in %s", v, k, b)
			}
		}
	}
	var r map[string]any
	b, _ := json.Marshal(TestResult{Duration: 1500 * time.Millisecond})
	if json.Unmarshal(b, &r); r["duration_ms"] != 1500.0 {
		t.Errorf("TestResult JSON %s: want duration_ms 1500", b)
	}
}

var snakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// jsonKeys returns every object key in v, at any depth.
func jsonKeys(v any) []string {
	var keys []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			keys = append(keys, k)
			keys = append(keys, jsonKeys(e)...)
		}
	case []any:
		for _, e := range v {
			keys = append(keys, jsonKeys(e)...)
		}
	}
	return keys
}
