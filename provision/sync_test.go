package provision

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

var errRefused = syscall.ECONNREFUSED

// TestSyncInitialThenRerun: 2,000 users and 30 groups end exact; the
// skipped users appear in no request; a second run reads and writes
// nothing.
func TestSyncInitialThenRerun(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(2000, 30)
	var log bytes.Buffer
	_, sum, err := tg.sync(context.Background(), d, Options{Log: &log}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg.checkExact(d)
	if sum.Created != 2000 || sum.GroupsCreated != 30 || sum.Failed != 0 || sum.Skipped != 3 {
		t.Errorf("summary: created %d, groups %d, failed %d, skipped %d; want 2000, 30, 0, 3", sum.Created, sum.GroupsCreated, sum.Failed, sum.Skipped)
	}
	want := 0
	for _, g := range d.Groups {
		want += len(g.Members)
	}
	if sum.MemberAdds != want {
		t.Errorf("summary: %d member adds, want %d", sum.MemberAdds, want)
	}
	for _, r := range tg.srv.Requests() {
		if strings.Contains(string(r.Body), "unverified.test") || strings.Contains(r.RawQuery, "unverified.test") {
			t.Errorf("a skipped user appears in %s %s", r.Method, r.Path)
		}
		if r.Method == "PATCH" && strings.Contains(string(r.Body), `"op":"replace","path":"members"`) {
			t.Errorf("a whole member list was replaced: %s", r.Body)
		}
	}
	checkLog(t, log.Bytes(), 2000+30+3)

	tg.srv.ResetLog()
	_, sum, err = tg.sync(context.Background(), d, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.methods(); len(got) != 0 {
		t.Errorf("re-run of an unchanged source sent %v, want nothing", got)
	}
	if sum.Unchanged != 2030 || sum.Writes != 0 {
		t.Errorf("re-run: %d unchanged, %d writes; want 2030, 0", sum.Unchanged, sum.Writes)
	}
}

// checkLog checks the provisioning log: one JSON object a line, with the
// fields of the contract, never the token.
func checkLog(t *testing.T, data []byte, want int) {
	t.Helper()
	if bytes.Contains(data, []byte(fixtureToken)) {
		t.Error("the provisioning log holds the token")
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %d: %v", n+1, err)
		}
		for _, k := range []string{"time", "cycle_id", "action", "identity", "status"} {
			if e[k] == nil {
				t.Errorf("log line %d lacks %s: %s", n+1, k, sc.Bytes())
			}
		}
		n++
	}
	if n != want {
		t.Errorf("%d log lines, want %d", n, want)
	}
}

// patchBody is a PATCH request's operations.
type patchBody struct {
	Operations []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
}

// TestSyncChanges: a changed source sends only the changes: each user
// PATCH names only the changed attributes, a cleared one is removed, users
// who left are deactivated and taken out of the groups, a renamed group is
// patched, not re-created, and no member the server lists is added again.
func TestSyncChanges(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(120, 5)
	ctx := context.Background()
	if _, _, err := tg.sync(ctx, d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	before := tg.serverUsers()

	d2 := cloneDesired(d)
	d2.Users[1].User.Name.GivenName = "Changed"     // one attribute
	d2.Users[2].User.Enterprise.Department = ""     // cleared: remove
	d2.Users[3].User.Active = new(false)            // the source deactivates
	d2.Users[4].User.Enterprise.CostCenter = "CC-4" // appears: add
	d2.Groups[0].DisplayName = "Team 00 renamed"    // same externalId
	left := []string{d2.Users[10].User.UserName, d2.Users[11].User.UserName}
	d2.Users = slices.Delete(d2.Users, 10, 12)
	for _, g := range d2.Groups {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return slices.Contains(left, m) })
	}
	newcomer := d2.Users[20].User.UserName // joins group 4
	if !slices.Contains(d2.Groups[4].Members, newcomer) {
		d2.Groups[4].Members = append(d2.Groups[4].Members, newcomer)
	}

	tg.srv.ResetLog()
	plan, sum, err := tg.sync(ctx, d2, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg.checkExact(d2, left...)
	wantPaths := map[string][]string{
		before[strings.ToLower(d2.Users[1].User.UserName)].ID: {"name.givenName"},
		before[strings.ToLower(d2.Users[2].User.UserName)].ID: {scim.PathDepartment},
		before[strings.ToLower(d2.Users[3].User.UserName)].ID: {"active"},
		before[strings.ToLower(d2.Users[4].User.UserName)].ID: {scim.PathCostCenter},
		before[strings.ToLower(left[0])].ID:                   {"active"},
		before[strings.ToLower(left[1])].ID:                   {"active"},
	}
	gotUsers := map[string][]string{}
	groupOps := 0
	for _, r := range tg.srv.Requests() {
		switch {
		case r.Method == "PATCH" && strings.Contains(r.Path, "/Users/"):
			var pb patchBody
			if err := json.Unmarshal(r.Body, &pb); err != nil {
				t.Fatal(err)
			}
			id := r.Path[strings.LastIndex(r.Path, "/")+1:]
			for _, op := range pb.Operations {
				gotUsers[id] = append(gotUsers[id], op.Path)
				if op.Path == scim.PathDepartment && op.Op != "remove" {
					t.Errorf("cleared department: op %q, want remove", op.Op)
				}
			}
		case r.Method == "PATCH" && strings.Contains(r.Path, "/Groups/"):
			groupOps++
			checkNoReplace(t, r)
		case r.Method != "GET":
			t.Errorf("unexpected %s %s", r.Method, r.Path)
		}
	}
	for id, want := range wantPaths {
		if !slices.Equal(gotUsers[id], want) {
			t.Errorf("PATCH of user %s touched %v, want %v", id, gotUsers[id], want)
		}
	}
	if len(gotUsers) != len(wantPaths) {
		t.Errorf("%d users patched, want %d", len(gotUsers), len(wantPaths))
	}
	if plan.Counts.Updates != 4 || plan.Counts.Deactivations != 2 || plan.Counts.Creates != 0 || plan.Counts.GroupCreates != 0 {
		t.Errorf("plan counts %+v", plan.Counts)
	}
	if sum.Deactivated != 2 || sum.Updated != 4 || sum.GroupsCreated != 0 {
		t.Errorf("summary %+v", sum)
	}
	if groupOps == 0 {
		t.Error("no group PATCH: the rename and member changes were not sent")
	}
}

// checkNoReplace fails when a group PATCH replaces the whole member list.
func checkNoReplace(t *testing.T, r scimtest.Request) {
	t.Helper()
	var pb patchBody
	if err := json.Unmarshal(r.Body, &pb); err != nil {
		t.Fatal(err)
	}
	for _, op := range pb.Operations {
		if op.Op == "replace" && op.Path == "members" {
			t.Errorf("member list replaced whole: %s", r.Body)
		}
	}
}

// TestSyncNeverReAdds: a group that already exists at the server with some
// of its members is adopted; only the missing members are added.
func TestSyncNeverReAdds(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(30, 1)
	g := d.Groups[0]
	// The server has the users and the group with its first 10 members
	// (and one member nobody manages).
	ids := map[string]string{}
	for _, du := range d.Users {
		b, _ := json.Marshal(du.User)
		var m map[string]any
		json.Unmarshal(b, &m)
		ids[du.User.UserName] = tg.srv.AddUser(m)
	}
	foreign := tg.srv.AddUser(map[string]any{"userName": "admin@main.test"})
	var members []any
	for _, m := range g.Members[:10] {
		members = append(members, map[string]any{"value": ids[m]})
	}
	members = append(members, map[string]any{"value": foreign})
	tg.srv.AddGroup(map[string]any{"displayName": strings.ToUpper(g.DisplayName), "members": members})

	tg.srv.ResetLog()
	if _, _, err := tg.sync(context.Background(), d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, r := range tg.srv.Requests() {
		if r.Method == "PATCH" && strings.Contains(r.Path, "/Groups/") {
			var pb patchBody
			json.Unmarshal(r.Body, &pb)
			for _, op := range pb.Operations {
				if op.Op == "add" && op.Path == "members" {
					var vs []scim.Member
					json.Unmarshal(op.Value, &vs)
					for _, v := range vs {
						added = append(added, v.Value)
					}
				}
				if op.Op == "remove" {
					t.Errorf("removed %s: a member the sync does not manage must stay", op.Path)
				}
			}
		}
		if r.Method == "POST" {
			t.Errorf("POST %s: everything existed", r.Path)
		}
	}
	var want []string
	for _, m := range g.Members[10:] {
		want = append(want, ids[m])
	}
	if !sameSet(added, want) || len(added) != len(want) {
		t.Errorf("added %d members, want the %d missing ones", len(added), len(want))
	}
	got := decodeAs[scim.Group](t, tg.srv.Groups()[0])
	if got.DisplayName != g.DisplayName || got.ExternalID != g.ExternalID || len(got.Members) != len(g.Members)+1 {
		t.Errorf("group: %q %q with %d members; want %q %q with %d", got.DisplayName, got.ExternalID, len(got.Members), g.DisplayName, g.ExternalID, len(g.Members)+1)
	}
}

// TestSyncThreshold: a plan over the deletion threshold writes nothing.
func TestSyncThreshold(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(40, 2)
	ctx := context.Background()
	if _, _, err := tg.sync(ctx, d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	d2 := cloneDesired(d)
	// Ten users leave; user 34 was pushed inactive (every 17th is), so
	// nine are deactivated: an inactive user leaving changes nothing.
	d2.Users = d2.Users[:30]
	tg.srv.ResetLog()
	plan, _, err := tg.sync(ctx, d2, Options{MaxDeletes: 8}, nil)
	var te *ThresholdError
	if !errors.As(err, &te) || te.Count != 9 || te.Limit != 8 {
		t.Fatalf("got %v, want a ThresholdError of 9 over 8", err)
	}
	if plan == nil || plan.Deletions() != 9 {
		t.Errorf("plan: %v", plan)
	}
	if w := writes(tg.methods()); w != 0 {
		t.Errorf("%d writes after a threshold breach, want 0", w)
	}
	// The same with --delete: deletions count too.
	_, _, err = tg.sync(ctx, d2, Options{MaxDeletes: 8, Delete: true}, nil)
	if !errors.As(err, &te) {
		t.Fatalf("with Delete: got %v, want a ThresholdError", err)
	}
	if w := writes(tg.methods()); w != 0 {
		t.Errorf("%d writes after a threshold breach, want 0", w)
	}
}

// resetAfterApply serves h, but every nth POST or PATCH is carried out and
// then its connection closed without an answer: the client cannot know it
// was applied.
func resetAfterApply(t *testing.T, h http.Handler, n int64) string {
	t.Helper()
	var count atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == "POST" || r.Method == "PATCH") && count.Add(1)%n == 0 {
			h.ServeHTTP(httptest.NewRecorder(), r)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			return
		}
		h.ServeHTTP(w, r)
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + scimtest.BasePath
}

// TestSyncThroughFaults: 429s, 503s, resets before and after the server
// applied the request: the run ends exact, with no duplicate.
func TestSyncThroughFaults(t *testing.T) {
	tg := newTarget(t, scimtest.Options{TooManyEvery: 7, RetryAfter: "0", FailEvery: 11, ResetEvery: 13})
	url := resetAfterApply(t, tg.srv.Handler, 9)
	d := genDesired(300, 6)
	st, err := OpenState(tg.dir, url)
	if err != nil {
		t.Fatal(err)
	}
	// Every 7th request is a 429: the pacer lowers the rate, down to a
	// floor that keeps the test short.
	pacer := NewPacer(PacerOptions{MinRate: 1000})
	_, sum, err := Sync(context.Background(), tg.client(url, pacer, nil), st, d, Options{Pacer: pacer})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	tg.checkExact(d)
	if sum.Retries == 0 || sum.Failed != 0 {
		t.Errorf("summary: %d retries, %d failed; want some retries and no failure: %+v", sum.Retries, sum.Failed, sum.Failures)
	}
}

// TestSyncCrashThenRerun: a process that dies mid-run (its transport goes
// dead, or its context is cancelled, after n requests) leaves a state from
// which a re-run with a fresh client ends exact, without duplicates.
func TestSyncCrashThenRerun(t *testing.T) {
	d := genDesired(400, 8)
	// A whole run's requests, to crash at given points of it.
	full := newTarget(t, scimtest.Options{})
	if _, _, err := full.sync(context.Background(), d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	n := int64(len(full.srv.Requests()))
	for _, tc := range []struct {
		name   string
		after  int64
		cancel bool
	}{
		{"dead transport during users", n / 3, false},
		{"dead transport during groups", n - 10, false},
		{"cancelled during users", n / 2, true},
		{"cancelled during groups", n - 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTarget(t, scimtest.Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ft := func(base http.RoundTripper) http.RoundTripper {
				f := &faultyTransport{base: base, after: tc.after}
				if tc.cancel {
					f.cancel = cancel
				}
				return f
			}
			_, _, err := tg.sync(ctx, d, Options{}, ft)
			if err == nil {
				t.Fatal("the crashed run reported no error")
			}
			if _, _, err := tg.sync(context.Background(), d, Options{Force: true}, nil); err != nil {
				t.Fatal(err)
			}
			tg.checkExact(d)
			tg.srv.ResetLog()
			if _, _, err := tg.sync(context.Background(), d, Options{}, nil); err != nil {
				t.Fatal(err)
			}
			if got := tg.methods(); writes(got) != 0 {
				t.Errorf("third run sent %v, want no write", got)
			}
		})
	}
}

// TestSyncQuarantine: a refused token quarantines the target; the next
// run tests the connection first and goes on when it passes.
func TestSyncQuarantine(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(30, 2)
	ctx := context.Background()
	tg.srv.SetOptions(scimtest.Options{Token: "another"})
	_, _, err := tg.sync(ctx, d, Options{}, nil)
	var q *QuarantineError
	if !errors.As(err, &q) || !errors.Is(err, scim.ErrUnauthorized) {
		t.Fatalf("got %v, want a QuarantineError for the refused token", err)
	}
	// Still refused: the connection test fails; nothing else is sent.
	tg.srv.ResetLog()
	if _, _, err := tg.sync(ctx, d, Options{}, nil); !errors.As(err, &q) || !strings.Contains(err.Error(), "connection test") {
		t.Fatalf("got %v, want the quarantine and the failed connection test", err)
	}
	for _, r := range tg.srv.Requests() {
		if r.Method != "GET" || (strings.HasSuffix(r.Path, "/Users") && !strings.Contains(r.RawQuery, "filter")) {
			t.Errorf("a quarantined run sent %s %s?%s", r.Method, r.Path, r.RawQuery)
		}
	}
	// Fixed: the test passes, the quarantine is lifted, the sync runs.
	tg.srv.SetOptions(scimtest.Options{Token: fixtureToken})
	if _, _, err := tg.sync(ctx, d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	tg.checkExact(d)
}

// TestSyncQuarantineOnFailures: more than 40 % of at least 20 writes fail:
// the run stops with a QuarantineError, which the state keeps.
func TestSyncQuarantineOnFailures(t *testing.T) {
	tg := newTarget(t, scimtest.Options{FailEvery: 2, FailStatus: 400})
	d := genDesired(200, 0)
	_, sum, err := tg.sync(context.Background(), d, Options{}, nil)
	var q *QuarantineError
	if !errors.As(err, &q) {
		t.Fatalf("got %v, want a QuarantineError", err)
	}
	if sum == nil || sum.NotRun == 0 {
		t.Errorf("summary %+v: want the run stopped early", sum)
	}
	st, err := OpenState(tg.dir, tg.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.Quarantined(); got == nil || got.Reason != q.Reason {
		t.Errorf("state quarantine %+v, want reason %q", got, q.Reason)
	}
	cycles, err := st.Cycles()
	if err != nil || len(cycles) != 1 || cycles[0].Quarantine == "" || cycles[0].End.IsZero() {
		t.Errorf("cycles %+v, %v: want one ended, quarantined cycle", cycles, err)
	}
}

// TestSyncServiceGone: a service that goes away mid-run ends the run with
// an error (quarantine), never a hang; the next run completes it.
func TestSyncServiceGone(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(200, 3)
	_, _, err := tg.sync(context.Background(), d, Options{}, func(base http.RoundTripper) http.RoundTripper {
		return &faultyTransport{base: base, after: 60}
	})
	var q *QuarantineError
	if !errors.As(err, &q) {
		t.Fatalf("got %v, want a QuarantineError", err)
	}
	if _, _, err := tg.sync(context.Background(), d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	tg.checkExact(d)
}

// TestSyncDeleteAndEmpty: a group that left the source is emptied, and
// deleted with Delete; users who left are deleted with Delete.
func TestSyncDeleteAndEmpty(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(30, 3)
	ctx := context.Background()
	if _, _, err := tg.sync(ctx, d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	d2 := cloneDesired(d)
	gone := d2.Groups[2]
	d2.Groups = d2.Groups[:2]
	plan, _, err := tg.sync(ctx, d2, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Counts.GroupsEmptied != 1 || plan.Counts.MemberRemoves != len(gone.Members) {
		t.Errorf("plan counts %+v: want 1 group emptied of %d members", plan.Counts, len(gone.Members))
	}
	for _, m := range tg.srv.Groups() {
		if g := decodeAs[scim.Group](t, m); g.ExternalID == gone.ExternalID && len(g.Members) != 0 {
			t.Errorf("group %s still has %d members", g.DisplayName, len(g.Members))
		}
	}
	d3 := cloneDesired(d2)
	d3.Users = d3.Users[:25]
	for _, g := range d3.Groups {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool {
			return !slices.ContainsFunc(d3.Users, func(du *DesiredUser) bool { return du.User.UserName == m })
		})
	}
	plan, _, err = tg.sync(ctx, d3, Options{Delete: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Counts.Deletions != 5 || plan.Counts.GroupDeletes != 1 {
		t.Errorf("plan counts %+v: want 5 user and 1 group deletions", plan.Counts)
	}
	tg.checkExact(d3)
}

// TestOpenStateBusy: a second sync of the same target is refused with a
// clear error.
func TestOpenStateBusy(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenState(dir, "https://scim.example.com/scim/v2/")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = OpenState(dir, "HTTPS://SCIM.example.com:443/scim/v2")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "https://scim.example.com/scim/v2") {
		t.Errorf("got %v, want ErrBusy naming the target", err)
	}
	other, err := OpenState(dir, "https://other.example.com/scim/v2")
	if err != nil {
		t.Fatalf("another target: %v", err)
	}
	other.Close()
}

// TestSyncInactiveLeaves: a user the source already had inactive that
// then leaves the source is not deactivated again (no write, no count
// against the threshold).
func TestSyncInactiveLeaves(t *testing.T) {
	tg := newTarget(t, scimtest.Options{})
	d := genDesired(20, 1) // users 0 and 17 are inactive
	ctx := context.Background()
	if _, _, err := tg.sync(ctx, d, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	d2 := cloneDesired(d)
	d2.Users = slices.Delete(d2.Users, 17, 18)
	d2.Groups[0].Members = slices.DeleteFunc(d2.Groups[0].Members, func(m string) bool { return m == d.Users[17].User.UserName })
	tg.srv.ResetLog()
	plan, _, err := tg.sync(ctx, d2, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Counts.Deactivations; got != 0 {
		t.Errorf("plan deactivates %d users, want 0", got)
	}
	for _, r := range tg.srv.Requests() {
		if r.Method == "PATCH" && strings.Contains(r.Path, "/Users/") {
			t.Errorf("PATCH %s: %s; want no user write", r.Path, r.Body)
		}
	}
	tg.checkExact(d2, d.Users[17].User.UserName)
}
