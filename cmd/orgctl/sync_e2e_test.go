package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/provision/provisiontest"
	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

// e2eService is a SCIM service that end-to-end sync tests run the whole
// command against: the in-process one, or scimmy (another implementation,
// under Node).
type e2eService struct {
	env        map[string]string
	state      func() (users, groups []map[string]any, stats scimtest.Stats)
	resetStats func()
	// requests returns the requests since resetStats with their bodies;
	// nil where the service keeps no such log (scimmy).
	requests func() []scimtest.Request
}

func inProcessService(t *testing.T) *e2eService {
	tg := newSyncTarget(t, scimtest.Options{})
	return &e2eService{
		env: tg.env,
		state: func() ([]map[string]any, []map[string]any, scimtest.Stats) {
			return tg.Users(), tg.Groups(), tg.Stats()
		},
		resetStats: func() { tg.ResetStats(); tg.ResetLog() },
		requests:   tg.Requests,
	}
}

// scimmyService runs scimmy; without node or its packages the test is
// skipped locally and fails under CI=true (peertest.Need's rule).
func scimmyService(t *testing.T) *e2eService {
	s := peertest.StartSCIMMY(t)
	return &e2eService{
		env: map[string]string{"XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), "ORGCTL_SCIM_URL": s.URL, "ORGCTL_SCIM_TOKEN": s.Token},
		state: func() ([]map[string]any, []map[string]any, scimtest.Stats) {
			st := s.State(t)
			return st.Users, st.Groups, st.Stats
		},
		resetStats: func() { s.ResetStats(t) },
	}
}

var e2eServices = []struct {
	name  string
	start func(*testing.T) *e2eService
}{{"in-process", inProcessService}, {"scimmy", scimmyService}}

// sync runs a cycle through the CLI and returns its summary.
func (s *e2eService) sync(t *testing.T, src string, args ...string) (code int, stdout, stderr string, took time.Duration) {
	t.Helper()
	start := time.Now()
	code, stdout, stderr = runCmd(t, false, s.env, append([]string{"scim", "sync", src, "--verified-domain", provisiontest.Domain, "-o", "json"}, args...)...)
	return code, stdout, stderr, time.Since(start)
}

// check holds the service to ws exactly and returns its request counts.
func (s *e2eService) check(t *testing.T, ws *wantState) scimtest.Stats {
	t.Helper()
	users, groups, stats := s.state()
	checkExact(t, users, groups, ws)
	return stats
}

// TestSyncEndToEnd runs the whole command against both services: an
// initial sync of 2,000 users in 30 groups from CSV ends exact and a
// re-run writes nothing; the same users as JSON (with group externalIds)
// end exact; a changed source sends only the changes, each PATCH touching
// only the changed attributes; a deletion-threshold breach writes nothing.
func TestSyncEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: 2,000 users")
	}
	for _, svc := range e2eServices {
		t.Run(svc.name, func(t *testing.T) {
			s := svc.start(t)
			o := provisiontest.Options{Users: 2000, Groups: 30, Seed: 13}
			src, want := genSource(t, o, "csv")

			code, stdout, stderr, took := s.sync(t, src)
			if code != 0 {
				t.Fatalf("initial sync: exit %d: %s", code, stderr)
			}
			sum := summaryOf(t, stdout)
			if sum.Created != 1960 || sum.GroupsCreated != 30 || sum.Skipped != 40 || sum.Failed != 0 {
				t.Errorf("initial summary %+v; want 1960 created, 30 groups, 40 skipped (unverified)", sum)
			}
			st := s.check(t, want)
			t.Logf("initial sync of %d users, %d groups: %s, %d requests (%d writes, %d reads), summary %d requests %d retries",
				sum.Created, sum.GroupsCreated, took.Round(time.Millisecond), st.Requests, st.Writes, st.Reads, sum.Requests, sum.Retries)

			s.resetStats()
			code, stdout, stderr, took = s.sync(t, src)
			_, _, st = s.state()
			if code != 0 || st.Writes != 0 {
				t.Errorf("re-run: exit %d, %d writes (%v); want 0, 0: %s", code, st.Writes, st.ByEndpoint, stderr)
			}
			t.Logf("re-run: %s, %d requests, 0 writes, unchanged %d", took.Round(time.Millisecond), st.Requests, summaryOf(t, stdout).Unchanged)

			// The same users as JSON, whose groups carry externalIds.
			jsonSrc, wantJSON := genSource(t, o, "json")
			if code, _, stderr, _ := s.sync(t, jsonSrc); code != 0 {
				t.Fatalf("JSON source: exit %d: %s", code, stderr)
			}
			s.check(t, wantJSON)

			changed, patches, touched := changeSource(wantJSON)
			s.resetStats()
			code, stdout, stderr, took = s.sync(t, changed.writeJSON(t))
			if code != 0 {
				t.Fatalf("changed source: exit %d: %s", code, stderr)
			}
			st = s.check(t, changed)
			sum = summaryOf(t, stdout)
			t.Logf("changed source: %s, %d requests (%v); summary %d updated, %d deactivated, %d groups updated, members +%d -%d",
				took.Round(time.Millisecond), st.Requests, st.ByEndpoint, sum.Updated, sum.Deactivated, sum.GroupsUpdated, sum.MemberAdds, sum.MemberRemoves)
			if st.ByMethod["POST"]+st.ByMethod["PUT"]+st.ByMethod["DELETE"] != 0 || st.ByEndpoint["PATCH /Users/{id}"] != len(patches) ||
				st.ByEndpoint["PATCH /Groups/{id}"] == 0 || st.ByEndpoint["PATCH /Groups/{id}"] > 2*len(touched) {
				t.Errorf("changed source: requests %v; want %d user PATCHes, group PATCHes for %d groups, nothing else written", st.ByEndpoint, len(patches), len(touched))
			}
			if s.requests != nil {
				users, groups, _ := s.state()
				checkPatches(t, s.requests(), users, groups, patches, touched)
			}

			// A source without half the users breaches the threshold.
			s.resetStats()
			half := changed.clone()
			half.Users = half.Users[:1000]
			code, _, stderr, _ = s.sync(t, half.writeJSON(t))
			_, _, st = s.state()
			if code != 5 || st.Writes != 0 || !strings.Contains(stderr, "500") {
				t.Errorf("threshold: exit %d, %d writes, stderr %q; want 5, 0, the limit 500", code, st.Writes, stderr)
			}
			s.check(t, changed)
		})
	}
}

