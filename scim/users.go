package scim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
		// MarshalJSON's output is already compact and unescaped: marshal
		// would only check and copy it again (docs/performance-sync.md).
		return b.MarshalJSON()
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
// ErrNotFound when there is none, an *AmbiguousError when the server has
// more than one.
func (c *Client) FindUser(ctx context.Context, userName string) (*User, error) {
	if userName == "" {
		return nil, invalidf("scim: finding a user: no userName")
	}
	return findOne(ctx, c, userKind, "userName", userName, func(u *User) bool {
		return strings.EqualFold(u.UserName, userName)
	})
}

// findUserByExternalID returns the user whose externalId is id (compared
// exactly: externalId is case-exact, RFC 7643 §3.1).
func (c *Client) findUserByExternalID(ctx context.Context, id string) (*User, error) {
	return findOne(ctx, c, userKind, "externalId", id, func(u *User) bool { return u.ExternalID == id })
}

// ResolveUser finds the user that ref names, as a person would name it: an
// id, else a userName (without regard to case), else an externalId. It
// returns ErrNotFound when none matches, an *AmbiguousError when a userName
// or externalId is held by several users, and ErrInvalid for an empty ref.
func (c *Client) ResolveUser(ctx context.Context, ref string) (*User, error) {
	if ref == "" {
		return nil, invalidf("scim: no user named: give an id, a userName or an externalId")
	}
	return resolve(ctx, ref, "user", "userName",
		func(ctx context.Context) (*User, error) { return c.GetUser(ctx, ref) },
		func(ctx context.Context) (*User, error) { return c.FindUser(ctx, ref) },
		func(ctx context.Context) (*User, error) { return c.findUserByExternalID(ctx, ref) })
}

