package provision

import (
	"slices"
	"strings"

	"github.com/orgctl/orgctl/scim"
)

// Build maps a source's users to SCIM users, applies the scoping rules and
// the verified-domain gate, and gathers the groups: the Desired state of a
// cycle. A user out of scope or whose domain is not verified is
// in Desired.Skipped, with the reason, and in no group's members.
//
// Build checks what depends on the mapping and the groups list, all
// problems collected in a *SourceError: a mapped userName that is empty, a
// mapped active that is not a boolean, duplicate mapped userNames or
// externalIds, duplicate groups, and a group member naming no user of the
// source. A bad Mapping or Scope gives their Validate error.
//
// The users' strings share the Source's memory: a Desired keeps its Source
// alive.
func Build(src *Source, m Mapping, scope Scope, verified Verified) (*Desired, error) {
	b, err := newBuilder(src, m, scope, verified)
	if err != nil {
		return nil, err
	}
	b.d.Users = make([]*DesiredUser, 0, len(src.users))
	b.pass(func(u *DesiredUser) { b.d.Users = append(b.d.Users, u) })
	if err := b.errs.err(src.Name); err != nil {
		return nil, err
	}
	return b.d, nil
}

// BuildEach is Build for sources too big to hold every mapped user at once
// (a mapped user takes about 500 bytes more than its Source record). It
// validates the whole source first, as Build does, then calls each for
// every user in scope, in source order, with the user's Groups filled in;
// the *DesiredUser is each's to keep or drop. The Desired it returns has
// Groups, Skipped and Attributes, and no Users. An error of each ends the
// walk and is returned as it is.
func BuildEach(src *Source, m Mapping, scope Scope, verified Verified, each func(*DesiredUser) error) (*Desired, error) {
	b, err := newBuilder(src, m, scope, verified)
	if err != nil {
		return nil, err
	}
	b.pass(nil)
	if err := b.errs.err(src.Name); err != nil {
		return nil, err
	}
	// The source is valid: the same walk again maps the same users, with
	// no problem to find.
	b.uniq = nil
	n := len(b.src.fields)
	vals := make([]string, 0, n+1)
	for _, r := range b.src.users {
		vals = append(r.values(vals, n), "")
		u := b.user(r.line, vals)
		if u == nil || b.admit(vals, u) != "" {
			continue
		}
		if b.byName != nil {
			u.Groups = b.byName[strings.ToLower(vals[b.nameCol])].Groups
		} else if b.groupsCol >= 0 && vals[b.groupsCol] != "" {
			for name := range strings.SplitSeq(vals[b.groupsCol], groupSep) {
				if name, _ = b.mapGroup(name, ""); name != "" {
					if g := b.groups[strings.ToLower(name)]; !slices.Contains(u.Groups, g.DisplayName) {
						u.Groups = append(u.Groups, g.DisplayName)
					}
				}
			}
		}
		if err := each(u); err != nil {
			return nil, err
		}
	}
	return b.d, nil
}

func newBuilder(src *Source, m Mapping, scope Scope, verified Verified) (*builder, error) {
	mp, err := m.compile(src)
	if err != nil {
		return nil, err
	}
	sc, err := scope.compile(src)
	if err != nil {
		return nil, err
	}
	b := &builder{
		src: src, mp: mp, sc: sc, gate: newGate(verified),
		groupsCol: src.column(FieldGroups), nameCol: src.column(FieldUserName),
		groups: map[string]*DesiredGroup{}, groupIDs: map[string]int{},
		d: &Desired{Attributes: mp.managed},
	}
	if !mp.plainName || !mp.plainID {
		b.uniq = newUniq(len(src.users))
	}
	if len(src.groups) > 0 {
		b.byName = make(map[string]*DesiredUser, len(src.users))
	}
	return b, nil
}

// pass walks the source once: it maps every user, records the problems,
// the skipped users and the groups with their members, and gives each user
// in scope to emit (if not nil) before the JSON groups' members are added
// to its Groups.
func (b *builder) pass(emit func(*DesiredUser)) {
	jsonGroups := make([]*DesiredGroup, len(b.src.groups))
	for i, g := range b.src.groups {
		jsonGroups[i] = b.jsonGroup(g)
	}
	n := len(b.src.fields)
	vals := make([]string, 0, n+1)
	for _, r := range b.src.users {
		vals = append(r.values(vals, n), "") // the column of fields the source lacks
		u := b.user(r.line, vals)
		if u != nil {
			if reason := b.admit(vals, u); reason != "" {
				b.d.Skipped = append(b.d.Skipped, Skip{Line: r.line, UserName: u.User.UserName, Reason: reason, Detail: b.why})
				u = nil
			}
		}
		if b.byName != nil {
			// nil for a user skipped or in error (its error is said).
			b.byName[strings.ToLower(vals[b.nameCol])] = u
		}
		if b.groupsCol >= 0 && vals[b.groupsCol] != "" {
			for name := range strings.SplitSeq(vals[b.groupsCol], groupSep) {
				if g := b.group(name, ""); g != nil && u != nil {
					addMember(g, u)
				}
			}
		}
		if u != nil && emit != nil {
			emit(u)
		}
	}
	for i, g := range b.src.groups {
		b.jsonMembers(g, jsonGroups[i])
	}
}

