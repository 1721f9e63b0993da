package scim_test

// The acceptance scenarios of the SCIM client: one suite, run against the
// in-process server (scimtest, strict PATCH) and against an independent
// service built on scimmy (internal/peertest). Each scenario is a subtest
// with userNames of its own, so that they share a server; they run in
// order, since the paging scenario switches the in-process server's faults.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgctl/orgctl/internal/peertest"
	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

// service is a SCIM service as the scenarios see it: its base URL and
// what it received.
type service struct {
	url      string
	requests func() []wireRequest
}

// target is a service the suite runs against.
type target struct {
	name  string
	token string
	service
	// srv is the in-process server, whose fault switches some scenarios
	// turn on; nil for the others.
	srv *scimtest.Server
	// faulty returns a service with the same behaviour and the given
	// faults, stopped when t ends.
	faulty func(t *testing.T, f faults) service
}

func TestScenariosInProcess(t *testing.T) {
	opts := scimtest.Options{Token: "scenario-t0ken"}
	srv := scimtest.Start(t, opts)
	log := func(s *scimtest.Server) func() []wireRequest {
		return func() []wireRequest {
			var out []wireRequest
			for _, r := range s.Requests() {
				out = append(out, wireRequest{r.Method, r.Path, r.Body, r.Status})
			}
			return out
		}
	}
	runScenarios(t, target{
		name:    "in-process",
		token:   opts.Token,
		service: service{srv.URL, log(srv)},
		srv:     srv,
		faulty: func(t *testing.T, f faults) service {
			o := opts
			o.TooManyEvery, o.RetryAfter, o.FailEvery, o.ResetEvery = f.tooManyEvery, "1", f.failEvery, f.resetEvery
			s := scimtest.Start(t, o)
			return service{s.URL, log(s)}
		},
	})
}

func TestScenariosSCIMMY(t *testing.T) {
	s := peertest.StartSCIMMY(t)
	// scimmy keeps no request log: a pass-through proxy records what the
	// client sends, byte for byte.
	rec := startFaultProxy(t, s.URL, faults{})
	runScenarios(t, target{
		name:    "scimmy",
		token:   s.Token,
		service: service{rec.url, rec.requests},
		faulty: func(t *testing.T, f faults) service {
			p := startFaultProxy(t, s.URL, f)
			return service{p.url, p.requests}
		},
	})
}

// runScenarios runs every scenario against tg, in order, with one client.
func runScenarios(t *testing.T, tg target) {
	began := time.Now()
	c, trace := newClient(t, tg.url, tg.token, 0)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *target, *scim.Client)
	}{
		{"create", scenarioCreate},
		{"match", scenarioMatch},
		{"update", scenarioUpdate},
		{"deactivate-delete", scenarioDeactivateDelete},
		{"groups", scenarioGroups},
		{"members", scenarioMembers},
		{"paging", scenarioPaging},
		{"recovery", scenarioRecovery},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, &tg, c) })
	}
	t.Logf("%s: %d attempts by the suite's client (recovery's aside), %d retried; %v in all", tg.name, len(trace.all()), trace.retries(),
		time.Since(began).Round(time.Millisecond))
}

// trace records what the client did: each attempt, and each wait between
// attempts, which it does not really wait.
type trace struct {
	mu       sync.Mutex
	attempts []scim.RequestInfo
	waits    []time.Duration
}

func (tr *trace) onRequest(i scim.RequestInfo) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.attempts = append(tr.attempts, i)
}

func (tr *trace) all() []scim.RequestInfo {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.attempts)
}

func (tr *trace) slept() []time.Duration {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.waits)
}

func (tr *trace) retries() int {
	n := 0
	for _, i := range tr.all() {
		if i.Retry {
			n++
		}
	}
	return n
}

