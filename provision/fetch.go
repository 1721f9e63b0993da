package provision

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/orgctl/orgctl/scim"
)

// DefaultConcurrency is the number of requests in flight when options
// leave it zero (DESIGN.md §7).
const DefaultConcurrency = 4

// listAbove is the number of users without a stored id above which Fetch
// lists the target once instead of looking each up, when they are also
// more than half of the desired users: one page holds up to 100–200
// users, so listing is cheaper as soon as most are unknown, and
// per-user lookups are cheaper for a few new users in a large target.
const listAbove = 50

// FetchOptions say how to read the server.
type FetchOptions struct {
	// Concurrency bounds the requests in flight (0: DefaultConcurrency).
	Concurrency int
	// Delete is PlanOptions.Delete: groups that left the source are then
	// deleted, and their members need not be read.
	Delete bool
}

// Fetch reads from the server what NewPlan needs to know and the state
// does not say: every desired user whose stored hash differs from the
// desired one or that has no stored id, and the groups that changed. A
// user or group the state says is as desired costs no request, so a
// re-run of an unchanged source reads nothing.
//
// Users with a stored id are read by id (a 404 re-matches by userName);
// the others by a userName eq filter, or, when they are more than
// listAbove and more than half of the desired users, by listing the
// target's users once. Groups without a stored id are matched by listing
// the target's groups (without members) once; the members of each group
// that changed are read with the group.
func Fetch(ctx context.Context, c *scim.Client, desired *Desired, st *State, opts FetchOptions) (*Snapshot, error) {
	snap := newSnapshot()
	rd, err := st.userReader()
	if err != nil {
		return nil, err
	}
	defer rd.close()
	if err := fetchUsers(ctx, c, rd, desired.Users, snap, &userList{}, opts); err != nil {
		return nil, err
	}
	claimed := map[string]bool{}
	for _, dg := range desired.Groups {
		claimed[groupKey(dg.ExternalID, dg.DisplayName)] = true
	}
	if err := fetchGroups(ctx, c, rd, desired.Groups, claimed, st, snap, opts); err != nil {
		return nil, err
	}
	return snap, nil
}

func newSnapshot() *Snapshot {
	return &Snapshot{Users: map[string]*scim.User{}, Members: map[string][]string{}, hashes: map[*DesiredUser]string{}}
}

// userList is the target's users, listed once a cycle at most.
type userList struct {
	done         bool
	byName, byID map[string]*scim.User
}

