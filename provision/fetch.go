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
	snap := &Snapshot{Users: map[string]*scim.User{}, Members: map[string][]string{}, hashes: make(map[*DesiredUser]string, len(desired.Users))}
	type need struct {
		key, userName, id string
	}
	var needs []need
	unknown := 0
	st.mu.Lock()
	for _, du := range desired.Users {
		h := userHash(du.User)
		snap.hashes[du] = h
		key := strings.ToLower(du.User.UserName)
		rec := st.users[key]
		if userCurrent(rec, h) {
			continue
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
	st.mu.Unlock()

	var mu sync.Mutex // guards snap
	set := func(key string, u *scim.User) {
		mu.Lock()
		defer mu.Unlock()
		snap.Users[key] = u
		snap.Lookups++
	}
	if unknown > listAbove && unknown*2 > len(desired.Users) {
		all, err := c.ListUsers(ctx, scim.ListOptions{ExcludedAttributes: []string{"groups"}})
		if err != nil {
			return nil, err
		}
		snap.ListedUsers = true
		snap.Lookups++
		byName := make(map[string]*scim.User, len(all))
		byID := make(map[string]*scim.User, len(all))
		for _, u := range all {
			byName[strings.ToLower(u.UserName)] = u
			byID[u.ID] = u
		}
		for _, n := range needs {
			if u := byID[n.id]; n.id != "" && u != nil {
				snap.Users[n.key] = u
			} else if u := byName[n.key]; u != nil {
				snap.Users[n.key] = u
			}
		}
	} else {
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
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	if err := fetchGroups(ctx, c, desired, st, snap, opts); err != nil {
		return nil, err
	}
	return snap, nil
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
func fetchGroups(ctx context.Context, c *scim.Client, desired *Desired, st *State, snap *Snapshot, opts FetchOptions) error {
	type need struct {
		id, externalID, displayName string
	}
	var needs []need
	list := false
	st.mu.Lock()
	inSource := map[string]bool{}
	for _, dg := range desired.Groups {
		key := groupKey(dg.ExternalID, dg.DisplayName)
		inSource[key] = true
		rec := st.groups[key]
		ids := make([]string, len(dg.Members))
		for i, m := range dg.Members {
			if r := st.users[strings.ToLower(m)]; r != nil {
				ids[i] = r.ID
			}
		}
		if rec != nil && rec.ID != "" && !rec.Pending && rec.Hash == groupHash(dg) && sameSet(rec.Members, ids) && !slices.Contains(ids, "") {
			continue
		}
		n := need{externalID: dg.ExternalID, displayName: dg.DisplayName}
		if rec != nil && !rec.Pending {
			n.id = rec.ID
		}
		list = list || n.id == ""
		needs = append(needs, n)
	}
	for key, rec := range st.groups {
		if !inSource[key] && rec.ID != "" && !opts.Delete && len(rec.Members) > 0 {
			needs = append(needs, need{id: rec.ID})
		}
	}
	st.mu.Unlock()
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
