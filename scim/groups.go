package scim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

var groupKind = kind[Group]{
	endpoint: "/Groups",
	noun:     "group",
	id:       func(g *Group) string { return g.ID },
	version:  func(g *Group) string { return g.Meta.Version },
	body: func(g *Group) ([]byte, error) {
		b := *g
		b.ID, b.Meta = "", Meta{}
		return marshal(b)
	},
	lean: []string{"members"},
}

// GetGroup returns the group with the given id, members included;
// ErrNotFound when there is none.
func (c *Client) GetGroup(ctx context.Context, id string) (*Group, error) {
	return get(ctx, c, groupKind, id)
}

// ListGroups returns every group that opt selects, reading all pages.
// Pass ExcludedAttributes: []string{"members"} unless the members are
// needed: large groups make large pages.
func (c *Client) ListGroups(ctx context.Context, opt ListOptions) ([]*Group, error) {
	return list(ctx, c, groupKind, opt)
}

// FindGroup returns the group whose displayName is displayName (compared
// without regard to case), without its members; ErrNotFound when there is
// none, an *AmbiguousError when several groups have it (servers need not
// keep displayNames unique).
func (c *Client) FindGroup(ctx context.Context, displayName string) (*Group, error) {
	if displayName == "" {
		return nil, invalidf("scim: finding a group: no displayName")
	}
	return findOne(ctx, c, groupKind, "displayName", displayName, func(g *Group) bool {
		return strings.EqualFold(g.DisplayName, displayName)
	})
}

// findGroupByExternalID returns the group whose externalId is id (compared
// exactly), without its members.
func (c *Client) findGroupByExternalID(ctx context.Context, id string) (*Group, error) {
	return findOne(ctx, c, groupKind, "externalId", id, func(g *Group) bool { return g.ExternalID == id })
}

// ResolveGroup finds the group that ref names: an id (the group is
// returned with its members), else a displayName (without regard to case),
// else an externalId (both returned without members, as searches leave
// them out). It returns ErrNotFound when none matches, an *AmbiguousError
// when several groups have that displayName or externalId, and ErrInvalid
// for an empty ref.
func (c *Client) ResolveGroup(ctx context.Context, ref string) (*Group, error) {
	if ref == "" {
		return nil, invalidf("scim: no group named: give an id, a displayName or an externalId")
	}
	return resolve(ctx, ref, "group", "displayName",
		func(ctx context.Context) (*Group, error) { return c.GetGroup(ctx, ref) },
		func(ctx context.Context) (*Group, error) { return c.FindGroup(ctx, ref) },
		func(ctx context.Context) (*Group, error) { return c.findGroupByExternalID(ctx, ref) })
}

// lookupGroup finds the group that g stands for (DESIGN.md §5): by
// externalId when g has one, then by displayName without regard to case.
func (c *Client) lookupGroup(ctx context.Context, g *Group) (*Group, error) {
	if g.ExternalID != "" {
		found, err := c.findGroupByExternalID(ctx, g.ExternalID)
		if !errors.Is(err, ErrNotFound) {
			return found, err
		}
	}
	return c.FindGroup(ctx, g.DisplayName)
}

// CreateGroup creates g and returns the group as the server has it, with
// adopted as for CreateUser: true when an existing group (same externalId,
// else same displayName) was found after a 409 or a failed attempt. Its
// members are sent in the one POST: create a large group empty, then use
// AddMembers. It does not look before it creates: servers that let two
// groups share a displayName then hold both; EnsureGroup looks first.
func (c *Client) CreateGroup(ctx context.Context, g *Group) (created *Group, adopted bool, err error) {
	if err := checkName("creating a group", "displayName", g.DisplayName); err != nil {
		return nil, false, err
	}
	return create(ctx, c, groupKind, g, func(ctx context.Context) (*Group, error) { return c.lookupGroup(ctx, g) }, decodeResource[Group])
}