// changeSource changes ws as a directory changes between cycles: some
// attributes changed or cleared, a user deactivated, twenty users gone, a
// group renamed (same externalId), a user moved between groups. It returns
// the new state, the attribute paths each changed user's PATCH must touch
// (by lowercased userName), and the display names of the groups that
// must change.
func changeSource(ws *wantState) (*wantState, map[string][]string, map[string]bool) {
	c := ws.clone()
	patches := map[string][]string{}
	touched := map[string]bool{}
	set := func(i int, path string, f func(u *wantUser)) {
		f(&c.Users[i])
		key := strings.ToLower(c.Users[i].UserName)
		patches[key] = append(patches[key], path)
	}
	for i := range 10 {
		set(i, scim.PathDepartment, func(u *wantUser) { u.Dept = `Changed, "dept" ✓` })
	}
	for i := 10; i < 15; i++ {
		set(i, "name.givenName", func(u *wantUser) { u.Given = "Zoë-Änne" })
	}
	for _, i := range []int{16, 18} { // even users have a division: cleared, a remove
		set(i, scim.PathDivision, func(u *wantUser) { u.Div = "" })
	}
	set(20, "active", func(u *wantUser) { u.Active = !u.Active })

	// The user moved: out of its first group, into one it is not in.
	mover := &c.Users[200]
	from := mover.Groups[0]
	var to string
	for _, g := range c.Groups {
		if !slices.Contains(mover.Groups, g.Name) {
			to = g.Name
			break
		}
	}
	mover.Groups = append(slices.DeleteFunc(mover.Groups, func(g string) bool { return g == from }), to)
	touched[from], touched[to] = true, true

	// Twenty users leave: deactivated (a PATCH only for those active),
	// and taken out of their groups.
	for _, u := range c.Users[100:120] {
		c.Inactive = append(c.Inactive, u.UserName)
		if u.Active {
			patches[strings.ToLower(u.UserName)] = []string{"active"}
		}
		for _, g := range u.Groups {
			touched[g] = true
		}
	}
	c.Users = slices.Delete(c.Users, 100, 120)

	// A group renamed: same externalId, a new displayName.
	old := c.Groups[3].Name
	renamed := `Renamed ✓, "drei" 3`
	c.Groups[3].Name = renamed
	for i := range c.Users {
		for j, g := range c.Users[i].Groups {
			if g == old {
				c.Users[i].Groups[j] = renamed
			}
		}
	}
	delete(touched, old)
	touched[renamed] = true
	return c, patches, touched
}

// patchBody is a SCIM PatchOp request body.
type patchBody struct {
	Operations []struct {
		Op    string
		Path  string
		Value json.RawMessage
	}
}

