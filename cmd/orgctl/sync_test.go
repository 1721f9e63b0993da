package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgctl/orgctl/provision"
	"github.com/orgctl/orgctl/provision/provisiontest"
	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

// syncTarget is an in-process SCIM service for `orgctl scim sync` tests:
// scimtest's handler behind a server of the test's own, whose intercept
// hook (when set) answers a request instead of the service, so that a test
// can refuse the token or fail writes from a chosen point on.
type syncTarget struct {
	*scimtest.Handler
	URL       string
	env       map[string]string
	intercept atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
	writes    atomic.Int64 // writes to /Users and /Groups that reached the service
	mu        sync.Mutex
	seen      []scimtest.Request // every request but discovery, intercepted ones too
	onWrite   atomic.Pointer[func(n int64)]
}

// newSyncTarget starts a service with opts (the token is set here) and
// the environment that points orgctl at it, with a fresh state directory.
// Discovery does not count for the fault switches.
func newSyncTarget(t *testing.T, opts scimtest.Options) *syncTarget {
	t.Helper()
	opts.Token = scimToken
	opts.ExemptPaths = append(opts.ExemptPaths, "/ServiceProviderConfig", "/ResourceTypes", "/Schemas")
	tg := &syncTarget{Handler: scimtest.NewHandler(opts)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !discovery(r.URL.Path) {
			tg.mu.Lock()
			tg.seen = append(tg.seen, scimtest.Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery})
			tg.mu.Unlock()
		}
		if f := tg.intercept.Load(); f != nil && (*f)(w, r) {
			return
		}
		tg.Handler.ServeHTTP(w, r)
		if r.Method != http.MethodGet && (strings.Contains(r.URL.Path, "/Users") || strings.Contains(r.URL.Path, "/Groups")) {
			n := tg.writes.Add(1)
			if f := tg.onWrite.Load(); f != nil {
				(*f)(n)
			}
		}
	}))
	t.Cleanup(srv.Close)
	tg.URL = srv.URL + scimtest.BasePath
	tg.env = map[string]string{
		"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(),
		"ORGCTL_SCIM_URL": tg.URL, "ORGCTL_SCIM_TOKEN": scimToken,
	}
	return tg
}

func discovery(path string) bool {
	for _, p := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas"} {
		if strings.Contains(path, p) {
			return true
		}
	}
	return false
}

// requests returns the requests seen since the last call, discovery left
// out, intercepted ones included.
func (tg *syncTarget) requests() []scimtest.Request {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	r := tg.seen
	tg.seen = nil
	return r
}

// stateDir is where orgctl keeps its state for this target's environment.
func (tg *syncTarget) stateDir() string { return filepath.Join(tg.env["XDG_STATE_HOME"], "orgctl") }

// sync runs `orgctl scim sync` with args, verifying the generated users'
// domain.
func (tg *syncTarget) sync(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCmd(t, false, tg.env, append([]string{"scim", "sync", "--verified-domain", provisiontest.Domain}, args...)...)
}

// syncFast is sync with the client's backoff shortened (1 to 20 ms), for
// runs through many faults.
func (tg *syncTarget) syncFast(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	fast := func(f *factory) {
		f.tuneSCIM = func(c *scim.Config) { c.Retry.Base, c.Retry.Max = time.Millisecond, 20*time.Millisecond }
	}
	return runWith(context.Background(), t, fast, false, tg.env, append([]string{"scim", "sync", "--verified-domain", provisiontest.Domain}, args...)...)
}