// EnsureGroup returns the group that want stands for, creating it only
// when there is none: it looks by externalId (when want has one), then by
// displayName without regard to case, so that running it twice never
// makes a duplicate. A group found is adopted (adopted is true) and
// brought to want's displayName and externalId where want sets them and
// they differ, with one PATCH; it is returned as the search found it,
// without members. want.Members is never sent: add members with
// AddMembers, which sends only the missing ones. An *AmbiguousError when
// several groups match.
func (c *Client) EnsureGroup(ctx context.Context, want *Group) (g *Group, adopted bool, err error) {
	if err := checkName("ensuring a group", "displayName", want.DisplayName); err != nil {
		return nil, false, err
	}
	bare := &Group{DisplayName: want.DisplayName, ExternalID: want.ExternalID, Extra: want.Extra}
	g, err = c.lookupGroup(ctx, bare)
	if errors.Is(err, ErrNotFound) {
		return c.CreateGroup(ctx, bare)
	}
	if err != nil {
		return nil, false, err
	}
	var ops []PatchOp
	if g.DisplayName != want.DisplayName {
		ops = append(ops, PatchOp{Op: OpReplace, Path: "displayName", Value: want.DisplayName})
	}
	if want.ExternalID != "" && g.ExternalID != want.ExternalID {
		ops = append(ops, PatchOp{Op: OpReplace, Path: "externalId", Value: want.ExternalID})
	}
	if err := c.PatchGroup(ctx, g.ID, ops); err != nil {
		return nil, true, fmt.Errorf("updating adopted group %s: %w", g.ID, err)
	}
	g.DisplayName = want.DisplayName
	g.ExternalID = cmp.Or(want.ExternalID, g.ExternalID)
	return g, true, nil
}

// ReplaceGroup replaces the group g.ID with g (PUT). A nil g.Members
// leaves "members" out of the request, which most servers take as "no
// members": prefer RenameGroup, AddMembers and RemoveMembers.
func (c *Client) ReplaceGroup(ctx context.Context, g *Group) (*Group, error) {
	return replace(ctx, c, groupKind, g)
}

// PatchGroup applies ops to the group id in one request. The response
// body, which may list every member, is not decoded. Empty ops send
// nothing.
func (c *Client) PatchGroup(ctx context.Context, id string, ops []PatchOp) error {
	if id == "" {
		return invalidf("scim: patching a group: no id")
	}
	_, err := c.patch(ctx, groupKind.path(id), ops)
	return err
}

// RenameGroup sets g's displayName ({"op":"replace","path":"displayName","value":name})
// and g.DisplayName with it. A g that already has displayName (compared
// exactly: a change of case is a rename) sends nothing and returns false.
func (c *Client) RenameGroup(ctx context.Context, g *Group, displayName string) (renamed bool, err error) {
	if err := checkName("renaming a group", "displayName", displayName); err != nil {
		return false, err
	}
	if g.DisplayName == displayName {
		return false, nil
	}
	if err := c.PatchGroup(ctx, g.ID, []PatchOp{{Op: OpReplace, Path: "displayName", Value: displayName}}); err != nil {
		return false, err
	}
	g.DisplayName = displayName
	return true, nil
}

// MemberChanges says what AddMembers or RemoveMembers found and did, by
// member id, in the order the ids were given (repeats dropped).
type MemberChanges struct {
	Added          []string `json:"added,omitempty"`           // sent in an add
	AlreadyMembers []string `json:"already_members,omitempty"` // listed by the server; not sent
	Removed        []string `json:"removed,omitempty"`         // sent in a remove
	NotMembers     []string `json:"not_members,omitempty"`     // not listed by the server; not sent
}

// Members returns the ids of the group's members as the server lists them
// (GET /Groups/{id}?attributes=members).
func (c *Client) Members(ctx context.Context, groupID string) ([]string, error) {
	if groupID == "" {
		return nil, invalidf("scim: reading a group's members: no group id")
	}
	path := groupKind.path(groupID)
	resp, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: url.Values{"attributes": {"members"}}})
	if err != nil {
		return nil, err
	}
	g, err := decodeResource[Group](c, http.MethodGet, path, resp)
	if err != nil || g == nil {
		return nil, err
	}
	ids := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		ids = append(ids, m.Value)
	}
	return ids, nil
}