// checkPatches holds the requests of a cycle to what changed: each user
// PATCH touches exactly the changed attributes, group PATCHes go only to
// the groups that changed, never replacing the member list, and nothing
// else is written.
func checkPatches(t *testing.T, reqs []scimtest.Request, users, groups []map[string]any, want map[string][]string, touched map[string]bool) {
	t.Helper()
	nameOf := map[string]string{} // id → lowercased userName or group displayName
	for _, m := range users {
		u := decodeResource[scim.User](t, m)
		nameOf[u.ID] = strings.ToLower(u.UserName)
	}
	for _, m := range groups {
		g := decodeResource[scim.Group](t, m)
		nameOf[g.ID] = g.DisplayName
	}
	got := map[string][]string{}
	patchedGroups := map[string]bool{}
	for _, r := range reqs {
		if r.Method == "GET" {
			continue
		}
		var pb patchBody
		if r.Method != "PATCH" || json.Unmarshal(r.Body, &pb) != nil {
			t.Errorf("unexpected write %s %s: %s", r.Method, r.Path, r.Body)
			continue
		}
		name := nameOf[r.Path[strings.LastIndexByte(r.Path, '/')+1:]]
		switch {
		case strings.Contains(r.Path, "/Users/"):
			for _, op := range pb.Operations {
				got[name] = append(got[name], op.Path)
				if op.Path == scim.PathDivision && (op.Op != "remove" || op.Value != nil) {
					t.Errorf("cleared division of %s: %s, want a remove without a value", name, r.Body)
				}
			}
		default:
			patchedGroups[name] = true
			for _, op := range pb.Operations {
				if op.Path == "members" && op.Op == "replace" || op.Op == "remove" && op.Value != nil {
					t.Errorf("group %s: %s, want members added and removed one by one, by path", name, r.Body)
				}
			}
		}
	}
	for name, paths := range want {
		if !slices.Equal(got[name], paths) {
			t.Errorf("PATCH of %s touched %q, want %q", name, got[name], paths)
		}
	}
	for name, paths := range got {
		if want[name] == nil {
			t.Errorf("user %s was patched (%q) but did not change", name, paths)
		}
	}
	for name := range touched {
		if !patchedGroups[name] {
			t.Errorf("group %q changed but was not patched", name)
		}
	}
	for name := range patchedGroups {
		if !touched[name] {
			t.Errorf("group %q was patched but did not change", name)
		}
	}
}

// TestSyncSourceFormats: Entra's export, JSON and JSONL sources end in
// exactly the state they describe, on both services, and a re-run writes
// nothing.
func TestSyncSourceFormats(t *testing.T) {
	for _, svc := range e2eServices {
		for _, format := range []string{"entra", "json", "jsonl"} {
			t.Run(svc.name+"/"+format, func(t *testing.T) {
				s := svc.start(t)
				src, want := genSource(t, provisiontest.Options{Users: 300, Groups: 12, Seed: 21, UnverifiedEvery: 25}, format)
				code, stdout, stderr, _ := s.sync(t, src)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if sum := summaryOf(t, stdout); sum.Created != 288 || sum.Skipped != 12 {
					t.Errorf("summary %+v; want 288 created, 12 skipped", sum)
				}
				s.check(t, want)
				s.resetStats()
				if code, _, stderr, _ := s.sync(t, src); code != 0 {
					t.Fatalf("re-run: exit %d: %s", code, stderr)
				}
				if st := s.check(t, want); st.Writes != 0 {
					t.Errorf("re-run wrote %d times: %v", st.Writes, st.ByEndpoint)
				}
			})
		}
	}
}

// TestSyncThroughFaults: a cycle through 429s, 503s, resets and resets
// after the service applied the request ends exact, with no duplicate;
// a re-run through the same faults writes nothing.
func TestSyncThroughFaults(t *testing.T) {
	tests := []struct {
		name string
		opts scimtest.Options
	}{
		{"429", scimtest.Options{TooManyEvery: 60, RetryAfter: "0"}},
		{"503", scimtest.Options{FailEvery: 9}},
		{"reset", scimtest.Options{ResetEvery: 10}},
		{"reset after apply", scimtest.Options{ResetAfterApplyEvery: 6}},
		{"all", scimtest.Options{TooManyEvery: 61, RetryAfter: "0", FailEvery: 13, ResetEvery: 19, ResetAfterApplyEvery: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newSyncTarget(t, tt.opts)
			src, want := genSource(t, provisiontest.Options{Users: 240, Groups: 10, Seed: 4, UnverifiedEvery: -1}, "csv")
			code, stdout, stderr := tg.syncFast(t, src, "-o", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
			}
			sum := summaryOf(t, stdout)
			checkExact(t, tg.Users(), tg.Groups(), want)
			st := tg.Stats()
			if st.Faulted == 0 {
				t.Error("no request was faulted: the test tests nothing")
			}
			t.Logf("%d requests, %d faulted, %d retries (summary); %v", st.Requests, st.Faulted, sum.Retries, st.ByStatus)
			tg.ResetStats()
			if code, _, stderr := tg.syncFast(t, src); code != 0 || tg.Stats().Writes != 0 {
				t.Errorf("re-run: exit %d, %d writes: %s", code, tg.Stats().Writes, stderr)
			}
		})
	}
}