// writeFile writes data to name in a fresh directory and returns the path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// genSource writes o's users in format ("csv", "entra", "json" or "jsonl")
// and returns the path and what the service must hold after a sync.
func genSource(t *testing.T, o provisiontest.Options, format string) (string, *wantState) {
	t.Helper()
	var buf bytes.Buffer
	var err error
	name := "users." + format
	switch format {
	case "csv":
		err = provisiontest.WriteCSV(&buf, o)
	case "entra":
		err, name = provisiontest.WriteEntraCSV(&buf, o), "entra-export.csv"
	case "json":
		err = provisiontest.WriteJSON(&buf, o)
	case "jsonl":
		err = provisiontest.WriteJSONL(&buf, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, buf.Bytes()), wantFrom(o, format)
}

// wantUser is a user as a source gives it and the service must then
// hold it.
type wantUser struct {
	UserName, ExternalID                string
	Active                              bool
	Given, Family, Dept, EmpNo, CC, Div string
	Email                               string
	Groups                              []string // display names
}

// wantGroup is a group the service must hold.
type wantGroup struct {
	Name, ExternalID string
}

// wantState is what the service must hold after syncing a source: its
// users of the verified domain, exactly; none of the unverified one; the
// groups with exactly their verified members; and the users in Inactive
// (by userName) present and deactivated.
type wantState struct {
	Users    []wantUser
	Groups   []wantGroup
	Inactive []string
}

// wantFrom derives the desired state from provisiontest's users directly,
// not through the provision package, so that a mapping bug shows.
func wantFrom(o provisiontest.Options, format string) *wantState {
	ws := &wantState{}
	o.Each(func(i int, u provisiontest.User) {
		w := wantUser{UserName: u.UserName, ExternalID: u.ExternalID, Active: !strings.EqualFold(u.Active, "false"),
			Given: u.GivenName, Family: u.FamilyName, Dept: u.Department, EmpNo: u.EmployeeNumber,
			CC: u.CostCenter, Div: u.Division, Email: u.Email, Groups: slices.Clone(u.Groups)}
		if format == "entra" {
			// The export has no groups, costCenter or division; every
			// 10th user is a guest (#EXT#) of the same domain.
			w.CC, w.Div, w.Groups = "", "", nil
			if i%10 == 9 {
				local, domain, _ := strings.Cut(u.UserName, "@")
				w.UserName = local + "_partner.example#EXT#@" + domain
			}
		}
		ws.Users = append(ws.Users, w)
	})
	seen := map[string]bool{}
	for _, u := range ws.Users {
		for _, g := range u.Groups {
			if !seen[g] {
				seen[g] = true
				ws.Groups = append(ws.Groups, wantGroup{Name: g})
			}
		}
	}
	if format == "json" {
		for i := range ws.Groups {
			n := ws.Groups[i].Name
			ws.Groups[i].ExternalID = "grp-" + n[strings.LastIndexByte(n, ' ')+1:]
		}
	}
	return ws
}

func verifiedUser(userName string) bool {
	return !strings.HasSuffix(strings.ToLower(userName), "@"+provisiontest.UnverifiedDomain)
}

// writeJSON writes ws as a JSON source, with the unverified users too.
func (ws *wantState) writeJSON(t *testing.T) string {
	t.Helper()
	type jsonGroup struct {
		DisplayName string   `json:"displayName"`
		ExternalID  string   `json:"externalId,omitempty"`
		Members     []string `json:"members"`
	}
	doc := struct {
		Users  []map[string]any `json:"users"`
		Groups []jsonGroup      `json:"groups"`
	}{Groups: []jsonGroup{}}
	members := map[string][]string{}
	for _, u := range ws.Users {
		ent := map[string]string{}
		for k, v := range map[string]string{"department": u.Dept, "employeeNumber": u.EmpNo, "costCenter": u.CC, "division": u.Div} {
			if v != "" {
				ent[k] = v
			}
		}
		doc.Users = append(doc.Users, map[string]any{
			"userName": u.UserName, "externalId": u.ExternalID, "active": u.Active,
			"name":                        map[string]string{"givenName": u.Given, "familyName": u.Family},
			"emails":                      []map[string]any{{"value": u.Email, "type": "work", "primary": true}},
			scimtest.SchemaEnterpriseUser: ent,
		})
		for _, g := range u.Groups {
			members[g] = append(members[g], u.UserName)
		}
	}
	for _, g := range ws.Groups {
		doc.Groups = append(doc.Groups, jsonGroup{DisplayName: g.Name, ExternalID: g.ExternalID, Members: members[g.Name]})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "users.json", b)
}

// clone deep-copies ws, for a test to change the copy.
func (ws *wantState) clone() *wantState {
	c := &wantState{Groups: slices.Clone(ws.Groups), Inactive: slices.Clone(ws.Inactive)}
	for _, u := range ws.Users {
		u.Groups = slices.Clone(u.Groups)
		c.Users = append(c.Users, u)
	}
	return c
}

func decodeResource[T any](t *testing.T, m map[string]any) T {
	t.Helper()
	var v T
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		t.Fatalf("decode %v: %v", m, err)
	}
	return v
}

// checkExact fails the test unless users and groups, as a service holds
// them, are exactly ws, each once.
func checkExact(t *testing.T, users, groups []map[string]any, ws *wantState) {
	t.Helper()
	byName := map[string]scim.User{}
	for _, m := range users {
		u := decodeResource[scim.User](t, m)
		key := strings.ToLower(u.UserName)
		if _, ok := byName[key]; ok {
			t.Errorf("the service holds userName %q twice", u.UserName)
		}
		byName[key] = u
	}
	ids := map[string]string{} // lowercased userName → id
	memberOf := map[string][]string{}
	verified := 0
	for _, w := range ws.Users {
		key := strings.ToLower(w.UserName)
		have, ok := byName[key]
		if !verifiedUser(w.UserName) {
			if ok {
				t.Errorf("user %s of the unverified domain is at the service", w.UserName)
			}
			continue
		}
		verified++
		if !ok {
			t.Errorf("user %s: missing at the service", w.UserName)
			continue
		}
		ids[key] = have.ID
		email := ""
		for _, e := range have.Emails {
			if e.Type == "work" {
				email = e.Value
			}
		}
		got := wantUser{UserName: have.UserName, ExternalID: have.ExternalID, Active: have.Active == nil || *have.Active,
			Given: have.Name.GivenName, Family: have.Name.FamilyName, Dept: have.Enterprise.Department,
			EmpNo: have.Enterprise.EmployeeNumber, CC: have.Enterprise.CostCenter, Div: have.Enterprise.Division, Email: email}
		want := w
		want.Groups = nil
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("user %s:\n got %+v\nwant %+v", w.UserName, got, want)
		}
		for _, g := range w.Groups {
			memberOf[g] = append(memberOf[g], have.ID)
		}
	}
	for _, name := range ws.Inactive {
		have, ok := byName[strings.ToLower(name)]
		if !ok || have.Active == nil || *have.Active {
			t.Errorf("user %s: want it at the service, inactive; got %+v", name, have)
		}
	}
	if want := verified + len(ws.Inactive); len(byName) != want {
		t.Errorf("the service holds %d users, want %d", len(byName), want)
	}
	var gs []scim.Group
	for _, m := range groups {
		gs = append(gs, decodeResource[scim.Group](t, m))
	}
	for _, w := range ws.Groups {
		var hits []scim.Group
		for _, g := range gs {
			if g.DisplayName == w.Name {
				hits = append(hits, g)
			}
		}
		if len(hits) != 1 {
			t.Errorf("group %q: %d at the service, want 1", w.Name, len(hits))
			continue
		}
		g := hits[0]
		if w.ExternalID != "" && g.ExternalID != w.ExternalID {
			t.Errorf("group %q: externalId %q, want %q", w.Name, g.ExternalID, w.ExternalID)
		}
		var got []string
		for _, m := range g.Members {
			got = append(got, m.Value)
		}
		want := slices.Compact(slices.Sorted(slices.Values(memberOf[w.Name])))
		if slices.Sort(got); !slices.Equal(got, want) {
			t.Errorf("group %q: %d members at the service, want %d (or other ids)", w.Name, len(got), len(want))
		}
	}
	if len(gs) != len(ws.Groups) {
		t.Errorf("the service holds %d groups, want %d", len(gs), len(ws.Groups))
	}
	if d := scimtest.FindDuplicates(users, groups); len(d) > 0 {
		t.Errorf("duplicates at the service: %+v", d)
	}
}

