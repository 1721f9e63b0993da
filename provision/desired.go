package provision

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/orgctl/orgctl/scim"
)

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

	// stream, when set, gives the users in scope one by one instead of
	// Users (see BuildStream); inScopeKeys then has the maphash (under
	// seed) of their lower-cased userNames.
	stream      func(each func(*DesiredUser) error) error
	inScopeKeys []uint64 // sorted
	seed        maphash.Seed
	n           int
	// arena has the userNames of the groups' members (their ords).
	arena *arena
}

// fillMembers sets g.Members from the arena, for a streamed Desired
// whose groups keep their members as ordinals.
func (d *Desired) fillMembers(g *DesiredGroup) {
	if d.arena == nil || len(g.Members) > 0 || len(g.ords) == 0 {
		return
	}
	g.Members = make([]string, len(g.ords))
	for i, o := range g.ords {
		g.Members[i] = d.arena.name(o)
	}
}

// Len returns the number of users in scope.
func (d *Desired) Len() int {
	if d.stream != nil {
		return d.n
	}
	return len(d.Users)
}

// eachBatch calls fn with the users in scope, batchUsers at a time.
func (d *Desired) eachBatch(fn func([]*DesiredUser) error) error {
	if d.stream == nil {
		for from := 0; from < len(d.Users); from += batchUsers {
			if err := fn(d.Users[from:min(from+batchUsers, len(d.Users))]); err != nil {
				return err
			}
		}
		return nil
	}
	batch := make([]*DesiredUser, 0, batchUsers)
	err := d.stream(func(u *DesiredUser) error {
		batch = append(batch, u)
		if len(batch) < batchUsers {
			return nil
		}
		err := fn(batch)
		batch = make([]*DesiredUser, 0, batchUsers)
		return err
	})
	if err == nil && len(batch) > 0 {
		err = fn(batch)
	}
	return err
}

// inScope returns a function that reports whether the user with the
// lower-cased userName key is among the users in scope.
func (d *Desired) inScope() func(key string) bool {
	if d.stream != nil {
		return func(key string) bool {
			_, ok := slices.BinarySearch(d.inScopeKeys, maphash.String(d.seed, key))
			return ok
		}
	}
	keys := make(map[string]bool, len(d.Users))
	for _, du := range d.Users {
		keys[strings.ToLower(du.User.UserName)] = true
	}
	return func(key string) bool { return keys[key] }
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
	// Members are the userNames of its members, as in Desired.Users. For a
	// Desired of BuildStream, Sync fills them in when it gets to the group.
	Members []string

	ords []uint32 // the members by arena ordinal, for a streamed Desired
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