// newClient returns a client that makes at most attempts attempts per
// request (0: the default).
func newClient(t *testing.T, url, token string, attempts int) (*scim.Client, *trace) {
	t.Helper()
	tr := &trace{}
	c, err := scim.New(scim.Config{
		URL:       url,
		Token:     scim.NewToken(token),
		Retry:     scim.Retry{Attempts: attempts, Base: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		OnRequest: tr.onRequest,
	}, scim.WithSleep(func(ctx context.Context, d time.Duration) error {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.waits = append(tr.waits, d)
		return ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c, tr
}

var yes, no = true, false

// managed is the part of a user that the scenarios compare.
type managed struct {
	UserName, ExternalID string
	Active               *bool
	Name                 scim.Name
	Emails               []scim.Email
	Enterprise           scim.Enterprise
}

func (m managed) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func managedOf(u *scim.User) managed {
	return managed{u.UserName, u.ExternalID, u.Active, u.Name, u.Emails, u.Enterprise}
}

// checkUser fails t unless the server's copy of user id holds want's
// managed attributes, and returns it.
func checkUser(t *testing.T, c *scim.Client, id string, want *scim.User) *scim.User {
	t.Helper()
	got, err := c.GetUser(t.Context(), id)
	if err != nil {
		t.Fatalf("GetUser(%s): %v", id, err)
	}
	if g, w := managedOf(got), managedOf(want); g.String() != w.String() {
		t.Errorf("GetUser(%s)\n got %s\nwant %s", id, g, w)
	}
	return got
}

func createUser(t *testing.T, c *scim.Client, u *scim.User) *scim.User {
	t.Helper()
	got, adopted, err := c.CreateUser(t.Context(), u)
	if err != nil || adopted || got == nil || got.ID == "" {
		t.Fatalf("CreateUser(%s) = %v, adopted %v, %v; want a new user", u.UserName, got, adopted, err)
	}
	return got
}

// createUsers creates users prefix.000@main.com … concurrently, 8 at a
// time, and returns them in order.
func createUsers(t *testing.T, c *scim.Client, prefix string, n int) []*scim.User {
	t.Helper()
	users := make([]*scim.User, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				u := &scim.User{UserName: fmt.Sprintf("%s.%03d@main.com", prefix, i), Active: &yes}
				var adopted bool
				users[i], adopted, errs[i] = c.CreateUser(t.Context(), u)
				if errs[i] == nil && adopted {
					errs[i] = fmt.Errorf("CreateUser(%s) adopted an existing user", u.UserName)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return users
}

func ids[T any](rs []*T, id func(*T) string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = id(r)
	}
	slices.Sort(out)
	return out
}

func userIDs(us []*scim.User) []string { return ids(us, func(u *scim.User) string { return u.ID }) }

// memberIDs returns the sorted member ids of group id as the server has
// it; a member held twice appears twice.
func memberIDs(t *testing.T, c *scim.Client, id string) []string {
	t.Helper()
	g, err := c.GetGroup(t.Context(), id)
	if err != nil {
		t.Fatalf("GetGroup(%s): %v", id, err)
	}
	out := make([]string, len(g.Members))
	for i, m := range g.Members {
		out[i] = m.Value
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { return slices.Sorted(slices.Values(s)) }

// sent returns the requests with method to path (below the base URL)
// that the service received.
func (s service) sent(method, path string) []wireRequest {
	var out []wireRequest
	for _, r := range s.requests() {
		if r.Method == method && strings.HasSuffix(r.Path, scimtest.BasePath+path) {
			out = append(out, r)
		}
	}
	return out
}

// pinBody checks that the last request with method to path carried
// exactly want, and logs it.
func (s service) pinBody(t *testing.T, what, method, path, want string) {
	t.Helper()
	reqs := s.sent(method, path)
	if len(reqs) == 0 {
		t.Fatalf("no %s %s received", method, path)
	}
	got := string(reqs[len(reqs)-1].Body)
	if got != want {
		t.Errorf("%s: %s %s body\n got %s\nwant %s", what, method, path, got, want)
	}
	t.Logf("%s: %s %s\n%s", what, method, path, got)
}

// 1. A user is created with every mapped attribute; creating it again
// under another letter case adopts it.
func scenarioCreate(t *testing.T, tg *target, c *scim.Client) {
	want := &scim.User{
		UserName:   "create.ann@main.com",
		ExternalID: "ext-create-ann",
		Active:     &yes,
		Name:       scim.Name{GivenName: "Ann", FamilyName: "Lee"},
		Emails:     []scim.Email{{Value: "create.ann@main.com", Type: "work", Primary: true}},
		Enterprise: scim.Enterprise{EmployeeNumber: "E-1001", Department: "Sales", CostCenter: "CC-7", Division: "EMEA"},
	}
	created := createUser(t, c, want)
	checkUser(t, c, created.ID, want)

	again, adopted, err := c.CreateUser(t.Context(), &scim.User{UserName: "Create.ANN@Main.com", Active: &yes})
	if err != nil || !adopted || again.ID != created.ID {
		t.Fatalf("CreateUser of the same userName in other case = %v, adopted %v, %v; want user %s adopted", again, adopted, err, created.ID)
	}
	list, err := c.ListUsers(t.Context(), scim.ListOptions{Filter: scim.Eq("userName", want.UserName)})
	if err != nil {
		t.Fatal(err)
	}
	if got := userIDs(list); !slices.Equal(got, []string{created.ID}) {
		t.Errorf("users named %s: %q, want only %s", want.UserName, got, created.ID)
	}
}

// 2. FindUser matches userNames without regard to case, round-trips `"`
// and `\`, and says ErrNotFound for a name nobody has.
func scenarioMatch(t *testing.T, tg *target, c *scim.Client) {
	plain := createUser(t, c, &scim.User{UserName: "match.bob@main.com", Active: &yes})
	odd := createUser(t, c, &scim.User{UserName: `match."q"\b\@main.com`, Active: &yes})
	for _, tc := range []struct{ name, id string }{
		{"MATCH.Bob@MAIN.com", plain.ID},
		{`match."q"\b\@main.com`, odd.ID},
		{`MATCH."Q"\B\@main.com`, odd.ID},
	} {
		got, err := c.FindUser(t.Context(), tc.name)
		if err != nil || got.ID != tc.id {
			t.Errorf("FindUser(%s) = %v, %v; want user %s", tc.name, got, err, tc.id)
		}
	}
	if got, err := c.FindUser(t.Context(), "match.nobody@main.com"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("FindUser of a missing userName = %v, %v; want ErrNotFound", got, err)
	}
}

// updateBody is the PATCH that scenarioUpdate's DiffUser makes.
const updateBody = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` +
	`{"op":"replace","path":"active","value":false},` +
	`{"op":"replace","path":"name.givenName","value":"Anne"},` +
	`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Research"}]}`

// 3. DiffUser and PatchUser change what changed and nothing else; the
// server's copy then diffs to nothing.
func scenarioUpdate(t *testing.T, tg *target, c *scim.Client) {
	have := createUser(t, c, &scim.User{
		UserName:   "update.ann@main.com",
		ExternalID: "ext-update-ann",
		Active:     &yes,
		Name:       scim.Name{GivenName: "Ann", FamilyName: "Lee"},
		Emails:     []scim.Email{{Value: "update.ann@main.com", Type: "work", Primary: true}},
		Enterprise: scim.Enterprise{EmployeeNumber: "E-2002", Department: "Sales", CostCenter: "CC-7"},
	})
	want := *have
	want.Active = &no
	want.Name.GivenName = "Anne"
	want.Enterprise.Department = "Research"
	ops := scim.DiffUser(have, &want)
	if len(ops) != 3 {
		t.Fatalf("DiffUser = %+v, want 3 operations", ops)
	}
	if _, err := c.PatchUser(t.Context(), have.ID, ops); err != nil {
		t.Fatal(err)
	}
	got := checkUser(t, c, have.ID, &want)
	if ops := scim.DiffUser(got, &want); len(ops) != 0 {
		t.Errorf("DiffUser(server's copy, want) = %+v, want none", ops)
	}
	tg.pinBody(t, "user update", http.MethodPatch, "/Users/"+have.ID, updateBody)
}

// 4. DeactivateUser sets active=false; DeleteUser deletes. Deleting again
// is ErrNotFound on both servers (404, the first attempt's answer), which
// a caller can take as done.
func scenarioDeactivateDelete(t *testing.T, tg *target, c *scim.Client) {
	u := createUser(t, c, &scim.User{UserName: "gone.cy@main.com", Active: &yes, Name: scim.Name{GivenName: "Cy", FamilyName: "Ng"}})
	if err := c.DeactivateUser(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	want := *u
	want.Active = &no
	checkUser(t, c, u.ID, &want)

	if err := c.DeleteUser(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetUser(t.Context(), u.ID); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("GetUser after DeleteUser = %v, %v; want ErrNotFound", got, err)
	}
	if got, err := c.FindUser(t.Context(), u.UserName); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("FindUser after DeleteUser = %v, %v; want ErrNotFound", got, err)
	}
	err := c.DeleteUser(t.Context(), u.ID)
	if !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("second DeleteUser = %v, want ErrNotFound", err)
	}
	t.Logf("%s: a second DeleteUser: %v", tg.name, err)
}

// 5. A group keeps its id and members through a rename, is found by its
// new name only, and is gone once deleted, its members not.
func scenarioGroups(t *testing.T, tg *target, c *scim.Client) {
	users := createUsers(t, c, "groups", 2)
	g, adopted, err := c.CreateGroup(t.Context(), &scim.Group{
		DisplayName: "Scenario Sales",
		ExternalID:  "ext-grp-sales",
		Members:     []scim.Member{{Value: users[0].ID}, {Value: users[1].ID}},
	})
	if err != nil || adopted {
		t.Fatalf("CreateGroup = %v, adopted %v, %v", g, adopted, err)
	}
	if renamed, err := c.RenameGroup(t.Context(), g, "Scenario Revenue"); err != nil || !renamed {
		t.Fatalf("RenameGroup = %v, %v; want true, nil", renamed, err)
	}
	got, err := c.GetGroup(t.Context(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != g.ID || got.DisplayName != "Scenario Revenue" || got.ExternalID != "ext-grp-sales" {
		t.Errorf("after RenameGroup: id %s, displayName %q, externalId %q; want %s, \"Scenario Revenue\", \"ext-grp-sales\"",
			got.ID, got.DisplayName, got.ExternalID, g.ID)
	}
	if got, want := memberIDs(t, c, g.ID), userIDs(users); !slices.Equal(got, want) {
		t.Errorf("members after RenameGroup = %q, want %q", got, want)
	}
	if found, err := c.FindGroup(t.Context(), "scenario revenue"); err != nil || found.ID != g.ID {
		t.Errorf("FindGroup(new name) = %v, %v; want group %s", found, err, g.ID)
	}
	if found, err := c.FindGroup(t.Context(), "Scenario Sales"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("FindGroup(old name) = %v, %v; want ErrNotFound", found, err)
	}

	if err := c.DeleteGroup(t.Context(), g.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetGroup(t.Context(), g.ID); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("GetGroup after DeleteGroup = %v, %v; want ErrNotFound", got, err)
	}
	for _, u := range users {
		if _, err := c.GetUser(t.Context(), u.ID); err != nil {
			t.Errorf("member %s after DeleteGroup: %v", u.UserName, err)
		}
	}
}

// 6. Members are added and removed one by one without touching the
// others; a large addition goes in chunks of 100.
func scenarioMembers(t *testing.T, tg *target, c *scim.Client) {
	users := createUsers(t, c, "members", 5)
	id := func(i int) string { return users[i].ID }
	g := createGroup(t, c, "Scenario Five")

	if ch, err := c.AddMembers(t.Context(), g.ID, id(0), id(1), id(2)); err != nil {
		t.Fatal(err)
	} else if want := []string{id(0), id(1), id(2)}; !slices.Equal(ch.Added, want) || ch.AlreadyMembers != nil {
		t.Errorf("AddMembers to an empty group = %+v, want added %q", ch, want)
	}
	if got, want := memberIDs(t, c, g.ID), sorted(id(0), id(1), id(2)); !slices.Equal(got, want) {
		t.Errorf("after adding 0, 1, 2: members %q, want %q", got, want)
	}
	if ch, err := c.RemoveMembers(t.Context(), g.ID, id(1), id(3)); err != nil {
		t.Fatal(err)
	} else if !slices.Equal(ch.Removed, []string{id(1)}) || !slices.Equal(ch.NotMembers, []string{id(3)}) {
		t.Errorf("RemoveMembers(1, 3) = %+v, want removed [1], not members [3]", ch)
	}
	if got, want := memberIDs(t, c, g.ID), sorted(id(0), id(2)); !slices.Equal(got, want) {
		t.Errorf("after removing 1: members %q, want %q", got, want)
	}
	tg.pinBody(t, "member removal", http.MethodPatch, "/Groups/"+g.ID,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id(1)+`\"]"}]}`)
	before := len(tg.sent(http.MethodPatch, "/Groups/"+g.ID))
	if ch, err := c.AddMembers(t.Context(), g.ID, id(0)); err != nil {
		t.Fatal(err)
	} else if ch.Added != nil || !slices.Equal(ch.AlreadyMembers, []string{id(0)}) {
		t.Errorf("AddMembers of a member = %+v, want already members [0]", ch)
	}
	if n := len(tg.sent(http.MethodPatch, "/Groups/"+g.ID)) - before; n != 0 {
		t.Errorf("adding a member again sent %d PATCH requests, want none", n)
	}
	if got, want := memberIDs(t, c, g.ID), sorted(id(0), id(2)); !slices.Equal(got, want) {
		t.Errorf("after adding 0 again: members %q, want %q", got, want)
	}

	many := createUsers(t, c, "members250", 250)
	big := createGroup(t, c, "Scenario 250")
	if _, err := c.AddMembers(t.Context(), big.ID, userIDs(many)...); err != nil {
		t.Fatal(err)
	}
	if got, want := memberIDs(t, c, big.ID), userIDs(many); !slices.Equal(got, want) {
		t.Errorf("after adding 250: %d members, want the 250 users", len(got))
	}
	var chunks []int
	for _, r := range tg.sent(http.MethodPatch, "/Groups/"+big.ID) {
		var p struct {
			Operations []struct {
				Op, Path string
				Value    []scim.Member
			}
		}
		if err := json.Unmarshal(r.Body, &p); err != nil || len(p.Operations) != 1 || p.Operations[0].Op != "add" {
			t.Errorf("PATCH %s: want one add operation, got %s (%v)", r.Path, r.Body, err)
			continue
		}
		chunks = append(chunks, len(p.Operations[0].Value))
	}
	if want := []int{100, 100, 50}; !slices.Equal(chunks, want) {
		t.Errorf("PATCH requests adding 250 members held %v values, want %v", chunks, want)
	}
}

func createGroup(t *testing.T, c *scim.Client, name string) *scim.Group {
	t.Helper()
	g, adopted, err := c.CreateGroup(t.Context(), &scim.Group{DisplayName: name})
	if err != nil || adopted {
		t.Fatalf("CreateGroup(%s) = %v, adopted %v, %v", name, g, adopted, err)
	}
	return g
}

// 7. ListUsers reads 260 users across pages, each once; against the
// in-process server also when it clamps count, misreports itemsPerPage,
// ignores startIndex (ErrPagination, never a partial list) or answers 404
// to a filter that matches nothing.
func scenarioPaging(t *testing.T, tg *target, c *scim.Client) {
	users := createUsers(t, c, "page", 260)
	// list returns the ids listed and the number of pages read.
	list := func(filter string) ([]string, int, error) {
		before := len(tg.requests())
		got, err := c.ListUsers(t.Context(), scim.ListOptions{Filter: filter})
		pages := 0
		for _, r := range tg.requests()[before:] {
			if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/Users") {
				pages++
			}
		}
		return userIDs(got), pages, err
	}
	check := func(what, filter string, want []string, wantPages int) {
		t.Helper()
		got, pages, err := list(filter)
		if err != nil || !slices.Equal(got, want) || pages != wantPages {
			t.Errorf("%s: ListUsers(%s) = %d users in %d pages, %v; want %d users once each in %d pages",
				what, filter, len(got), pages, err, len(want), wantPages)
		}
	}
	all, first10 := userIDs(users), userIDs(users[:10])
	check("no fault", `userName sw "page."`, all, 3)
	if tg.srv == nil {
		return
	}

	base := tg.srv.Options()
	defer tg.srv.SetOptions(base)
	with := func(f func(*scimtest.Options)) {
		o := base
		f(&o)
		tg.srv.SetOptions(o)
	}
	// The client asks for pages of 100 (its discovery predates the clamp)
	// and gets 7 at a time.
	with(func(o *scimtest.Options) { o.MaxCount = 7 })
	check("MaxCount 7", `userName sw "page."`, all, 38)
	with(func(o *scimtest.Options) { o.MaxCount, o.MisreportItemsPerPage = 7, true })
	check("MaxCount 7, MisreportItemsPerPage", `userName sw "page."`, all, 38)

	with(func(o *scimtest.Options) { o.IgnoreStartIndex = true })
	if got, pages, err := list(`userName sw "page."`); !errors.Is(err, scim.ErrPagination) || len(got) != 0 || pages != 2 {
		t.Errorf("IgnoreStartIndex: ListUsers = %d users in %d pages, %v; want ErrPagination after 2 pages, no list", len(got), pages, err)
	}
	// A list that fits in one page is whole all the same.
	check("IgnoreStartIndex", `userName sw "page.00"`, first10, 1)

	with(func(o *scimtest.Options) { o.NotFoundOnEmptyFilter = true })
	if got, err := c.FindUser(t.Context(), "page.nobody@main.com"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("NotFoundOnEmptyFilter: FindUser = %v, %v; want ErrNotFound", got, err)
	}
	check("NotFoundOnEmptyFilter", scim.Eq("userName", "page.nobody@main.com"), []string{}, 1)
	if got, err := c.FindUser(t.Context(), users[0].UserName); err != nil || got.ID != users[0].ID {
		t.Errorf("NotFoundOnEmptyFilter: FindUser(%s) = %v, %v", users[0].UserName, got, err)
	}
}

// 8. With every 3rd request answered 429 (Retry-After: 1), every 4th 503
// and every 5th cut off without an answer, creating, updating, listing
// and deleting users still succeeds, Retry-After is honoured, and no user
// is created twice. The in-process server cuts a request off before it is
// applied; the proxy in front of scimmy after, so that a create must be
// adopted.
func scenarioRecovery(t *testing.T, tg *target, _ *scim.Client) {
	svc := tg.faulty(t, faults{tooManyEvery: 3, failEvery: 4, resetEvery: 5})
	// Together the faults hit 36 of every 60 requests, and the search
	// before a POST is sent again takes its turn too: the default 5
	// attempts can run out, as they should against a service that fails
	// this often.
	c, trace := newClient(t, svc.url, tg.token, 10)
	defer func() {
		if t.Failed() {
			for _, i := range trace.all() {
				t.Logf("%s %s attempt %d: %d %v", i.Method, i.Path, i.Attempt, i.Status, i.Err)
			}
		}
	}()
	const n = 8
	users := make([]*scim.User, n)
	adopted := 0
	for i := range users {
		u, a, err := c.CreateUser(t.Context(), &scim.User{UserName: fmt.Sprintf("recovery.%d@main.com", i), Active: &yes,
			Name: scim.Name{GivenName: "Old", FamilyName: "Name"}})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		users[i] = u
		if a {
			adopted++
		}
	}
	for i, u := range users {
		want := *u
		want.Name.GivenName = fmt.Sprint("New", i)
		if _, err := c.PatchUser(t.Context(), u.ID, scim.DiffUser(u, &want)); err != nil {
			t.Fatalf("PatchUser: %v", err)
		}
	}
	for _, u := range users[:2] {
		if err := c.DeleteUser(t.Context(), u.ID); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}
	list, err := c.ListUsers(t.Context(), scim.ListOptions{Filter: `userName sw "recovery."`})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	var got []string
	for _, u := range list {
		got = append(got, u.UserName+" "+u.Name.GivenName)
	}
	slices.Sort(got)
	var want []string
	for i := 2; i < n; i++ {
		want = append(want, fmt.Sprintf("recovery.%d@main.com New%d", i, i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("users after the run:\n got %q\nwant %q", got, want)
	}

	// The faults happened, and the client saw and survived each kind.
	served := map[int]int{}
	for _, r := range svc.requests() {
		served[r.Status]++
	}
	retried := map[int]int{}
	for _, i := range trace.all() {
		if i.Retry {
			retried[i.Status]++
		}
	}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, 0} {
		if served[status] == 0 || retried[status] == 0 {
			t.Errorf("status %d: served %d times, retried %d times; want both", status, served[status], retried[status])
		}
	}
	waits := trace.slept()
	if !slices.Contains(waits, time.Second) {
		t.Errorf("waits %v: want Retry-After's 1s among them", waits)
	}
	for _, w := range waits {
		if w != time.Second && w > 20*time.Millisecond {
			t.Errorf("wait %v: want 1s (Retry-After) or a backoff of at most 20ms", w)
		}
	}
	t.Logf("%s: served by status %v (0: cut off); client retries by status %v; %d creates adopted; %d waits of 1s (Retry-After), %d backoffs",
		tg.name, served, retried, adopted, countOf(waits, time.Second), len(waits)-countOf(waits, time.Second))
}

func countOf[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
