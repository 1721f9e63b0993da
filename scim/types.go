package scim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Schema and message URNs (RFC 7643, RFC 7644).
const (
	SchemaUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError          = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// User is a SCIM User (RFC 7643 §4.1) with the enterprise extension
// (§4.3). Attributes this type does not name are kept in Extra and sent
// back unchanged, so that a user read and written with ReplaceUser loses
// nothing.
//
// Its JSON form has "schemas" computed from the content: the core User
// schema, the enterprise URN only when Enterprise has a value, and the URN
// of each extension object found in Extra.
type User struct {
	ID         string
	ExternalID string
	UserName   string
	// Active is nil when the server did not say, or, in a desired state,
	// when the caller does not manage it.
	Active     *bool
	Name       Name
	Emails     []Email
	Enterprise Enterprise
	Meta       Meta
	// Extra holds every other attribute by its name as received (e.g.
	// "displayName", "phoneNumbers", or a custom extension's URN).
	Extra map[string]json.RawMessage
}

// Name is a user's name (RFC 7643 §4.1.1).
type Name struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// Email is one of a user's e-mail addresses.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// Enterprise holds the enterprise extension's attributes (RFC 7643 §4.3),
// sent under SchemaEnterpriseUser.
type Enterprise struct {
	EmployeeNumber string   `json:"employeeNumber,omitempty"`
	CostCenter     string   `json:"costCenter,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	Division       string   `json:"division,omitempty"`
	Department     string   `json:"department,omitempty"`
	Manager        *Manager `json:"manager,omitempty"`
}

// Manager is the enterprise extension's manager reference.
type Manager struct {
	Value       string `json:"value,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// Meta is a resource's metadata (RFC 7643 §3.1), read-only: it is in the
// JSON form (for output) but never in a request body.
// Version is the ETag, used as If-Match when the server supports ETags.
type Meta struct {
	ResourceType string `json:"resourceType,omitempty"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// MarshalJSON writes u with its schemas; empty attributes are left out.
func (u User) MarshalJSON() ([]byte, error) {
	var w writer
	w.field("schemas", u.schemas())
	w.str("id", u.ID)
	w.str("externalId", u.ExternalID)
	w.str("userName", u.UserName)
	if u.Name != (Name{}) {
		w.field("name", u.Name)
	}
	if u.Active != nil {
		w.field("active", *u.Active)
	}
	if len(u.Emails) > 0 {
		w.field("emails", u.Emails)
	}
	if u.Enterprise != (Enterprise{}) {
		w.field(SchemaEnterpriseUser, u.Enterprise)
	}
	if u.Meta != (Meta{}) {
		w.field("meta", u.Meta)
	}
	w.extra(u.Extra)
	return w.bytes()
}

func (u *User) schemas() []string {
	s := []string{SchemaUser}
	if u.Enterprise != (Enterprise{}) {
		s = append(s, SchemaEnterpriseUser)
	}
	return append(s, extensions(u.Extra)...)
}

// extensions are the names in extra that are extension schema URNs with an
// object value.
func extensions(extra map[string]json.RawMessage) []string {
	var s []string
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if strings.HasPrefix(strings.ToLower(k), "urn:") && strings.HasPrefix(strings.TrimSpace(string(extra[k])), "{") {
			s = append(s, k)
		}
	}
	return s
}

// UnmarshalJSON reads a user leniently: attribute names in any case,
// active as a boolean or "true"/"false", unknown attributes into Extra.
func (u *User) UnmarshalJSON(data []byte) error {
	o, err := decodeObject(data)
	if err != nil {
		return fmt.Errorf("decoding a user: %w", err)
	}
	o.take("schemas") // recomputed when written
	var active *lenientBool
	*u = User{}
	u.Extra, err = o.decodeAttrs(
		attr{"id", &u.ID}, attr{"externalId", &u.ExternalID}, attr{"userName", &u.UserName},
		attr{"active", &active}, attr{"name", &u.Name}, attr{"emails", &u.Emails},
		attr{SchemaEnterpriseUser, &u.Enterprise}, attr{"meta", &u.Meta})
	if err != nil {
		return fmt.Errorf("decoding user %s: %w", firstNonEmpty(u.ID, u.UserName), err)
	}
	if active != nil {
		b := bool(*active)
		u.Active = &b
	}
	return nil
}

// Group is a SCIM Group (RFC 7643 §4.2). Attributes this type does not
// name are kept in Extra.
type Group struct {
	ID          string
	ExternalID  string
	DisplayName string
	// Members is nil when the server did not send them (or, in a request,
	// when they are not to be sent at all); an empty non-nil slice is sent
	// as "members": [].
	Members []Member
	Meta    Meta
	Extra   map[string]json.RawMessage
}

// Member is one member of a group: Value is the member's id.
type Member struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Ref     string `json:"$ref,omitempty"`
	Type    string `json:"type,omitempty"`
}

// MarshalJSON writes g with its schemas.
func (g Group) MarshalJSON() ([]byte, error) {
	var w writer
	w.field("schemas", append([]string{SchemaGroup}, extensions(g.Extra)...))
	w.str("id", g.ID)
	w.str("externalId", g.ExternalID)
	w.str("displayName", g.DisplayName)
	if g.Members != nil {
		w.field("members", g.Members)
	}
	if g.Meta != (Meta{}) {
		w.field("meta", g.Meta)
	}
	w.extra(g.Extra)
	return w.bytes()
}

// UnmarshalJSON reads a group leniently, unknown attributes into Extra.
func (g *Group) UnmarshalJSON(data []byte) error {
	o, err := decodeObject(data)
	if err != nil {
		return fmt.Errorf("decoding a group: %w", err)
	}
	o.take("schemas")
	*g = Group{}
	g.Extra, err = o.decodeAttrs(
		attr{"id", &g.ID}, attr{"externalId", &g.ExternalID}, attr{"displayName", &g.DisplayName},
		attr{"members", &g.Members}, attr{"meta", &g.Meta})
	if err != nil {
		return fmt.Errorf("decoding group %s: %w", firstNonEmpty(g.ID, g.DisplayName), err)
	}
	return nil
}

// ListResponse is one page of a query (RFC 7644 §3.4.2). It is read
// leniently: counts as numbers or numeric strings, "Resources" in any
// case. The Client pages through lists itself (ListUsers, ListGroups);
// the type is exported for servers and tests that speak the protocol.
type ListResponse[T any] struct {
	TotalResults int
	ItemsPerPage int
	StartIndex   int
	Resources    []T
}

type listJSON[T any] struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   int      `json:"startIndex"`
	Resources    []T      `json:"Resources"`
}

// MarshalJSON writes l with its schema; Resources is [] rather than null.
func (l ListResponse[T]) MarshalJSON() ([]byte, error) {
	r := l.Resources
	if r == nil {
		r = []T{}
	}
	return marshal(listJSON[T]{[]string{SchemaListResponse}, l.TotalResults, l.ItemsPerPage, l.StartIndex, r})
}

// UnmarshalJSON reads a page leniently.
func (l *ListResponse[T]) UnmarshalJSON(data []byte) error {
	var raw struct {
		TotalResults lenientInt `json:"totalResults"`
		ItemsPerPage lenientInt `json:"itemsPerPage"`
		StartIndex   lenientInt `json:"startIndex"`
		Resources    []T        `json:"Resources"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("decoding a list response: %w", err)
	}
	*l = ListResponse[T]{int(raw.TotalResults), int(raw.ItemsPerPage), int(raw.StartIndex), raw.Resources}
	return nil
}
