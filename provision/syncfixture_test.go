package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

const fixtureToken = "sync-t0ken-SECRET"

// genDesired makes a desired state of n users in the verified domain
// main.test and groups groups, with the awkward values real directories
// have: non-ASCII names, commas and quotes, mixed-case userNames, a
// leading-zero employee number. Users of an unverified domain are in
// Skipped. User i is in groups i%groups and (i/3)%groups.
func genDesired(n, groups int) *Desired {
	d := &Desired{}
	names := []string{"Zoë", "José, Jr.", `Ann "Nancy"`, "Łukasz", "李", "O'Brien", "Ægir"}
	gs := make([]*DesiredGroup, groups)
	for i := range gs {
		gs[i] = &DesiredGroup{DisplayName: fmt.Sprintf("Team %02d – Ünïcode, \"quoted\"", i), ExternalID: fmt.Sprintf("grp-%02d", i)}
	}
	for i := range n {
		user := fmt.Sprintf("user%05d@main.test", i)
		if i%5 == 0 {
			user = fmt.Sprintf("User%05d@Main.Test", i)
		}
		u := &scim.User{
			UserName:   user,
			ExternalID: fmt.Sprintf("ext-%05d", i),
			Active:     new(i%17 != 0),
			Name:       scim.Name{GivenName: names[i%len(names)], FamilyName: fmt.Sprintf("Family%d", i)},
			Enterprise: scim.Enterprise{Department: fmt.Sprintf("Dept %d", i%9), EmployeeNumber: fmt.Sprintf("%06d", i)},
		}
		du := &DesiredUser{Line: i + 2, User: u}
		if groups > 0 {
			for _, g := range []int{i % groups, (i / 3) % groups} {
				if !slices.Contains(du.Groups, gs[g].DisplayName) {
					du.Groups = append(du.Groups, gs[g].DisplayName)
					gs[g].Members = append(gs[g].Members, user)
				}
			}
		}
		d.Users = append(d.Users, du)
	}
	d.Groups = gs
	for i := range 3 {
		d.Skipped = append(d.Skipped, Skip{Line: n + 2 + i, UserName: fmt.Sprintf("stranger%d@unverified.test", i), Reason: ReasonDomainNotVerified, Detail: "domain unverified.test is not verified"})
	}
	return d
}

// cloneDesired deep-copies d, so that a test can change a copy.
func cloneDesired(d *Desired) *Desired {
	c := &Desired{Skipped: slices.Clone(d.Skipped)}
	for _, du := range d.Users {
		u := *du.User
		if u.Active != nil {
			u.Active = new(*u.Active)
		}
		c.Users = append(c.Users, &DesiredUser{Line: du.Line, User: &u, Groups: slices.Clone(du.Groups)})
	}
	for _, g := range d.Groups {
		c.Groups = append(c.Groups, &DesiredGroup{DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: slices.Clone(g.Members)})
	}
	return c
}

// target is a scimtest server with a sync state directory.
type target struct {
	t   testing.TB
	srv *scimtest.Server
	dir string
}

func newTarget(t testing.TB, opts scimtest.Options) *target {
	t.Helper()
	if opts.Token == "" {
		opts.Token = fixtureToken
	}
	opts.ExemptPaths = append(opts.ExemptPaths, "/ServiceProviderConfig", "/ResourceTypes", "/Schemas")
	return &target{t: t, srv: scimtest.Start(t, opts), dir: t.TempDir()}
}

