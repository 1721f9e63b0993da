package main

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

const scimToken = "test-t0ken-9f8e7d"

// scimEnv serves an in-process SCIM service with three users and returns
// the environment that points orgctl at it.
func scimEnv(t *testing.T, opts scimtest.Options) (*scimtest.Server, map[string]string) {
	t.Helper()
	opts.Token = scimToken
	srv := scimtest.Start(t, opts)
	for _, u := range []map[string]any{
		{"id": "u1", "userName": "alice@main.test", "name": map[string]any{"givenName": "Alice", "familyName": "Liddell"},
			scimtest.SchemaEnterpriseUser: map[string]any{"department": "Research"}},
		{"id": "u2", "userName": "bob@main.test", "active": false},
		{"id": "u3", "userName": "carol@main.test", "externalId": "c-3"},
	} {
		srv.AddUser(u)
	}
	return srv, map[string]string{"XDG_STATE_HOME": t.TempDir(), "ORGCTL_SCIM_URL": srv.URL, "ORGCTL_SCIM_TOKEN": scimToken}
}

func TestSCIMUsersListOutput(t *testing.T) {
	_, env := scimEnv(t, scimtest.Options{})
	tests := []struct {
		name string
		tty  bool
		args []string
		want string
	}{
		{"tty table", true, nil, "" +
			"ID  USERNAME         ACTIVE  NAME           EXTERNAL ID  DEPARTMENT\n" +
			"u1  alice@main.test  true    Alice Liddell  -            Research\n" +
			"u2  bob@main.test    false   -              -            -\n" +
			"u3  carol@main.test  true    -              c-3          -\n"},
		{"piped tsv", false, nil, "" +
			"u1\talice@main.test\ttrue\tAlice Liddell\t-\tResearch\n" +
			"u2\tbob@main.test\tfalse\t-\t-\t-\n" +
			"u3\tcarol@main.test\ttrue\t-\tc-3\t-\n"},
		{"filtered", false, []string{"--filter", `userName eq "BOB@main.test"`}, "u2\tbob@main.test\tfalse\t-\t-\t-\n"},
		{"quiet", false, []string{"-q"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.tty, env, append([]string{"scim", "users", "list"}, tt.args...)...)
			if code != 0 || stdout != tt.want || stderr != "" {
				t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, tt.want, stderr)
			}
		})
	}
}

func TestSCIMJSONOutput(t *testing.T) {
	_, env := scimEnv(t, scimtest.Options{})
	code, stdout, _ := runCmd(t, false, env, "scim", "users", "list", "-o", "jsonl")
	if code != 0 || strings.Count(stdout, "\n") != 3 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	code, stdout, _ = runCmd(t, false, env, "scim", "users", "get", "alice@main.test", "-o", "json")
	var u struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
		Schemas  []string
		Ent      struct {
			Department string `json:"department"`
		} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	}
	if err := json.Unmarshal([]byte(stdout), &u); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, stdout)
	}
	if u.ID != "u1" || u.UserName != "alice@main.test" || u.Ent.Department != "Research" || len(u.Schemas) != 2 {
		t.Errorf("got %+v", u)
	}
}

// TestSCIMUpdateSendsMinimalPatch pins the request body `users update`
// sends: only the attributes given, lowercase ops, a JSON boolean, the
// enterprise attribute by its URN path.
func TestSCIMUpdateSendsMinimalPatch(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	code, stdout, stderr := runCmd(t, false, env, "scim", "users", "update", "u1", "--department", "Mathematics", "--active=false", "--given-name", "Alice")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if want := "updated user alice@main.test: replace active, replace department\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	var patches []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPatch {
			patches = append(patches, string(r.Body))
		}
	}
	want := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` +
		`{"op":"replace","path":"active","value":false},` +
		`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Mathematics"}]}`
	if len(patches) != 1 || patches[0] != want {
		t.Errorf("PATCH bodies %q\nwant %q", patches, want)
	}
}