// TestSyncKill9: the real binary killed with SIGKILL in the middle of a
// cycle, at several points (creating users, creating groups), then the
// same command again: the service ends exactly in the desired state, with
// no user or group twice.
func TestSyncKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin, err := exec.LookPath("orgctl") // TestMain puts the test binary on PATH as orgctl
	if err != nil {
		t.Fatal(err)
	}
	const users = 300
	for _, tt := range []struct {
		name      string
		after     int64  // writes the service has seen before the kill
		wantPhase string // what the last of them wrote
		leave     int    // > 0: a first cycle completes, then this many users leave in the one killed
	}{
		{"early in users", 20, "/Users", 0},
		{"late in users", 250, "/Users", 0},
		{"in groups", users + 4, "/Groups", 0},
		{"in departures", 40, "/Users", 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tg := newSyncTarget(t, scimtest.Options{Latency: 2 * time.Millisecond})
			src, want := genSource(t, provisiontest.Options{Users: users, Groups: 8, Seed: 9, UnverifiedEvery: -1}, "csv")
			command := func(ctx context.Context) *exec.Cmd {
				cmd := exec.CommandContext(ctx, bin, "scim", "sync", src, "--verified-domain", provisiontest.Domain, "-q")
				cmd.Env = append(os.Environ(), "NO_COLOR=1")
				for k, v := range tg.env {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				return cmd
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if tt.leave > 0 {
				if out, err := command(ctx).CombinedOutput(); err != nil {
					t.Fatalf("first cycle: %v\n%s", err, out)
				}
				tg.writes.Store(0)
				changed := want.clone()
				for _, u := range changed.Users[users-tt.leave:] {
					changed.Inactive = append(changed.Inactive, u.UserName)
				}
				changed.Users = changed.Users[:users-tt.leave]
				src, want = changed.writeJSON(t), changed
			}
			hit := make(chan string, 1)
			hook := func(n int64) {
				if n == tt.after {
					for _, r := range slices.Backward(tg.Requests()) {
						if r.Method != "GET" {
							hit <- r.Path
							break
						}
					}
				}
			}
			tg.onWrite.Store(&hook)
			cmd := command(ctx)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case path := <-hit:
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				<-done
				if !strings.Contains(path, tt.wantPhase) {
					t.Errorf("killed after a write to %s, want one to %s", path, tt.wantPhase)
				}
			case err := <-done:
				t.Fatalf("the sync ended (%v) before %d writes", err, tt.after)
			}
			tg.onWrite.Store(nil)
			t.Logf("killed after %d writes: %d users, %d groups at the service", tt.after, len(tg.Users()), len(tg.Groups()))

			out, err := command(ctx).CombinedOutput()
			if err != nil {
				t.Fatalf("the run after the kill: %v\n%s", err, out)
			}
			checkExact(t, tg.Users(), tg.Groups(), want)
			if d := tg.Duplicates(); len(d) > 0 {
				t.Errorf("duplicates: %+v", d)
			}
		})
	}
}

// TestSyncServiceGone: a service that goes away mid-run ends the run with
// exit 1 or 5 and a clear message, not a hang; once it is back, the next
// run completes the job exactly.
func TestSyncServiceGone(t *testing.T) {
	tg := newSyncTarget(t, scimtest.Options{GoneAfter: 60})
	src, want := genSource(t, provisiontest.Options{Users: 120, Groups: 4, Seed: 2, UnverifiedEvery: -1}, "csv")
	start := time.Now()
	code, stdout, stderr := tg.syncFast(t, src)
	if code != 1 && code != 5 || !strings.Contains(stderr, "error:") {
		t.Errorf("exit %d, stderr %q; want 1 or 5 and the reason", code, stderr)
	}
	// The reason, not an echo of the run's own stop; and the summary does
	// not call the run done.
	if strings.Contains(stderr, "context canceled") || !strings.Contains(stderr, "connection reset") {
		t.Errorf("stderr %q: want the service's failure as the reason, not the cancellation it caused", stderr)
	}
	if strings.Contains(stdout, ": done") || !strings.Contains(stdout, "stopped") {
		t.Errorf("stdout %q: want the summary to say the run stopped", stdout)
	}
	t.Logf("gone after 60 requests: exit %d after %s: %s", code, time.Since(start).Round(time.Millisecond), strings.SplitN(stderr, "\n", 2)[0])
	tg.SetOptions(scimtest.Options{Token: scimToken})
	if code, _, stderr := tg.sync(t, src); code != 0 {
		t.Fatalf("the service back: exit %d: %s", code, stderr)
	}
	checkExact(t, tg.Users(), tg.Groups(), want)
}
