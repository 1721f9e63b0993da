package scim

import (
	"context"
	"errors"
	"fmt"
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
// none.
func (c *Client) FindGroup(ctx context.Context, displayName string) (*Group, error) {
	if displayName == "" {
		return nil, errors.New("scim: finding a group: no displayName")
	}
	return findOne(ctx, c, groupKind, "displayName", displayName, func(g *Group) bool {
		return strings.EqualFold(g.DisplayName, displayName)
	})
}

// lookupGroup finds the group that a create of g may have made or
// conflicted with: by externalId when g has one, then by displayName.
func (c *Client) lookupGroup(ctx context.Context, g *Group) (*Group, error) {
	if g.ExternalID != "" {
		found, err := findOne(ctx, c, groupKind, "externalId", g.ExternalID, func(f *Group) bool { return f.ExternalID == g.ExternalID })
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
// AddMembers.
func (c *Client) CreateGroup(ctx context.Context, g *Group) (created *Group, adopted bool, err error) {
	if g.DisplayName == "" {
		return nil, false, errors.New("scim: creating a group: no displayName")
	}
	return create(ctx, c, groupKind, g, func(ctx context.Context) (*Group, error) { return c.lookupGroup(ctx, g) })
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
		return errors.New("scim: patching a group: no id")
	}
	_, err := c.patch(ctx, groupKind.path(id), ops)
	return err
}

// RenameGroup sets the group's displayName: {"op":"replace","path":"displayName","value":name}.
func (c *Client) RenameGroup(ctx context.Context, id, displayName string) error {
	if displayName == "" {
		return errors.New("scim: renaming a group: empty displayName")
	}
	return c.PatchGroup(ctx, id, []PatchOp{{Op: OpReplace, Path: "displayName", Value: displayName}})
}

// AddMembers adds the ids to the group, at most Config.MembersPerPatch
// per request, each request one operation:
// {"op":"add","path":"members","value":[{"value":id},…]}.
func (c *Client) AddMembers(ctx context.Context, groupID string, ids ...string) error {
	return c.inChunks(ctx, groupID, "adding", ids, func(chunk []string) []PatchOp {
		values := make([]Member, len(chunk))
		for i, id := range chunk {
			values[i] = Member{Value: id}
		}
		return []PatchOp{{Op: OpAdd, Path: "members", Value: values}}
	})
}

// RemoveMembers removes the ids from the group, one operation per member,
// at most Config.MembersPerPatch operations per request:
// {"op":"remove","path":"members[value eq \"id\"]"}, without a value.
func (c *Client) RemoveMembers(ctx context.Context, groupID string, ids ...string) error {
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
		return errors.New("scim: deleting a group: no id")
	}
	return c.remove(ctx, groupKind.path(id))
}