// client returns a client for the target whose transport goes through
// pacer, with wrap (if any) between them and the network.
func (tg *target) client(url string, pacer *Pacer, wrap func(http.RoundTripper) http.RoundTripper) *scim.Client {
	tg.t.Helper()
	var base http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if wrap != nil {
		base = wrap(base)
	}
	c, err := scim.New(scim.Config{URL: cmpStr(url, tg.srv.URL), Token: scim.NewToken(fixtureToken),
		Retry: scim.Retry{Base: time.Millisecond, Max: 5 * time.Millisecond}, Timeout: 10 * time.Second},
		scim.WithTransport(pacer.Transport(base)))
	if err != nil {
		tg.t.Fatal(err)
	}
	return c
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sync runs one cycle with a fresh client and state, as a new process
// would.
func (tg *target) sync(ctx context.Context, d *Desired, opts Options, wrap func(http.RoundTripper) http.RoundTripper) (*Plan, *Summary, error) {
	tg.t.Helper()
	st, err := OpenState(tg.dir, tg.srv.URL)
	if err != nil {
		tg.t.Fatal(err)
	}
	defer st.Close()
	if opts.Pacer == nil {
		opts.Pacer = NewPacer(PacerOptions{Concurrency: opts.Concurrency})
	}
	return Sync(ctx, tg.client("", opts.Pacer, wrap), st, d, opts)
}

// methods counts the requests the server received since the last reset,
// by method.
func (tg *target) methods() map[string]int {
	m := map[string]int{}
	for _, r := range tg.srv.Requests() {
		m[r.Method]++
	}
	return m
}

func writes(m map[string]int) int { return m["POST"] + m["PUT"] + m["PATCH"] + m["DELETE"] }

// serverUsers returns the server's users by lower-cased userName; a
// userName held twice fails the test.
func (tg *target) serverUsers() map[string]*scim.User {
	tg.t.Helper()
	out := map[string]*scim.User{}
	for _, m := range tg.srv.Users() {
		u := decodeAs[scim.User](tg.t, m)
		key := strings.ToLower(u.UserName)
		if out[key] != nil {
			tg.t.Errorf("the server holds userName %s twice", u.UserName)
		}
		out[key] = u
	}
	return out
}

func decodeAs[T any](t testing.TB, m map[string]any) *T {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkExact fails the test unless the server holds exactly the desired
// users and groups (plus the users in gone, inactive), each once.
func (tg *target) checkExact(d *Desired, gone ...string) {
	tg.t.Helper()
	users := tg.serverUsers()
	ids := map[string]string{} // lower userName → id
	for _, du := range d.Users {
		key := strings.ToLower(du.User.UserName)
		have := users[key]
		if have == nil {
			tg.t.Errorf("user %s: missing at the server", du.User.UserName)
			continue
		}
		ids[key] = have.ID
		want := *du.User
		want.ID, want.Meta, want.Extra = have.ID, have.Meta, have.Extra
		if ops := scim.DiffUser(have, &want); len(ops) > 0 || have.UserName != want.UserName {
			tg.t.Errorf("user %s: server differs from desired: %v", du.User.UserName, ops)
		}
		delete(users, key)
	}
	for _, g := range gone {
		u := users[strings.ToLower(g)]
		if u == nil || u.Active == nil || *u.Active {
			tg.t.Errorf("user %s: want it at the server, inactive; got %+v", g, u)
		}
		delete(users, strings.ToLower(g))
	}
	for key := range users {
		tg.t.Errorf("user %s: at the server, not desired", key)
	}
	groups := tg.srv.Groups()
	for _, dg := range d.Groups {
		var hits []*scim.Group
		for _, m := range groups {
			if g := decodeAs[scim.Group](tg.t, m); g.ExternalID == dg.ExternalID || strings.EqualFold(g.DisplayName, dg.DisplayName) {
				hits = append(hits, g)
			}
		}
		if len(hits) != 1 {
			tg.t.Errorf("group %s: %d at the server, want 1", dg.DisplayName, len(hits))
			continue
		}
		g := hits[0]
		if g.DisplayName != dg.DisplayName || g.ExternalID != dg.ExternalID {
			tg.t.Errorf("group %s: got displayName %q externalId %q, want %q %q", dg.DisplayName, g.DisplayName, g.ExternalID, dg.DisplayName, dg.ExternalID)
		}
		var want []string
		for _, m := range dg.Members {
			want = append(want, ids[strings.ToLower(m)])
		}
		if got := memberIDs(g); !sameSet(got, want) || len(got) != len(want) {
			tg.t.Errorf("group %s: %d members at the server, want %d (or other ids)", dg.DisplayName, len(got), len(want))
		}
	}
	if len(groups) != len(d.Groups) {
		tg.t.Errorf("the server holds %d groups, want %d", len(groups), len(d.Groups))
	}
}

// faultyTransport fails every request after the first n with a refused
// connection, or cancels ctx when cancel is set: a process that dies or a
// service that goes away mid-run.
type faultyTransport struct {
	base   http.RoundTripper
	after  int64
	n      atomic.Int64
	cancel context.CancelFunc
}

func (f *faultyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(1) > f.after {
		if f.cancel != nil {
			f.cancel()
			return nil, context.Canceled
		}
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("dial tcp: %w", errRefused)
	}
	return f.base.RoundTrip(r)
}