func TestSCIMExitCodes(t *testing.T) {
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403","detail":"token lacks the scope"}`))
	}))
	t.Cleanup(forbidden.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/scim/v2"
	ln.Close()

	_, env := scimEnv(t, scimtest.Options{})
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range env {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"403 is an authentication failure", with("ORGCTL_SCIM_URL", forbidden.URL+"/scim/v2"), []string{"users", "list"}, 4, "token lacks the scope"},
		{"no token", with("ORGCTL_SCIM_TOKEN", ""), []string{"users", "list"}, 4, "no bearer token"},
		{"service down", with("ORGCTL_SCIM_URL", down), []string{"users", "list"}, 1, "hint: check --url"},
		{"http to a remote host", with("ORGCTL_SCIM_URL", "http://scim.example.com/scim/v2"), []string{"test"}, 2, "scim.example.com"},
		{"unknown user", env, []string{"users", "get", "nobody"}, 1, `no user with id, userName or externalId "nobody"`},
		{"unknown group", env, []string{"groups", "add-members", "Nope", "u1"}, 1, `no group with id, displayName or externalId "Nope"`},
		{"add-members needs users", env, []string{"groups", "add-members", "Nope"}, 2, "needs a group and at least one user"},
		{"create needs a userName", env, []string{"users", "create"}, 2, "needs --user-name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, false, tt.env, append([]string{"scim"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, want %d; stderr %q, want it to contain %q", code, tt.code, stderr, tt.stderr)
			}
			if strings.Contains(stderr, scimToken) {
				t.Errorf("the token is in stderr: %q", stderr)
			}
		})
	}
}

// TestSCIMUpdateTouchesOnlyGivenAttributes: a user without "active" at
// the service is not made active by an update of another attribute, and
// global flags are not attributes.
func TestSCIMUpdateTouchesOnlyGivenAttributes(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	code, _, stderr := runCmd(t, false, env, "scim", "users", "update", "u3", "-o", "json")
	if code != 2 || !strings.Contains(stderr, "needs at least one attribute") {
		t.Errorf("global flags only: exit %d, %s", code, stderr)
	}
	srv.ResetLog()
	code, stdout, stderr := runCmd(t, false, env, "scim", "users", "update", "carol@main.test", "--division", "North")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPatch && (strings.Contains(string(r.Body), `"active"`) || !strings.Contains(string(r.Body), "division")) {
			t.Errorf("PATCH body %s", r.Body)
		}
	}
}

// patches returns the bodies of the PATCH requests the server received.
func patches(srv *scimtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPatch {
			out = append(out, string(r.Body))
		}
	}
	return out
}