// summaryOf decodes the summary `-o json` printed.
func summaryOf(t *testing.T, stdout string) provision.Summary {
	t.Helper()
	var s provision.Summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout)
	}
	return s
}

// TestSyncFlags: the flags reach the options as given; nothing runs on a
// bad argument.
func TestSyncFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want syncOptions
	}{
		{[]string{"users.csv"}, 0, syncOptions{Source: "users.csv", Format: "auto", MaxDeletes: 500, Concurrency: 4}},
		{[]string{"-", "--dry-run", "--delete", "--max-deletes", "7", "--verified-domain", "a.test,b.test", "--verified-domain", "c.test",
			"--concurrency", "9", "--rate", "2.5", "--log", "/tmp/x.log", "--force", "--every", "40m", "--format", "jsonl"}, 0,
			syncOptions{Source: "-", DryRun: true, Delete: true, MaxDeletes: 7, VerifiedDomains: []string{"a.test", "b.test", "c.test"},
				Concurrency: 9, Rate: 2.5, Log: "/tmp/x.log", Force: true, Every: 40 * time.Minute, Format: "jsonl"}},
		{[]string{"users.csv", "--every", "2d"}, 0, syncOptions{Source: "users.csv", Format: "auto", MaxDeletes: 500, Concurrency: 4, Every: 48 * time.Hour}},
		{[]string{}, 2, syncOptions{}},
		{[]string{""}, 2, syncOptions{}},
		{[]string{"a.csv", "b.csv"}, 2, syncOptions{}},
		{[]string{"a.csv", "--concurrency", "x"}, 2, syncOptions{}},
		{[]string{"a.csv", "--every", "soon"}, 2, syncOptions{}},
	}
	for _, tt := range tests {
		var got *syncOptions
		cmd := newSCIMSyncCmd(newFactory(nil, nil), &scimOptions{}, func(_ context.Context, o *syncOptions) error { got = o; return nil })
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
		got.scimRun = scimRun{}
		if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.args, *got, tt.want)
		}
	}
}

// TestSyncBadOptions: option values the command refuses exit 2 before
// any request.
func TestSyncBadOptions(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src := writeFile(t, "users.csv", []byte("userName\na@example.com\n"))
	for _, args := range [][]string{
		{"--concurrency", "0"}, {"--rate", "-1"}, {"--max-deletes", "0"}, {"--every", "30s"}, {"--format", "xml"},
		{"--verified-domain", "not a domain"},
	} {
		code, _, stderr := tg.sync(t, append([]string{src}, args...)...)
		if code != 2 || !strings.Contains(stderr, strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming the flag", args, code, stderr)
		}
	}
	if n := tg.Stats().Requests; n != 0 {
		t.Errorf("%d requests, want 0", n)
	}
}

