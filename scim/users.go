package scim

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

var userKind = kind[User]{
	endpoint: "/Users",
	noun:     "user",
	id:       func(u *User) string { return u.ID },
	version:  func(u *User) string { return u.Meta.Version },
	body: func(u *User) ([]byte, error) {
		b := *u
		b.ID, b.Meta = "", Meta{}
		return marshal(b)
	},
}

// GetUser returns the user with the given id; ErrNotFound when there is
// none.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	return get(ctx, c, userKind, id)
}

// ListUsers returns every user that opt selects, reading all pages (see
// the package documentation on pagination). It returns ErrPagination
// rather than a list it knows to be incomplete.
func (c *Client) ListUsers(ctx context.Context, opt ListOptions) ([]*User, error) {
	return list(ctx, c, userKind, opt)
}

// FindUser returns the user whose userName is userName (compared without
// regard to case, as RFC 7643 says), asking with the filter userName eq;
// ErrNotFound when there is none.
func (c *Client) FindUser(ctx context.Context, userName string) (*User, error) {
	if userName == "" {
		return nil, errors.New("scim: finding a user: no userName")
	}
	return findOne(ctx, c, userKind, "userName", userName, func(u *User) bool {
		return strings.EqualFold(u.UserName, userName)
	})
}

// lookupUser finds the user that a create of u may have made or
// conflicted with: by userName, then by externalId.
func (c *Client) lookupUser(ctx context.Context, u *User) (*User, error) {
	found, err := c.FindUser(ctx, u.UserName)
	if errors.Is(err, ErrNotFound) && u.ExternalID != "" {
		return findOne(ctx, c, userKind, "externalId", u.ExternalID, func(f *User) bool { return f.ExternalID == u.ExternalID })
	}
	return found, err
}

// CreateUser creates u (its ID and Meta are not sent) and returns the user
// as the server has it.
//
// When the server already has the user, adopted is true and the returned
// user is the existing one, found by userName (or externalId): on a 409,
// and when a retried POST finds that an earlier attempt, which failed
// with a timeout, a reset or a 5xx, was applied after all. An adopted
// user's attributes may differ from u: compare with DiffUser and patch.
func (c *Client) CreateUser(ctx context.Context, u *User) (created *User, adopted bool, err error) {
	if u.UserName == "" {
		return nil, false, errors.New("scim: creating a user: no userName")
	}
	return create(ctx, c, userKind, u, func(ctx context.Context) (*User, error) { return c.lookupUser(ctx, u) })
}

// ReplaceUser replaces the user u.ID with u (PUT): attributes u leaves
// empty are cleared on the server, Extra is sent back as it is. With ETag
// support, u.Meta.Version is sent as If-Match (ErrPreconditionFailed when
// the user changed since). It returns the user as the server has it.
func (c *Client) ReplaceUser(ctx context.Context, u *User) (*User, error) {
	return replace(ctx, c, userKind, u)
}

// PatchUser applies ops to the user id in one request (see DiffUser) and
// returns the user as the server has it, or nil when the server answers
// 204 No Content. Empty ops send nothing and return (nil, nil).
// ErrUnsupported when the server says it does not support PATCH.
func (c *Client) PatchUser(ctx context.Context, id string, ops []PatchOp) (*User, error) {
	if id == "" {
		return nil, errors.New("scim: patching a user: no id")
	}
	resp, err := c.patch(ctx, userKind.path(id), ops)
	if err != nil || resp == nil {
		return nil, err
	}
	return decodeResource[User](c, "PATCH", userKind.path(id), resp)
}

// DeactivateUser sets active to false: {"op":"replace","path":"active","value":false}.
func (c *Client) DeactivateUser(ctx context.Context, id string) error {
	_, err := c.PatchUser(ctx, id, []PatchOp{{Op: OpReplace, Path: "active", Value: false}})
	return err
}

// DeleteUser deletes the user id; ErrNotFound when there is none (unless
// an earlier attempt of this call deleted it).
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("scim: deleting a user: no id")
	}
	return c.remove(ctx, userKind.path(id))
}
