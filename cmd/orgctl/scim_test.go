package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		{"unknown user", env, []string{"users", "get", "nobody"}, 1, `no user with id or userName "nobody"`},
		{"unknown group", env, []string{"groups", "add-members", "Nope", "u1"}, 1, `no group with id or displayName "Nope"`},
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