// Empty and ambiguous SCIM arguments are usage errors (exit 2) that say
// to use the id.
func TestSCIMEmptyAndAmbiguousArgs(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	srv.AddGroup(map[string]any{"id": "g1", "displayName": "Sales"})
	srv.AddGroup(map[string]any{"id": "g2", "displayName": "sales"})
	srv.AddGroup(map[string]any{"id": "g3", "displayName": "Eng"})
	tests := []struct {
		args   []string
		stderr []string
	}{
		{[]string{"groups", "create", ""}, []string{"empty", "NAME"}},
		{[]string{"users", "get", ""}, []string{"empty", "USER", "hint:", "id"}},
		{[]string{"users", "delete", ""}, []string{"empty", "USER"}},
		{[]string{"groups", "get", ""}, []string{"empty", "GROUP"}},
		{[]string{"groups", "rename", "Eng", ""}, []string{"empty", "NEW-NAME"}},
		{[]string{"groups", "add-members", "Eng", ""}, []string{"empty", "USER"}},
		{[]string{"groups", "get", "SALES"}, []string{`2 groups have displayName "SALES"`, "hint:", "g1", "g2"}},
		{[]string{"groups", "delete", "sales"}, []string{"2 groups", "hint:", "id"}},
		{[]string{"users", "update", "u1", "--user-name", ""}, []string{"userName"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			srv.ResetLog()
			code, _, stderr := runCmd(t, false, env, append([]string{"scim"}, tt.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr %q does not say %q", stderr, s)
				}
			}
			for _, r := range srv.Requests() {
				if r.Method != http.MethodGet {
					t.Errorf("sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
	if n := len(srv.Groups()); n != 3 {
		t.Errorf("%d groups after the failed commands, want 3", n)
	}
}

// Strings from the server are escaped in text output: a display name
// holding an escape sequence cannot clear the screen.
func TestSCIMTextEscapesServerStrings(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	srv.AddUser(map[string]any{"id": "u9", "userName": "eve@main.test", "name": map[string]any{"givenName": "Eve\x1b[2J", "familyName": "X"},
		scimtest.SchemaEnterpriseUser: map[string]any{"department": "R&D\x07"}})
	srv.AddGroup(map[string]any{"id": "g9", "displayName": "Evil\x1b]0;pwned\x07", "members": []any{map[string]any{"value": "u9", "display": "E\x1b[1m"}}})
	for _, args := range [][]string{
		{"users", "get", "u9"},
		{"users", "list"},
		{"groups", "get", "g9"},
		{"groups", "list"},
		{"groups", "rename", "g9", "Fine"},
	} {
		code, stdout, stderr := runCmd(t, true, env, append([]string{"scim"}, args...)...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", args, code, stderr)
		}
		if strings.ContainsAny(stdout, "\x1b\x07") {
			t.Errorf("%s: stdout holds raw control characters: %q", args, stdout)
		}
		if !strings.Contains(stdout, `\x1b`) && !strings.Contains(stdout, `\a`) {
			t.Errorf("%s: stdout %q shows no escaped control character", args, stdout)
		}
	}
}

// users update --email ” removes the address, as its help says.
func TestSCIMUpdateEmptyEmailRemovesIt(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	srv.AddUser(map[string]any{"id": "u7", "userName": "dan@main.test", "emails": []any{map[string]any{"value": "dan@main.test", "type": "work"}}})
	code, stdout, stderr := runCmd(t, false, env, "scim", "users", "update", "dan@main.test", "--email", "")
	if want := "updated user dan@main.test: remove emails\n"; code != 0 || stdout != want {
		t.Errorf("exit %d, stdout %q, want %q; stderr %s", code, stdout, want, stderr)
	}
	for _, u := range srv.Users() {
		if u["id"] == "u7" && u["emails"] != nil {
			t.Errorf("user u7 still has emails %v", u["emails"])
		}
	}
}

// groups create NAME twice makes one group; the second run says it found it.
func TestSCIMGroupsCreateTwice(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	for i, want := range []string{"created group Engineering", "adopted existing group Engineering"} {
		code, stdout, stderr := runCmd(t, false, env, "scim", "groups", "create", "Engineering", "--member", "alice@main.test")
		if code != 0 || !strings.HasPrefix(stdout, want) {
			t.Errorf("run %d: exit %d, stdout %q, want it to start %q; stderr %s", i+1, code, stdout, want, stderr)
		}
	}
	if n := len(srv.Groups()); n != 1 {
		t.Errorf("%d groups after two creates, want 1", n)
	}
	// The name in another case is the same group.
	code, stdout, _ := runCmd(t, false, env, "scim", "groups", "create", "engineering")
	if n := len(srv.Groups()); code != 0 || n != 1 {
		t.Errorf("create of the name in another case: exit %d, %d groups, want 1: %s", code, n, stdout)
	}
}

// add-members and remove-members say what really happened, and send
// nothing for someone already a member (or not a member).
func TestSCIMMembersSayWhatHappened(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	srv.AddGroup(map[string]any{"id": "g1", "displayName": "Eng", "members": []any{map[string]any{"value": "u1"}}})
	tests := []struct {
		args    []string
		stdout  string
		patches int
	}{
		{[]string{"add-members", "Eng", "alice@main.test"}, "alice@main.test is already a member of group Eng\n", 0},
		{[]string{"add-members", "Eng", "alice@main.test", "bob@main.test"},
			"added bob@main.test to group Eng\nalice@main.test is already a member of group Eng\n", 1},
		{[]string{"remove-members", "Eng", "carol@main.test"}, "carol@main.test is not a member of group Eng\n", 0},
		{[]string{"remove-members", "Eng", "u2", "carol@main.test"},
			"removed bob@main.test from group Eng\ncarol@main.test is not a member of group Eng\n", 1},
	}
	for _, tt := range tests {
		srv.ResetLog()
		code, stdout, stderr := runCmd(t, false, env, append([]string{"scim", "groups"}, tt.args...)...)
		if code != 0 || stdout != tt.stdout {
			t.Errorf("%s: exit %d, stdout %q, want %q; stderr %s", tt.args, code, stdout, tt.stdout, stderr)
		}
		if got := patches(srv); len(got) != tt.patches {
			t.Errorf("%s: PATCH bodies %q, want %d", tt.args, got, tt.patches)
		}
	}
}

// Renaming a group to the name it has sends no write.
func TestSCIMRenameToItsOwnName(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	srv.AddGroup(map[string]any{"id": "g1", "displayName": "Eng"})
	code, stdout, stderr := runCmd(t, false, env, "scim", "groups", "rename", "g1", "Eng")
	if want := "group Eng already has that name; nothing sent\n"; code != 0 || stdout != want {
		t.Errorf("exit %d, stdout %q, want %q; stderr %s", code, stdout, want, stderr)
	}
	if p := patches(srv); p != nil {
		t.Errorf("sent %q", p)
	}
}

// scim test -o json is snake_case, the discovery object included.
func TestSCIMTestJSONIsSnakeCase(t *testing.T) {
	_, env := scimEnv(t, scimtest.Options{})
	code, stdout, stderr := runCmd(t, false, env, "scim", "test", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"has_service_provider_config": true`, `"max_results"`, `"resource_types"`, `"duration_ms"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
	}
	for _, bad := range []string{"HasServiceProviderConfig", "MaxResults", `"Name"`} {
		if strings.Contains(stdout, bad) {
			t.Errorf("stdout holds %s:\n%s", bad, stdout)
		}
	}
}

// A URL without a scheme says what is missing.
func TestSCIMURLWithoutScheme(t *testing.T) {
	_, env := scimEnv(t, scimtest.Options{})
	code, _, stderr := runCmd(t, false, env, "scim", "test", "--url", "127.0.0.1:8080/scim/v2")
	if code != 2 || !strings.Contains(stderr, "add https://") {
		t.Errorf("exit %d, stderr %q; want 2 and a word about https://", code, stderr)
	}
}

// parseSCIM runs cmd with args and no network: its runF captures the
// options. It returns the exit code the error maps to.
func parseSCIM(t *testing.T, cmd *cobra.Command, args ...string) int {
	t.Helper()
	io, _, _, _ := testIO(false)
	cmd.SetArgs(args)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return exitCode(cmd.ExecuteContext(context.Background()))
}

func TestSCIMUsersUpdateFlags(t *testing.T) {
	no := false
	tests := []struct {
		args  []string
		code  int
		user  string
		attrs userAttrs
	}{
		{[]string{"alice", "--department", "R", "--email", ""}, 0, "alice", userAttrs{Values: map[string]string{"department": "R", "email": ""}}},
		{[]string{"u1", "--active=false", "--cost-center", ""}, 0, "u1", userAttrs{Values: map[string]string{"cost-center": ""}, Active: &no}},
		{[]string{"u1"}, 2, "", userAttrs{}},                          // nothing to change
		{[]string{"", "--division", "N"}, 2, "", userAttrs{}},         // empty USER
		{[]string{"u1", "--user-name", ""}, 2, "", userAttrs{}},       // userName cannot be removed
		{[]string{"u1", "u2", "--division", "N"}, 2, "", userAttrs{}}, // one USER
	}
	for _, tt := range tests {
		var got *usersUpdateOptions
		cmd := newSCIMUsersUpdateCmd(newFactory(nil, nil), &scimOptions{}, func(_ context.Context, o *usersUpdateOptions) error { got = o; return nil })
		code := parseSCIM(t, cmd, tt.args...)
		if code != tt.code {
			t.Errorf("%q: exit %d, want %d", tt.args, code, tt.code)
			continue
		}
		if tt.code != 0 {
			if got != nil {
				t.Errorf("%q: ran with %+v", tt.args, got)
			}
			continue
		}
		if got.User != tt.user || !maps.Equal(got.Attrs.Values, tt.attrs.Values) || (got.Attrs.Active == nil) != (tt.attrs.Active == nil) ||
			(got.Attrs.Active != nil && *got.Attrs.Active != *tt.attrs.Active) {
			t.Errorf("%q: got %s %+v, want %s %+v", tt.args, got.User, got.Attrs, tt.user, tt.attrs)
		}
	}
}

// apply turns the flags into attributes: an empty --email removes every
// address, an empty string attribute clears it.
func TestUserAttrsApply(t *testing.T) {
	u := &scim.User{UserName: "a", Emails: []scim.Email{{Value: "a@x"}}, Enterprise: scim.Enterprise{Department: "R"}}
	userAttrs{Values: map[string]string{"email": "", "department": "", "given-name": "Al"}}.apply(u)
	if u.Emails == nil || len(u.Emails) != 0 || u.Enterprise.Department != "" || u.Name.GivenName != "Al" || u.UserName != "a" {
		t.Errorf("got %+v; want no emails (non-nil), no department, givenName Al", u)
	}
}

func TestSCIMUsersCreateFlags(t *testing.T) {
	var got *usersCreateOptions
	cmd := newSCIMUsersCreateCmd(newFactory(nil, nil), &scimOptions{}, func(_ context.Context, o *usersCreateOptions) error { got = o; return nil })
	if code := parseSCIM(t, cmd, "--user-name", "a@main.test", "--given-name", "A"); code != 0 || got == nil {
		t.Fatalf("exit %d", code)
	}
	if want := map[string]string{"user-name": "a@main.test", "given-name": "A"}; !maps.Equal(got.Attrs.Values, want) || got.Attrs.Active == nil || !*got.Attrs.Active {
		t.Errorf("got %+v, want %v and active", got.Attrs, want)
	}
	got = nil
	if code := parseSCIM(t, newSCIMUsersCreateCmd(newFactory(nil, nil), &scimOptions{}, func(_ context.Context, o *usersCreateOptions) error { got = o; return nil }),
		"--user-name", ""); code != 2 || got != nil {
		t.Errorf("--user-name '': exit %d, ran %v; want 2, not run", code, got != nil)
	}
}

func TestSCIMGroupsFlags(t *testing.T) {
	f, conn := newFactory(nil, nil), &scimOptions{}
	var create *groupsCreateOptions
	code := parseSCIM(t, newSCIMGroupsCreateCmd(f, conn, func(_ context.Context, o *groupsCreateOptions) error { create = o; return nil }),
		"Eng", "--external-id", "e1", "--member", "a", "--member", "b,c")
	if code != 0 || create.Name != "Eng" || create.ExternalID != "e1" || !slices.Equal(create.Members, []string{"a", "b", "c"}) {
		t.Errorf("groups create: exit %d, %+v", code, create)
	}
	var members *groupMembersOptions
	code = parseSCIM(t, newSCIMGroupMembersCmd(f, conn, "remove-members", "", func(_ context.Context, o *groupMembersOptions) error { members = o; return nil }),
		"Eng", "a", "b")
	if code != 0 || !members.Remove || members.Group != "Eng" || !slices.Equal(members.Users, []string{"a", "b"}) {
		t.Errorf("groups remove-members: exit %d, %+v", code, members)
	}
	var rename *groupsRenameOptions
	code = parseSCIM(t, newSCIMGroupsRenameCmd(f, conn, func(_ context.Context, o *groupsRenameOptions) error { rename = o; return nil }), "Eng", "Engineering")
	if code != 0 || rename.Group != "Eng" || rename.NewName != "Engineering" {
		t.Errorf("groups rename: exit %d, %+v", code, rename)
	}
	for _, args := range [][]string{{"", "x"}, {"Eng", ""}, {"Eng"}} {
		ran := false
		cmd := newSCIMGroupsRenameCmd(f, conn, func(context.Context, *groupsRenameOptions) error { ran = true; return nil })
		if code := parseSCIM(t, cmd, args...); code != 2 || ran {
			t.Errorf("groups rename %q: exit %d, ran %v; want 2, not run", args, code, ran)
		}
	}
}

// A userName or group name that is only white space or holds a control
// character is a usage error that names the flag or argument and shows
// the value escaped; nothing is sent.
func TestSCIMBadNames(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	srv.AddGroup(map[string]any{"id": "g1", "displayName": "Eng"})
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"users", "create", "--user-name", " "}, `--user-name " ": is only white space`},
		{[]string{"users", "create", "--user-name", "a\x07b@main.test"}, `--user-name "a\ab@main.test": holds a control character (U+0007)`},
		{[]string{"users", "create", "--user-name", "a@main.test\u0085"}, `--user-name "a@main.test\u0085": holds a control character (U+0085)`},
		{[]string{"users", "create", "--user-name", "a\x7f@main.test"}, `--user-name "a\x7f@main.test"`},
		{[]string{"users", "update", "u1", "--user-name", "\t"}, `--user-name "\t": is only white space`},
		{[]string{"users", "update", "u1", "--user-name", "alice\x1b[2J@main.test"}, `--user-name "alice\x1b[2J@main.test": holds a control character (U+001B)`},
		{[]string{"groups", "create", "  "}, `NAME "  ": is only white space`},
		{[]string{"groups", "create", "Sales\nEMEA"}, `NAME "Sales\nEMEA": holds a control character (U+000A)`},
		{[]string{"groups", "rename", "Eng", " "}, `NEW-NAME " ": is only white space`},
		{[]string{"groups", "rename", "Eng", "Eng\x00"}, `NEW-NAME "Eng\x00": holds a control character (U+0000)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			srv.ResetLog()
			code, _, stderr := runCmd(t, false, env, append([]string{"scim"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.stderr) || !strings.Contains(stderr, "hint:") {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q with a hint", code, stderr, tt.stderr)
			}
			for _, r := range srv.Requests() {
				t.Errorf("sent %s %s", r.Method, r.Path)
			}
		})
	}
	if g := srv.Groups(); len(g) != 1 {
		t.Errorf("%d groups after the refused commands, want 1", len(g))
	}
}
