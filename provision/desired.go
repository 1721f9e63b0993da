package provision

import "github.com/orgctl/orgctl/scim"

// Desired is what the source says the target should hold, after mapping,
// scoping and the verified-domain gate.
type Desired struct {
	// Users are the users in scope, in source order. Their userNames are
	// unique (compared case-insensitively), and so are their non-empty
	// externalIds.
	Users []*DesiredUser
	// Groups are the groups the sync manages: those named by the source's
	// groups (the JSON source's "groups" list, or the group names of the
	// users' groups column), with their members in scope.
	Groups []*DesiredGroup
	// Skipped are the users of the source that the sync leaves alone, with
	// the reason: out of scope, or a domain that is not verified. A
	// skipped user never appears in any request.
	Skipped []Skip
	// Attributes are the SCIM attribute paths the mapping manages for this
	// source (userName, name.givenName, emails[type eq "work"].value, the
	// enterprise ones with their URN…): the sync compares and sets these
	// and leaves the others as the server holds them. An attribute mapped
	// from a field the source lacks is not among them.
	Attributes []string
}

// DesiredUser is one user as the target should hold it.
type DesiredUser struct {
	// Line is where the user is in the source (1-based; for JSON, the
	// line its object starts on), for messages.
	Line int
	// User holds the mapped SCIM attributes; ID and Meta are empty.
	// Active is never nil.
	User *scim.User
	// Groups are the displayNames of the groups the user is a member of.
	Groups []string
}

// DesiredGroup is one group as the target should hold it.
type DesiredGroup struct {
	DisplayName string
	ExternalID  string
	// Members are the userNames of its members, as in Desired.Users.
	Members []string
}

// Skip is a source user the sync leaves alone.
type Skip struct {
	Line     int    `json:"line"`
	UserName string `json:"user_name"`
	// Reason is a stable code: "out_of_scope" or "domain_not_verified".
	Reason string `json:"reason"`
	// Detail says it for people: which rule, which domain.
	Detail string `json:"detail"`
}

// Reasons a user is skipped.
const (
	ReasonOutOfScope        = "out_of_scope"
	ReasonDomainNotVerified = "domain_not_verified"
)