// TestSyncBadSource: every class of bad source exits 2, names every bad
// row by its line and value, and sends nothing at all.
func TestSyncBadSource(t *testing.T) {
	long := strings.Repeat("x", 70_000)
	tests := []struct {
		name, file, data string
		want             []string // each must be in stderr
	}{
		{"unknown header", "u.csv", "userName,usrName\na@example.com,x\n", []string{"line 1:", `"usrName": unknown column; did you mean userName?`}},
		{"broken quote", "q.csv", "userName,department\na@example.com,R\n\"b@example.com,R\nc@example.com,S\n", []string{"line 3:", "broken quoting"}},
		{"utf-16", "w.csv", "\xff\xfeu\x00s\x00e\x00r\x00", []string{"line 1: text is UTF-16"}},
		{"not utf-8", "l.csv", "userName,name.givenName\na@example.com,Ann\nb@example.com,Jos\xe9\n", []string{"line 3:", "not UTF-8"}},
		{"field over 64 KiB", "f.csv", "userName,department\na@example.com," + long + "\n", []string{"line 2: department", "70000 bytes, more than the 65536 allowed"}},
		{"invalid boolean", "b.csv", "userName,active\na@example.com,TRUE\nb@example.com,yes\n", []string{`line 3: active "yes": invalid boolean`}},
		{"empty userName", "e.csv", "userName,externalId\n,e1\n", []string{`line 2: userName "": userName is empty`}},
		{"userName of spaces", "s.csv", "userName,externalId\na@example.com,e1\n   ,e2\n", []string{`line 3: userName "   ": userName is only white space`}},
		{"userName with a control character", "c.csv", "userName,externalId\nb\x07@example.com,e1\n", []string{`line 2: userName "b\a@example.com": userName holds a control character (U+0007)`}},
		{"duplicate userName", "d.csv", "userName\nann@example.com\nAnn@Example.COM\n", []string{`line 3: userName "Ann@Example.COM": duplicate userName: line 2`}},
		{"duplicate externalId", "x.csv", "userName,externalId\na@example.com,e1\nb@example.com,e1\n", []string{`line 3: externalId "e1": duplicate externalId: line 2`}},
		{"field count", "n.csv", "userName,externalId\na@example.com,e1,extra\n", []string{"line 2:", "row has 3 fields, the header has 2"}},
		{"every bad row", "m.csv", "userName,active,externalId\na@example.com,maybe,e1\n,true,e2\nc@example.com,true,e1\nd@example.com,nope,e4\n",
			[]string{"4 problems", `line 2: active "maybe"`, "line 3: userName \"\"", `line 4: externalId "e1"`, `line 5: active "nope"`}},
		{"jsonl", "j.jsonl", "{\"userName\":\"a@example.com\"}\n{\"userName\":\"b@example.com\",\n{\"userName\":\"c@example.com\",\"active\":\"nope\"}\n",
			[]string{"line 2:", "want a JSON object", `line 3: active "nope"`}},
		{"json", "j.json", `{"users":[{"userName":"a@example.com"},` + "\n" + `{"userName":"","active":true}]}`, []string{"line 2:", "userName is empty"}},
		{"json values of the wrong type", "t.json", `{"users":[{"userName":"a@example.com","externalId":true},` + "\n" + `{"userName":"b@example.com","employeeNumber":{"n":1}}]}`,
			[]string{`line 1: externalId "true": want a string, found a boolean`, `line 2: employeeNumber "{\"n\":1}": want a string, found an object`}},
		{"jsonl userName of the wrong type", "t.jsonl", "{\"userName\":\"a@example.com\"}\n{\"userName\":5}\n", []string{`line 2: userName "5": want a string, found a number`}},
		{"entra export", "entra.csv", "\ufeffuserPrincipalName,objectId,accountEnabled\r\na@example.com,o1,True\r\nb@example.com,o2,Enabled\r\n",
			[]string{`line 3: accountEnabled "Enabled": invalid boolean`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newSyncTarget(t, scimtest.Options{})
			src := writeFile(t, tt.file, []byte(tt.data))
			code, stdout, stderr := tg.sync(t, src)
			if code != 2 {
				t.Errorf("exit %d, want 2\nstderr: %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if !strings.Contains(stderr, "nothing was sent") || stdout != "" {
				t.Errorf("stdout %q, stderr %q; want nothing on stdout and 'nothing was sent'", stdout, stderr)
			}
			if st := tg.Stats(); st.Requests != 0 {
				t.Errorf("%d requests to the service (%v), want 0", st.Requests, st.ByEndpoint)
			}
		})
	}
}

// TestSyncBadSourceStdin: "-" reads stdin, and a bad one is refused the
// same way.
func TestSyncBadSourceStdin(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	io, in, out, errOut := testIO(false)
	in.WriteString("userName,active\na@example.com,si\n")
	lookup := func(k string) (string, bool) { v, ok := tg.env[k]; return v, ok }
	code := executeWith(context.Background(), newFactory(io, lookup), []string{"scim", "sync", "-", "--format", "csv"})
	if code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), `source stdin: 1 problem`) || !strings.Contains(errOut.String(), `line 2: active "si"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if n := tg.Stats().Requests; n != 0 {
		t.Errorf("%d requests, want 0", n)
	}
}

// smallSource writes a CSV source of n users in groups groups, all of the
// verified domain, and returns its path and the state it asks for.
func smallSource(t *testing.T, n, groups int) (string, *wantState) {
	t.Helper()
	return genSource(t, provisiontest.Options{Users: n, Groups: groups, Seed: 7, UnverifiedEvery: -1}, "csv")
}

// firstUsers writes a JSON source of the first n users of ws.
func (ws *wantState) firstUsers(t *testing.T, n int) string {
	t.Helper()
	c := ws.clone()
	c.Users = c.Users[:n]
	c.Groups = nil
	return c.writeJSON(t)
}

// TestSyncThreshold: a plan that would deactivate more than --max-deletes
// users stops with exit 5 before any write, says the count and the limit,
// and leaves the service as it was.
func TestSyncThreshold(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src, want := smallSource(t, 60, 4)
	if code, _, stderr := tg.sync(t, src); code != 0 {
		t.Fatalf("initial sync: exit %d: %s", code, stderr)
	}
	// The 50 users that leave are deactivated, but for those the source
	// had inactive already: leaving changes nothing for them.
	few := want.firstUsers(t, 10)
	n := 0
	for _, u := range want.Users[10:] {
		if u.Active {
			n++
		}
	}
	if n < 21 || n == 50 {
		t.Fatalf("%d active users leave; the test wants more than 20 and some inactive", n)
	}
	tg.ResetStats()
	code, stdout, stderr := tg.sync(t, few, "--max-deletes", "20")
	if code != 5 || !strings.Contains(stderr, fmt.Sprintf("deletes %d objects", n)) || !strings.Contains(stderr, "threshold of 20") ||
		!strings.Contains(stdout, fmt.Sprintf("%d to deactivate", n)) {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant 5, the count (%d) and the limit (20)", code, stdout, stderr, n)
	}
	if st := tg.Stats(); st.Writes != 0 {
		t.Errorf("%d writes after the threshold stop, want 0: %v", st.Writes, st.ByEndpoint)
	}
	checkExact(t, tg.Users(), tg.Groups(), want)

	// With --delete the deletions count the same.
	code, _, stderr = tg.sync(t, few, "--max-deletes", "20", "--delete")
	if code != 5 || tg.Stats().Writes != 0 {
		t.Errorf("--delete: exit %d, %d writes; want 5, 0: %s", code, tg.Stats().Writes, stderr)
	}
	// Raised to the count, the same source goes through.
	if code, _, stderr := tg.sync(t, few, "--max-deletes", fmt.Sprint(n)); code != 0 {
		t.Errorf("--max-deletes %d: exit %d: %s", n, code, stderr)
	}
	if st := tg.Stats(); st.ByEndpoint["PATCH /Users/{id}"] != n || st.ByMethod["POST"] != 0 || st.ByMethod["DELETE"] != 0 {
		t.Errorf("requests %v, want %d user PATCHes (deactivations), no POST or DELETE", st.ByEndpoint, n)
	}
}

// TestSyncDryRun: --dry-run reads, writes nothing, and prints the plan:
// counts, a line per object with -v, the whole plan with -o json.
func TestSyncDryRun(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src, _ := genSource(t, provisiontest.Options{Users: 40, Groups: 3, Seed: 3, UnverifiedEvery: 10}, "csv")
	code, stdout, stderr := tg.sync(t, src, "--dry-run", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var plan provision.Plan
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("plan: %v\n%s", err, stdout)
	}
	if c := plan.Counts; c.Creates != 36 || c.GroupCreates != 3 || c.Skips != 4 || len(plan.Skipped) != 4 || len(plan.Actions) != 39 {
		t.Errorf("plan counts %+v, %d actions, %d skipped; want 36 creates, 3 group creates, 4 skips, 39 actions", c, len(plan.Actions), len(plan.Skipped))
	}
	code, stdout, _ = tg.sync(t, src, "--dry-run", "-v")
	if code != 0 || !strings.Contains(stdout, "36 to create") || strings.Count(stdout, "\n  create") < 36 ||
		!strings.Contains(stdout, "dry run: nothing was changed") || !strings.Contains(stdout, "line 11 ") {
		t.Errorf("exit %d, text plan:\n%s", code, stdout)
	}
	if st := tg.Stats(); st.Writes != 0 || len(tg.Users()) != 0 {
		t.Errorf("dry run wrote %d times (%v); the service holds %d users", st.Writes, st.ByEndpoint, len(tg.Users()))
	}
}

// TestSyncDomainGate: users of a domain that is not verified are named in
// the output with their line and the reason, and appear in no request.
func TestSyncDomainGate(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src := writeFile(t, "users.csv", []byte("userName,name.givenName,groups\n"+
		"ann@example.com,Ann,Staff\nmallory@Stranger.test,Mal,Staff\nbob@example.com,Bob,Staff\neve@stranger.TEST,Eve,\n"))
	code, stdout, stderr := tg.sync(t, src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"skipped:  2", "line 3 mallory@Stranger.test", "line 5 eve@stranger.TEST", "not verified"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	for _, r := range tg.Requests() {
		if s := strings.ToLower(r.Path + r.RawQuery + string(r.Body)); strings.Contains(s, "stranger") || strings.Contains(s, "mallory") {
			t.Errorf("a request names a skipped user: %s %s?%s %s", r.Method, r.Path, r.RawQuery, r.Body)
		}
	}
	if n := len(tg.Users()); n != 2 {
		t.Errorf("the service holds %d users, want 2", n)
	}
	// Verified on the command line, the domain's users go through.
	if code, _, _ := tg.sync(t, src, "--verified-domain", "stranger.test"); code != 0 || len(tg.Users()) != 4 {
		t.Errorf("--verified-domain stranger.test: exit %d, %d users; want 0, 4", code, len(tg.Users()))
	}
}

// logLines reads a provisioning log: one JSON object a line.
func logLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(scimToken)) {
		t.Errorf("the provisioning log %s holds the token", path)
	}
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s line %d: %v: %s", path, i+1, err, line)
		}
		out = append(out, m)
	}
	return out
}

// TestSyncLog: the provisioning log, beside the state or at --log, has a
// line per object with the cycle, action, identity, target id and status,
// and never the token.
func TestSyncLog(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src, _ := genSource(t, provisiontest.Options{Users: 30, Groups: 3, Seed: 5, UnverifiedEvery: 10}, "csv")
	code, stdout, stderr := tg.sync(t, src, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sum := summaryOf(t, stdout)
	logs, _ := filepath.Glob(filepath.Join(tg.stateDir(), "*", "*.log"))
	if more, _ := filepath.Glob(filepath.Join(tg.stateDir(), "*.log")); len(more) > 0 {
		logs = append(logs, more...)
	}
	if len(logs) != 1 {
		t.Fatalf("provisioning logs under the state dir: %q, want one", logs)
	}
	lines := logLines(t, logs[0])
	objects := map[string]bool{}
	for _, l := range lines {
		if l["cycle_id"] != sum.CycleID || l["time"] == nil || l["action"] == nil || l["status"] == nil || l["identity"] == nil {
			t.Errorf("log line %v: want time, cycle_id %s, action, identity, status", l, sum.CycleID)
		}
		if l["status"] != provision.StatusSkipped && l["target_id"] == nil {
			t.Errorf("log line %v has no target_id", l)
		}
		id := fmt.Sprint(l["identity"])
		if objects[id] {
			t.Errorf("object %s logged twice", id)
		}
		objects[id] = true
	}
	// Skipped users are logged too, with the reason.
	if want := sum.Created + sum.GroupsCreated + sum.Skipped; len(lines) != want || sum.Skipped != 3 {
		t.Errorf("%d log lines, want one per object: %d created, %d groups, %d skipped (want 3)", len(lines), sum.Created, sum.GroupsCreated, sum.Skipped)
	}
	if strings.Contains(stdout+stderr, scimToken) {
		t.Error("the output holds the token")
	}

	// --log FILE: the next cycle's lines go there (none: nothing changed),
	// and a changed user's line names the changed attribute.
	logFile := filepath.Join(t.TempDir(), "sync.log")
	changed := writeFile(t, "users.csv", []byte(strings.Replace(string(must(os.ReadFile(src))), "CC-", "KK-", 1)))
	if code, _, stderr := tg.sync(t, changed, "--log", logFile); code != 0 {
		t.Fatalf("--log: exit %d: %s", code, stderr)
	}
	var updates []map[string]any
	for _, l := range logLines(t, logFile) {
		if l["status"] == provision.StatusUpdated {
			updates = append(updates, l)
		}
	}
	if len(updates) != 1 || fmt.Sprint(updates[0]["changes"]) != "["+scim.PathCostCenter+"]" {
		t.Errorf("--log lines of updates: %v; want one, changing %s", updates, scim.PathCostCenter)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSyncBusy: a second sync of the same target, while one holds its
// state, fails at once with a clear message and exit 1.
func TestSyncBusy(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src, _ := smallSource(t, 5, 1)
	st, err := provision.OpenState(tg.stateDir(), tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := tg.sync(t, src)
	if code != 1 || !strings.Contains(stderr, "another sync of this target is running") || !strings.Contains(stderr, "one sync per service at a time") {
		t.Errorf("exit %d, stderr %q; want 1 and a clear message", code, stderr)
	}
	if n := tg.Stats().Writes; n != 0 {
		t.Errorf("%d writes while busy, want 0", n)
	}
	st.Close()
	if code, _, stderr := tg.sync(t, src); code != 0 {
		t.Errorf("after the other sync: exit %d: %s", code, stderr)
	}
}

// isConnectionTest reports whether r is scim test's request: a userName
// filter on a random value, which no source user has.
func isConnectionTest(r scimtest.Request) bool {
	return r.Method == "GET" && strings.HasSuffix(r.Path, "/Users") && strings.Contains(r.RawQuery, "userName") && !strings.Contains(r.RawQuery, "%40")
}

// TestSyncQuarantine: a token refused mid-way, or most writes failing,
// stops the cycle with exit 5 and the reason; the next run tests the
// connection first and goes on when it passes; --force skips the test.
func TestSyncQuarantine(t *testing.T) {
	refuse := func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"token revoked"}`)
		return true
	}
	failCreates := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"rejected"}`)
		return true
	}
	tests := []struct {
		name      string
		intercept func(w http.ResponseWriter, r *http.Request) bool
		after     int64 // writes let through first
		reason    string
	}{
		{"token refused mid-way", refuse, 15, "token"},
		{"token refused from the start", refuse, 0, "token"},
		{"most writes fail", failCreates, 0, "writes failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newSyncTarget(t, scimtest.Options{})
			src, want := smallSource(t, 80, 3)
			var on atomic.Bool
			f := func(w http.ResponseWriter, r *http.Request) bool { return on.Load() && tt.intercept(w, r) }
			tg.intercept.Store(&f)
			hook := func(n int64) {
				if n >= tt.after {
					on.Store(true)
				}
			}
			tg.onWrite.Store(&hook)
			on.Store(tt.after == 0)
			code, stdout, stderr := tg.sync(t, src, "--concurrency", "1")
			if code != 5 || !strings.Contains(stderr, "quarantine") || !strings.Contains(stderr, tt.reason) {
				t.Fatalf("exit %d, stderr %q; want 5, quarantine and %q", code, stderr, tt.reason)
			}
			if strings.Contains(stdout, ": done") {
				t.Errorf("stdout %q: a quarantined run is not done", stdout)
			}
			if strings.Contains(stderr, scimToken) {
				t.Error("stderr holds the token")
			}

			// Still failing: the connection test comes first and stops the run.
			tg.onWrite.Store(nil)
			on.Store(true)
			tg.requests()
			code, _, stderr = tg.sync(t, src)
			reqs := tg.requests()
			if tt.name == "token refused mid-way" {
				if code != 5 || !strings.Contains(stderr, "connection test still fails") {
					t.Errorf("quarantined, token still refused: exit %d, %q; want 5, the connection test failing", code, stderr)
				}
				// The test's discovery is refused already: no other request.
				if len(reqs) > 1 || len(reqs) == 1 && !isConnectionTest(reqs[0]) {
					t.Errorf("quarantined run: requests %+v, want the connection test alone", reqs)
				}
			}

			// Mended: the test passes and the run completes.
			on.Store(false)
			tg.requests()
			if code, _, stderr := tg.sync(t, src); code != 0 {
				t.Fatalf("after the fix: exit %d: %s", code, stderr)
			}
			if reqs := tg.requests(); len(reqs) == 0 || !isConnectionTest(reqs[0]) {
				t.Errorf("after a quarantine the first request is %s %s?%s, want the connection test", reqs[0].Method, reqs[0].Path, reqs[0].RawQuery)
			}
			checkExact(t, tg.Users(), tg.Groups(), want)
			if d := tg.Duplicates(); len(d) > 0 {
				t.Errorf("duplicates: %+v", d)
			}
		})
	}

	// --force: a quarantined job runs without the test.
	tg := newSyncTarget(t, scimtest.Options{})
	src, want := smallSource(t, 30, 2)
	f := refuse
	tg.intercept.Store(&f)
	if code, _, stderr := tg.sync(t, src); code != 5 {
		t.Fatalf("refused token: exit %d, %s; want 5", code, stderr)
	}
	tg.intercept.Store(nil)
	tg.requests()
	if code, _, stderr := tg.sync(t, src, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	for _, r := range tg.requests() {
		if isConnectionTest(r) {
			t.Errorf("--force ran the connection test: %s?%s", r.Path, r.RawQuery)
		}
	}
	checkExact(t, tg.Users(), tg.Groups(), want)
}

// TestSyncEvery: --every runs cycles until the context is cancelled; a
// cycle after the first writes nothing; a cancel mid-cycle stops between
// requests, and the next run completes the job without duplicates.
func TestSyncEvery(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{})
	src, want := smallSource(t, 50, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	var writesAfterFirst int
	tune := func(f *factory) {
		f.after = func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			if len(waits) == 1 {
				writesAfterFirst = tg.Stats().Writes
			}
			ch := make(chan time.Time, 1)
			if len(waits) == 3 {
				cancel() // interrupted while waiting for the fourth cycle
				return ch
			}
			ch <- time.Now()
			return ch
		}
	}
	code, stdout, stderr := runWith(ctx, t, tune, false, tg.env, "scim", "sync", src, "--verified-domain", provisiontest.Domain, "--every", "40m", "-o", "jsonl")
	if code != 130 || !strings.Contains(stderr, "interrupted") {
		t.Errorf("exit %d, stderr %q; want 130, interrupted", code, stderr)
	}
	if n := strings.Count(stdout, `"cycle_id"`); n != 3 || len(waits) != 3 || waits[0] != 40*time.Minute {
		t.Errorf("%d summaries, waits %v; want 3 cycles, 40m apart", n, waits)
	}
	if n := tg.Stats().Writes; n != writesAfterFirst {
		t.Errorf("cycles 2 and 3 wrote %d times, want 0", n-writesAfterFirst)
	}
	checkExact(t, tg.Users(), tg.Groups(), want)

	// Cancelled mid-cycle, on a slow service.
	slow := newSyncTarget(t, scimtest.Options{Latency: 5 * time.Millisecond})
	src, want = smallSource(t, 150, 5)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	hook := func(n int64) {
		if n == 40 {
			cancel2()
		}
	}
	slow.onWrite.Store(&hook)
	code, _, stderr = runWith(ctx2, t, nil, false, slow.env, "scim", "sync", src, "--verified-domain", provisiontest.Domain, "--every", "40m")
	if code != 130 {
		t.Errorf("cancelled mid-cycle: exit %d, %s; want 130", code, stderr)
	}
	stopped := slow.Stats().Requests
	if users := len(slow.Users()); users == 0 || users >= 150 {
		t.Errorf("cancelled mid-cycle with %d users at the service, want some", users)
	}
	slow.onWrite.Store(nil)
	if code, _, stderr := runCmd(t, false, slow.env, "scim", "sync", src, "--verified-domain", provisiontest.Domain); code != 0 {
		t.Fatalf("the next run: exit %d: %s", code, stderr)
	}
	checkExact(t, slow.Users(), slow.Groups(), want)
	t.Logf("cancelled after %d requests; completed by the next run", stopped)
}

// TestSyncExitCodesDocumented: the exit statuses of scim sync's outcomes
// are those `orgctl help exit-codes` documents.
func TestSyncExitCodesDocumented(t *testing.T) {
	code, stdout, _ := runCmd(t, false, nil, "help", "exit-codes")
	if code != 0 {
		t.Fatalf("help exit-codes: exit %d", code)
	}
	for _, tt := range []struct {
		code int
		says string
	}{
		{0, "success"}, {1, "could not complete"}, {2, "usage or configuration error"}, {2, "bad sync source"}, {1, "another sync of the same service"},
		{5, "deletion threshold exceeded"}, {5, "quarantined"}, {130, "interrupted"},
	} {
		found := false
		sc := bufio.NewScanner(strings.NewReader(stdout))
		for cur := -1; sc.Scan(); {
			line := sc.Text()
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
				fmt.Sscan(f[0], &cur)
			}
			if cur == tt.code && strings.Contains(line, tt.says) {
				found = true
			}
		}
		if !found {
			t.Errorf("help exit-codes does not say %q under %d:\n%s", tt.says, tt.code, stdout)
		}
	}
}

// TestSyncReadmeConfig: the mapping and scoping example of README.md
// works as the README says, on an Entra export.
func TestSyncReadmeConfig(t *testing.T) {
	readme := string(must(os.ReadFile("../../README.md")))
	start := strings.Index(readme, "```yaml\nscim:\n")
	if start < 0 {
		t.Fatal("README.md has no scim config example")
	}
	yaml := readme[start+len("```yaml\n"):]
	yaml = yaml[:strings.Index(yaml, "```")]
	tg := newSyncTarget(t, scimtest.Options{})
	tg.env["ORGCTL_CONFIG"] = writeFile(t, "config.yaml", []byte(yaml))
	src := writeFile(t, "export.csv", []byte("\ufeffuserPrincipalName,objectId,givenName,surname,department,jobTitle,userType,accountEnabled\r\n"+
		" Ann@Main.com ,o-1,Ann,Lee,Research,Engineer,Member,True\r\n"+
		"gus_gmail.com#EXT#@main.com,o-2,Gus,Guest,Sales,,Guest,True\r\n"+
		"bob@main.com,o-3,Bob,Nodept,,Clerk,Member,True\r\n"+
		"carl@partners.main.com,o-4,Carl,Contractor,,Fixer,Member,False\r\n"+
		"eve@elsewhere.com,o-5,Eve,Else,Research,Spy,Member,True\r\n"))
	code, stdout, stderr := runCmd(t, false, tg.env, "scim", "sync", src, "-v")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	users := map[string]scim.User{}
	for _, m := range tg.Users() {
		u := decodeResource[scim.User](t, m)
		users[u.UserName] = u
	}
	ann, carl := users["ann@main.com"], users["carl@partners.main.com"]
	if len(users) != 2 || ann.ID == "" || carl.ID == "" {
		t.Fatalf("the service holds %d users (%v), want ann@main.com (lowercased, trimmed) and carl", len(users), slices.Collect(maps.Keys(users)))
	}
	if ann.Enterprise.Division != "Engineer" || ann.Enterprise.Organization != "Contoso" || ann.Enterprise.Department != "Research" || ann.ExternalID != "o-1" {
		t.Errorf("ann: %+v; want division from jobTitle, organization Contoso, department Research, externalId o-1", ann.Enterprise)
	}
	if carl.Enterprise.Department != "Unassigned" || carl.Active == nil || *carl.Active {
		t.Errorf("carl: department %q, active %v; want the default Unassigned, inactive", carl.Enterprise.Department, carl.Active)
	}
	for _, w := range []string{"skipped:  3", "line 3 gus_gmail.com#ext#@main.com: none of the 2 scoping rules holds", "line 4 bob@main.com: none of the 2 scoping rules holds", "eve@elsewhere.com: domain elsewhere.com is not verified"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
}

// TestSyncProgress: on a terminal a progress report goes to stderr while
// the summary goes to stdout; piped, stderr stays quiet.
func TestSyncProgress(t *testing.T) {
	for _, tty := range []bool{true, false} {
		tg := newSyncTarget(t, scimtest.Options{})
		src, _ := smallSource(t, 40, 2)
		code, stdout, stderr := runCmd(t, tty, tg.env, "scim", "sync", src, "--verified-domain", provisiontest.Domain)
		if code != 0 || !strings.Contains(stdout, "40 created") {
			t.Fatalf("tty %v: exit %d, stdout %q", tty, code, stdout)
		}
		if got := strings.Contains(stderr, "syncing"); got != tty {
			t.Errorf("tty %v: stderr %q; want a progress report only on a terminal", tty, stderr)
		}
	}
}