// AddMembers adds the users (or groups) ids to the group, sending only
// those the server does not list yet: it reads the members first, since
// some servers hold a member twice when it is added again. The adds go at
// most Config.MembersPerPatch per request, each request one operation:
// {"op":"add","path":"members","value":[{"value":id},…]}.
func (c *Client) AddMembers(ctx context.Context, groupID string, ids ...string) (*MemberChanges, error) {
	return c.changeMembers(ctx, groupID, ids, true)
}

// RemoveMembers removes the ids from the group, keeping the other members
// and sending only those the server lists: one operation per member, at
// most Config.MembersPerPatch operations per request:
// {"op":"remove","path":"members[value eq \"id\"]"}, without a value.
func (c *Client) RemoveMembers(ctx context.Context, groupID string, ids ...string) (*MemberChanges, error) {
	return c.changeMembers(ctx, groupID, ids, false)
}

// changeMembers adds (or removes) those of ids that are not (or are)
// members yet.
func (c *Client) changeMembers(ctx context.Context, groupID string, ids []string, add bool) (*MemberChanges, error) {
	if len(ids) == 0 {
		return &MemberChanges{}, nil // nothing to read or send
	}
	have, err := c.memberSet(ctx, groupID, ids)
	if err != nil {
		return nil, err
	}
	var todo, skip []string
	for _, id := range uniq(ids) {
		if have[id] != add {
			todo = append(todo, id)
		} else {
			skip = append(skip, id)
		}
	}
	if add {
		return &MemberChanges{Added: todo, AlreadyMembers: skip}, c.sendAdds(ctx, groupID, todo)
	}
	return &MemberChanges{Removed: todo, NotMembers: skip}, c.sendRemoves(ctx, groupID, todo)
}

// memberSet reads the group's members, after checking ids.
func (c *Client) memberSet(ctx context.Context, groupID string, ids []string) (map[string]bool, error) {
	if slices.Contains(ids, "") {
		return nil, invalidf("scim: changing the members of group %s: an empty member id", groupID)
	}
	members, err := c.Members(ctx, groupID)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(members))
	for _, m := range members {
		set[m] = true
	}
	return set, nil
}

// uniq returns ids without repeats, in order.
func uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// sendAdds adds ids in chunks, without looking at the members first.
func (c *Client) sendAdds(ctx context.Context, groupID string, ids []string) error {
	return c.inChunks(ctx, groupID, "adding", ids, func(chunk []string) []PatchOp {
		values := make([]Member, len(chunk))
		for i, id := range chunk {
			values[i] = Member{Value: id}
		}
		return []PatchOp{{Op: OpAdd, Path: "members", Value: values}}
	})
}

// sendRemoves removes ids in chunks, without looking at the members first.
func (c *Client) sendRemoves(ctx context.Context, groupID string, ids []string) error {
	return c.inChunks(ctx, groupID, "removing", ids, func(chunk []string) []PatchOp {
		ops := make([]PatchOp, len(chunk))
		for i, id := range chunk {
			ops[i] = removeMember(id)
		}
		return ops
	})
}

// inChunks sends ops(chunk) for each chunk of ids, in order, stopping at
// the first failure, which says how far it got.
func (c *Client) inChunks(ctx context.Context, groupID, verb string, ids []string, ops func([]string) []PatchOp) error {
	n := c.membersPerPatch
	for from := 0; from < len(ids); from += n {
		to := min(from+n, len(ids))
		if err := c.PatchGroup(ctx, groupID, ops(ids[from:to])); err != nil {
			return fmt.Errorf("%s members %d-%d of %d, group %s: %w", verb, from+1, to, len(ids), groupID, err)
		}
	}
	return nil
}

// DeleteGroup deletes the group id; ErrNotFound when there is none
// (unless an earlier attempt of this call deleted it).
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	if id == "" {
		return invalidf("scim: deleting a group: no id")
	}
	return c.remove(ctx, groupKind.path(id))
}
