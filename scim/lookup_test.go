package scim_test

// Finding users and groups by what people call them, and the writes that
// must not happen twice (EnsureGroup, EnsureUser, RenameGroup), against
// the in-process server with strict PATCH.

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

const lookupToken = "lookup-t0ken"

// strictServer starts the in-process server with strict PATCH and a
// client of it.
func strictServer(t *testing.T) (*scimtest.Server, *scim.Client) {
	t.Helper()
	srv := scimtest.Start(t, scimtest.Options{Token: lookupToken})
	c, err := scim.New(scim.Config{URL: srv.URL, Token: scim.NewToken(lookupToken)})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// writes are the requests that change something, as "METHOD path".
func writes(srv *scimtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func TestResolveUser(t *testing.T) {
	srv, c := strictServer(t)
	srv.AddUser(map[string]any{"id": "u1", "userName": "alice@main.test", "externalId": "ext-a"})
	srv.AddUser(map[string]any{"id": "u2", "userName": "bob@main.test", "externalId": "u1x"})
	tests := []struct {
		ref    string
		wantID string
		want   error // errors.Is
	}{
		{"u1", "u1", nil},
		{"alice@main.test", "u1", nil},
		{"ALICE@Main.test", "u1", nil}, // userName is not case-sensitive
		{"ext-a", "u1", nil},
		{"u1x", "u2", nil},
		{"EXT-A", "", scim.ErrNotFound}, // externalId is case-exact
		{"nobody", "", scim.ErrNotFound},
		{"", "", scim.ErrInvalid},
	}
	for _, tt := range tests {
		u, err := c.ResolveUser(t.Context(), tt.ref)
		switch {
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("ResolveUser(%q) = %v, %v; want %v", tt.ref, u, err, tt.want)
		case tt.want == nil && (err != nil || u.ID != tt.wantID):
			t.Errorf("ResolveUser(%q) = %v, %v; want user %s", tt.ref, u, err, tt.wantID)
		}
	}
}

func TestResolveGroup(t *testing.T) {
	srv, c := strictServer(t)
	srv.AddUser(map[string]any{"id": "u1", "userName": "alice@main.test"})
	srv.AddGroup(map[string]any{"id": "g1", "displayName": "Engineering", "externalId": "eng", "members": []any{map[string]any{"value": "u1"}}})
	srv.AddGroup(map[string]any{"id": "g2", "displayName": "Sales"})
	srv.AddGroup(map[string]any{"id": "g3", "displayName": "sales"})
	tests := []struct {
		ref    string
		wantID string
		want   error
	}{
		{"g1", "g1", nil},
		{"engineering", "g1", nil},
		{"eng", "g1", nil},
		{"nope", "", scim.ErrNotFound},
		{"", "", scim.ErrInvalid},
	}
	for _, tt := range tests {
		g, err := c.ResolveGroup(t.Context(), tt.ref)
		switch {
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("ResolveGroup(%q) = %v, %v; want %v", tt.ref, g, err, tt.want)
		case tt.want == nil && (err != nil || g.ID != tt.wantID):
			t.Errorf("ResolveGroup(%q) = %v, %v; want group %s", tt.ref, g, err, tt.wantID)
		}
	}

	// Two groups hold the name (without regard to case): the caller must
	// use an id.
	_, err := c.ResolveGroup(t.Context(), "SALES")
	var amb *scim.AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("ResolveGroup(SALES) = %v; want an *AmbiguousError", err)
	}
	if got := slices.Sorted(slices.Values(amb.Matches)); !slices.Equal(got, []string{"g2", "g3"}) || amb.Kind != "group" || amb.Attr != "displayName" {
		t.Errorf("AmbiguousError = %+v; want group displayName matches g2, g3", amb)
	}
	if _, err := c.ResolveGroup(t.Context(), "g2"); err != nil {
		t.Errorf("ResolveGroup(g2) by id: %v", err)
	}
}

// EnsureGroup run twice makes one group: the second run finds it (by
// displayName without regard to case, or by externalId) and sends no POST.
func TestEnsureGroupTwice(t *testing.T) {
	srv, c := strictServer(t)
	g1, adopted, err := c.EnsureGroup(t.Context(), &scim.Group{DisplayName: "Engineering"})
	if err != nil || adopted {
		t.Fatalf("first EnsureGroup = %v, adopted %v, %v; want a created group", g1, adopted, err)
	}
	srv.ResetLog()
	g2, adopted, err := c.EnsureGroup(t.Context(), &scim.Group{DisplayName: "Engineering"})
	if err != nil || !adopted || g2.ID != g1.ID {
		t.Fatalf("second EnsureGroup = %v, adopted %v, %v; want group %s adopted", g2, adopted, err, g1.ID)
	}
	if w := writes(srv); w != nil {
		t.Errorf("second EnsureGroup sent %q; want no write", w)
	}

	// By externalId: a group renamed elsewhere is found and renamed back;
	// one PATCH, no POST.
	srv.AddGroup(map[string]any{"id": "g-ops", "displayName": "Ops (old)", "externalId": "ops-1"})
	srv.ResetLog()
	g, adopted, err := c.EnsureGroup(t.Context(), &scim.Group{DisplayName: "Ops", ExternalID: "ops-1"})
	if err != nil || !adopted || g.ID != "g-ops" || g.DisplayName != "Ops" {
		t.Fatalf("EnsureGroup(Ops, ops-1) = %+v, adopted %v, %v; want g-ops adopted and renamed", g, adopted, err)
	}
	if w, want := writes(srv), []string{"PATCH " + scimtest.BasePath + "/Groups/g-ops"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q", w, want)
	}
	if n := len(srv.Groups()); n != 2 {
		t.Errorf("%d groups at the server, want 2", n)
	}
}

func TestRenameGroupToItsOwnName(t *testing.T) {
	srv, c := strictServer(t)
	srv.AddGroup(map[string]any{"id": "g1", "displayName": "Eng"})
	g, err := c.GetGroup(t.Context(), "g1")
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetLog()
	for _, tc := range []struct {
		name    string
		renamed bool
		writes  int
	}{
		{"Eng", false, 0},
		{"eng", true, 1}, // a change of case is a rename
		{"eng", false, 1},
	} {
		renamed, err := c.RenameGroup(t.Context(), g, tc.name)
		if err != nil || renamed != tc.renamed || len(writes(srv)) != tc.writes {
			t.Errorf("RenameGroup(%s) = %v, %v after %d writes; want %v after %d", tc.name, renamed, err, len(writes(srv)), tc.renamed, tc.writes)
		}
	}
}

// EnsureUser adopts an existing user and applies what it was given,
// keeping the rest and the userName's spelling at the server.
func TestEnsureUserAdoptsAndUpdates(t *testing.T) {
	srv, c := strictServer(t)
	srv.AddUser(map[string]any{"id": "u1", "userName": "alice@main.test", "name": map[string]any{"givenName": "Alice"},
		scimtest.SchemaEnterpriseUser: map[string]any{"department": "Research"}})
	u, adopted, err := c.EnsureUser(t.Context(), &scim.User{UserName: "ALICE@main.test",
		Enterprise: scim.Enterprise{EmployeeNumber: "42"}})
	if err != nil || !adopted {
		t.Fatalf("EnsureUser = %v, adopted %v, %v; want adopted", u, adopted, err)
	}
	if u.ID != "u1" || u.UserName != "alice@main.test" || u.Name.GivenName != "Alice" ||
		u.Enterprise.Department != "Research" || u.Enterprise.EmployeeNumber != "42" {
		t.Errorf("got %+v; want u1 alice@main.test, Alice, Research, employee 42", u)
	}
	// Again: nothing left to change, so only the POST (409) is written.
	srv.ResetLog()
	if _, _, err := c.EnsureUser(t.Context(), &scim.User{UserName: "alice@main.test", Enterprise: scim.Enterprise{EmployeeNumber: "42"}}); err != nil {
		t.Fatal(err)
	}
	if w, want := writes(srv), []string{"POST " + scimtest.BasePath + "/Users"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q", w, want)
	}
}

// PatchUser returns the user also from a server that answers 204 (it
// reads it back), and an empty diff writes nothing.
func TestPatchUserReturnsTheUser(t *testing.T) {
	srv, c := strictServer(t)
	srv.AddUser(map[string]any{"id": "u1", "userName": "alice@main.test", "emails": []any{map[string]any{"value": "a@main.test", "type": "work"}}})
	have, err := c.GetUser(t.Context(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	want := *have
	want.Emails = []scim.Email{} // removes them
	u, err := c.PatchUser(t.Context(), "u1", scim.DiffUser(have, &want))
	if err != nil || u == nil || u.ID != "u1" || len(u.Emails) != 0 {
		t.Fatalf("PatchUser = %+v, %v; want u1 without emails", u, err)
	}
	srv.ResetLog()
	if u, err := c.PatchUser(t.Context(), "u1", nil); err != nil || u.ID != "u1" || writes(srv) != nil {
		t.Errorf("PatchUser without ops = %v, %v, writes %q; want u1, no write", u, err, writes(srv))
	}
}