// lookupUser finds the user that a create of u may have made or
// conflicted with: by userName, then by externalId.
func (c *Client) lookupUser(ctx context.Context, u *User) (*User, error) {
	found, err := c.FindUser(ctx, u.UserName)
	if errors.Is(err, ErrNotFound) && u.ExternalID != "" {
		return c.findUserByExternalID(ctx, u.ExternalID)
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
// user's attributes may differ from u: EnsureUser brings them in line.
func (c *Client) CreateUser(ctx context.Context, u *User) (created *User, adopted bool, err error) {
	if err := checkName("creating a user", "userName", u.UserName); err != nil {
		return nil, false, err
	}
	return create(ctx, c, userKind, u, func(ctx context.Context) (*User, error) { return c.lookupUser(ctx, u) }, decodeResource[User])
}

// CreateUserLean is CreateUser for a caller that takes u as what the
// server now has, such as a sync that keeps a hash of what it sent: of a
// created user it reads only the id and meta from the server's answer
// and returns a copy of u with them, rather than decoding the whole
// user. An adopted user (a 409, or a retried POST that finds an earlier
// attempt applied) is returned whole, as by CreateUser. sent is the body
// that was POSTed (u.MarshalJSON without id and meta), for the caller to
// hash rather than encode u again; nil when nothing was sent.
func (c *Client) CreateUserLean(ctx context.Context, u *User) (created *User, sent []byte, adopted bool, err error) {
	if err := checkName("creating a user", "userName", u.UserName); err != nil {
		return nil, nil, false, err
	}
	k := userKind
	k.body = func(u *User) ([]byte, error) {
		sent, err = userKind.body(u)
		return sent, err
	}
	created, adopted, err = create(ctx, c, k, u, func(ctx context.Context) (*User, error) { return c.lookupUser(ctx, u) }, createdFrom(u))
	return created, sent, adopted, err
}

// createdFrom reads the answer to the POST of u: u with the id and meta
// the server gave it. An answer that is not a JSON object is read whole,
// so that it fails as it does for CreateUser.
func createdFrom(u *User) func(c *Client, method, path string, resp *response) (*User, error) {
	return func(c *Client, method, path string, resp *response) (*User, error) {
		body := bytes.TrimSpace(resp.body)
		if resp.status == http.StatusNoContent || len(body) == 0 || body[0] != '{' {
			return decodeResource[User](c, method, path, resp)
		}
		// encoding/json matches these names without regard to case, as
		// SCIM attribute names are matched.
		var head struct {
			ID   string `json:"id"`
			Meta Meta   `json:"meta"`
		}
		if err := c.decode(method, path, resp, &head); err != nil {
			return nil, err
		}
		created := *u
		created.ID, created.Meta = head.ID, head.Meta
		return &created, nil
	}
}

// EnsureUser creates want, or adopts the user the server already has (see
// CreateUser) and updates it to want: every attribute want sets (a
// non-empty string, a non-nil Active or Emails) is applied with one PATCH
// of only what differs; attributes want leaves empty are kept, and so is
// the userName as the server spells it (it matched without regard to
// case). It returns the user as the server then has it, and adopted.
func (c *Client) EnsureUser(ctx context.Context, want *User) (u *User, adopted bool, err error) {
	u, adopted, err = c.CreateUser(ctx, want)
	if err != nil || !adopted {
		return u, adopted, err
	}
	target := Overlay(u, want)
	target.UserName = u.UserName
	ops := DiffUser(u, target)
	if len(ops) == 0 {
		return u, true, nil
	}
	u, err = c.PatchUser(ctx, u.ID, ops)
	if err != nil {
		return nil, true, fmt.Errorf("updating adopted user %s: %w", target.UserName, err)
	}
	return u, true, nil
}

// Overlay returns a copy of have with the attributes that set sets
// applied: each non-empty string DiffUser manages, a non-nil Active, a
// non-nil Emails (an empty non-nil slice removes them). It is the wanted
// state of a partial update, to pass to DiffUser. have is not modified.
func Overlay(have, set *User) *User {
	u := *have
	u.Emails = slices.Clone(have.Emails)
	if have.Active != nil {
		a := *have.Active
		u.Active = &a
	}
	str := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	str(&u.UserName, set.UserName)
	str(&u.ExternalID, set.ExternalID)
	str(&u.Name.GivenName, set.Name.GivenName)
	str(&u.Name.FamilyName, set.Name.FamilyName)
	str(&u.Enterprise.Department, set.Enterprise.Department)
	str(&u.Enterprise.EmployeeNumber, set.Enterprise.EmployeeNumber)
	str(&u.Enterprise.CostCenter, set.Enterprise.CostCenter)
	str(&u.Enterprise.Division, set.Enterprise.Division)
	if set.Active != nil {
		a := *set.Active
		u.Active = &a
	}
	if set.Emails != nil {
		u.Emails = slices.Clone(set.Emails)
		if u.Emails == nil {
			u.Emails = []Email{}
		}
	}
	return &u
}

// ReplaceUser replaces the user u.ID with u (PUT): attributes u leaves
// empty are cleared on the server, Extra is sent back as it is. With ETag
// support, u.Meta.Version is sent as If-Match (ErrPreconditionFailed when
// the user changed since). It returns the user as the server has it.
func (c *Client) ReplaceUser(ctx context.Context, u *User) (*User, error) {
	return replace(ctx, c, userKind, u)
}

// PatchUser applies ops to the user id in one request (see DiffUser) and
// returns the user as the server then has it: from the response, or read
// with a GET when the server answers 204 No Content (as many do). Empty ops
// send no PATCH; the user is read. ErrUnsupported when the server says it
// does not support PATCH.
func (c *Client) PatchUser(ctx context.Context, id string, ops []PatchOp) (*User, error) {
	if id == "" {
		return nil, invalidf("scim: patching a user: no id")
	}
	resp, err := c.patch(ctx, userKind.path(id), ops)
	if err != nil {
		return nil, err
	}
	var u *User
	if resp != nil {
		if u, err = decodeResource[User](c, "PATCH", userKind.path(id), resp); err != nil {
			return nil, err
		}
	}
	if u == nil {
		return c.GetUser(ctx, id)
	}
	return u, nil
}

// DeactivateUser sets active to false: {"op":"replace","path":"active","value":false}.
// It does not read the user back.
func (c *Client) DeactivateUser(ctx context.Context, id string) error {
	if id == "" {
		return invalidf("scim: deactivating a user: no id")
	}
	_, err := c.patch(ctx, userKind.path(id), []PatchOp{{Op: OpReplace, Path: "active", Value: false}})
	return err
}

// DeleteUser deletes the user id; ErrNotFound when there is none (unless
// an earlier attempt of this call deleted it).
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if id == "" {
		return invalidf("scim: deleting a user: no id")
	}
	return c.remove(ctx, userKind.path(id))
}