// fetchUsers reads the users that need a look (see Fetch) into snap,
// listing the target into list when most users are unknown and list was
// not made yet.
func fetchUsers(ctx context.Context, c *scim.Client, rd *userReader, users []*DesiredUser, snap *Snapshot, list *userList, opts FetchOptions) error {
	type need struct {
		key, userName, id string
	}
	var needs []need
	unknown := 0
	for _, du := range users {
		key := strings.ToLower(du.User.UserName)
		rec, err := rd.get(key)
		if err != nil {
			return err
		}
		if rec != nil { // without a record, the hash is not needed here (see planUsers)
			h := userHash(du.User)
			snap.hashes[du] = h
			if userCurrent(rec, h) {
				continue
			}
		}
		n := need{key: key, userName: du.User.UserName}
		if rec != nil {
			n.id = rec.ID
		}
		if n.id == "" {
			unknown++
		}
		needs = append(needs, n)
	}

	var mu sync.Mutex // guards snap
	set := func(key string, u *scim.User) {
		mu.Lock()
		defer mu.Unlock()
		snap.Users[key] = u
		snap.Lookups++
	}
	if !list.done && unknown > listAbove && unknown*2 > len(users) {
		all, err := c.ListUsers(ctx, scim.ListOptions{ExcludedAttributes: []string{"groups"}})
		if err != nil {
			return err
		}
		snap.Lookups++
		list.done = true
		list.byName = make(map[string]*scim.User, len(all))
		list.byID = make(map[string]*scim.User, len(all))
		for _, u := range all {
			list.byName[strings.ToLower(u.UserName)] = u
			list.byID[u.ID] = u
		}
	}
	if list.done {
		// The list holds every user that was at the target when the
		// cycle began; those created since are in the state.
		snap.ListedUsers = true
		for _, n := range needs {
			if u := list.byID[n.id]; n.id != "" && u != nil {
				snap.Users[n.key] = u
			} else if u := list.byName[n.key]; u != nil {
				snap.Users[n.key] = u
			}
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(positiveOr(opts.Concurrency, DefaultConcurrency))
	for _, n := range needs {
		g.Go(func() error {
			u, err := findUser(gctx, c, n.id, n.userName)
			if err != nil {
				return err
			}
			set(n.key, u)
			return nil
		})
	}
	return g.Wait()
}

// findUser reads the user by id, else (no id, or a 404) by userName; nil
// when there is none.
func findUser(ctx context.Context, c *scim.Client, id, userName string) (*scim.User, error) {
	if id != "" {
		u, err := c.GetUser(ctx, id)
		if !errors.Is(err, scim.ErrNotFound) {
			return u, err
		}
	}
	u, err := c.FindUser(ctx, userName)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// fetchGroups reads the groups that changed or left the source.
//
// claimed has the state keys of every group of the source; the groups
// of the state not among them left the source, and are read too. With
// claimed nil, they are not.
func fetchGroups(ctx context.Context, c *scim.Client, rd *userReader, groups []*DesiredGroup, claimed map[string]bool, st *State, snap *Snapshot, opts FetchOptions) error {
	type need struct {
		id, externalID, displayName string
	}
	var needs []need
	list := false
	recs := st.groupRecords()
	for _, dg := range groups {
		key := groupKey(dg.ExternalID, dg.DisplayName)
		rec := recs[key]
		ids := make([]string, len(dg.Members))
		for i, m := range dg.Members {
			r, err := rd.get(strings.ToLower(m))
			if err != nil {
				return err
			}
			if r != nil {
				ids[i] = r.ID
			}
		}
		if rec != nil && rec.ID != "" && !rec.Pending && rec.Hash == groupHash(dg) && rec.sameMembers(ids) && !slices.Contains(ids, "") {
			continue
		}
		n := need{externalID: dg.ExternalID, displayName: dg.DisplayName}
		if rec != nil && !rec.Pending {
			n.id = rec.ID
		}
		list = list || n.id == ""
		needs = append(needs, n)
	}
	for key, rec := range recs {
		if claimed != nil && !claimed[key] && rec.ID != "" && !opts.Delete && rec.hasMembers() {
			needs = append(needs, need{id: rec.ID})
		}
	}
	if len(needs) == 0 {
		return nil
	}

	read := func(id string) (*scim.Group, error) {
		g, err := c.GetGroup(ctx, id)
		snap.Lookups++
		if errors.Is(err, scim.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		snap.Members[g.ID] = memberIDs(g)
		return g, nil
	}
	listGroups := func() error {
		if snap.ListedGroups {
			return nil
		}
		all, err := c.ListGroups(ctx, scim.ListOptions{ExcludedAttributes: []string{"members"}})
		snap.Lookups++
		snap.Groups, snap.ListedGroups = all, true
		return err
	}
	if list {
		if err := listGroups(); err != nil {
			return err
		}
	}
	for _, n := range needs {
		g := matchGroup(snap.Groups, n.id, n.externalID, n.displayName)
		if g == nil && n.id != "" {
			var err error
			if g, err = read(n.id); err != nil {
				return err
			}
			if g != nil {
				snap.Groups = append(snap.Groups, g)
				continue
			}
			if n.displayName == "" { // a group that left the source and is gone
				continue
			}
			if !list {
				if err := listGroups(); err != nil {
					return err
				}
				list = true
			}
			g = matchGroup(snap.Groups, "", n.externalID, n.displayName)
		}
		if g == nil {
			continue
		}
		if _, ok := snap.Members[g.ID]; !ok {
			if _, err := read(g.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// memberIDs returns the ids of a group's members.
func memberIDs(g *scim.Group) []string {
	ids := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		ids = append(ids, m.Value)
	}
	return ids
}

// positiveOr returns v, or def when v is not positive (cmp.Or would keep
// a negative v).
func positiveOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