// admit returns "" when u, mapped from vals, is in scope and of a verified
// domain, else the reason to skip it, with the detail in b.why.
func (b *builder) admit(vals []string, u *DesiredUser) string {
	if in, why := b.sc.inScope(vals); !in {
		b.why = why
		return ReasonOutOfScope
	}
	if why := b.gate.check(u.User.UserName); why != "" {
		b.why = why
		return ReasonDomainNotVerified
	}
	return ""
}

type builder struct {
	src *Source
	sc  *scoper
	// groupsCol and nameCol are the columns of groups and userName.
	groupsCol, nameCol int
	// why is the detail of admit's last reason.
	why    string
	mp     *mapper
	gate   *gate
	uniq   *uniq
	errs   errs
	d      *Desired
	groups map[string]*DesiredGroup // by lowercased displayName
	// groupIDs are the lines of the JSON groups by externalId.
	groupIDs map[string]int
	// byName has the source's users by lowercased userName as in the
	// source (nil for one skipped), for the JSON groups' members.
	byName map[string]*DesiredUser
}

// user maps one source user, or records why it cannot be.
func (b *builder) user(line int, vals []string) *DesiredUser {
	u := &scim.User{}
	for i := range b.mp.users {
		c := &b.mp.users[i]
		c.set(u, c.value(vals))
	}
	if u.UserName == "" {
		b.errs.add(line, "userName", "", "userName is empty after mapping")
		return nil
	}
	if b.uniq != nil {
		b.uniq.check(&b.errs, line, u.UserName, u.ExternalID)
	}
	active := true
	if c := b.mp.active; c != nil {
		v := c.value(vals)
		var ok bool
		if active, ok = parseActive(v); !ok {
			b.errs.add(line, c.target, v, "invalid boolean after mapping: want true or false")
			return nil
		}
	}
	u.Active = &active
	return &DesiredUser{Line: line, User: u}
}

// mapGroup maps a group's displayName and externalId as the group
// mapping says.
func (b *builder) mapGroup(name, externalID string) (string, string) {
	vals := []string{name, externalID, ""}
	if c := b.mp.group.displayName; c != nil {
		name = c.value(vals)
	}
	externalID = ""
	if c := b.mp.group.externalID; c != nil {
		externalID = c.value(vals)
	}
	return name, externalID
}

// group returns the group named name once mapped (case-insensitively),
// registering it when it is new; nil when the name maps to "".
func (b *builder) group(name, externalID string) *DesiredGroup {
	name, externalID = b.mapGroup(name, externalID)
	if name == "" {
		return nil
	}
	key := strings.ToLower(name)
	if g, ok := b.groups[key]; ok {
		return g
	}
	g := &DesiredGroup{DisplayName: name, ExternalID: externalID, Members: []string{}}
	b.groups[key] = g
	b.d.Groups = append(b.d.Groups, g)
	return g
}

// jsonGroup registers a group of the JSON groups list, or records why it
// cannot be.
func (b *builder) jsonGroup(sg sourceGroup) *DesiredGroup {
	name, externalID := b.mapGroup(sg.displayName, sg.externalID)
	if name == "" {
		b.errs.add(sg.line, "displayName", sg.displayName, "group displayName is empty after mapping")
		return nil
	}
	if _, dup := b.groups[strings.ToLower(name)]; dup {
		b.errs.add(sg.line, "displayName", name, "duplicate group displayName (compared case-insensitively)")
		return nil
	}
	if externalID != "" {
		if first, dup := b.groupIDs[externalID]; dup {
			b.errs.add(sg.line, "externalId", externalID, "duplicate group externalId: line %d has it too", first)
			return nil
		}
		b.groupIDs[externalID] = sg.line
	}
	return b.group(sg.displayName, sg.externalID)
}

// jsonMembers adds the members a JSON group lists to g; a member naming no
// user of the source is an error, one naming a skipped user is left out.
func (b *builder) jsonMembers(sg sourceGroup, g *DesiredGroup) {
	for _, m := range sg.members {
		u, known := b.byName[strings.ToLower(strings.TrimSpace(m))]
		switch {
		case !known:
			b.errs.add(sg.line, "members", m, "group %q lists a member that is no user of the source", sg.displayName)
		case u != nil && g != nil:
			addMember(g, u)
		}
	}
}

// addMember makes u a member of g, once.
func addMember(g *DesiredGroup, u *DesiredUser) {
	if slices.Contains(u.Groups, g.DisplayName) {
		return
	}
	u.Groups = append(u.Groups, g.DisplayName)
	g.Members = append(g.Members, u.User.UserName)
}
