package provision

import (
	"encoding/binary"
	"hash/maphash"
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
// problems collected in a *SourceError: a mapped userName that is empty
// or that scim.CheckName refuses, a mapped active that is not a boolean,
// duplicate mapped userNames or externalIds, duplicate groups, and a
// group member naming no user of the source. A bad Mapping or Scope gives their Validate error.
//
// The users' strings share the Source's memory: a Desired keeps its Source
// alive.
func Build(src *Source, m Mapping, scope Scope, verified Verified) (*Desired, error) {
	b, err := newBuilder(src, m, scope, verified)
	if err != nil {
		return nil, err
	}
	b.d.Users = make([]*DesiredUser, 0, src.Len())
	if err := b.pass(func(u *DesiredUser) { b.d.Users = append(b.d.Users, u) }); err != nil {
		return nil, err
	}
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
	d, err := BuildStream(src, m, scope, verified)
	if err != nil {
		return nil, err
	}
	if err := d.stream(each); err != nil {
		return nil, err
	}
	d.stream = nil
	for _, g := range d.Groups {
		d.fillMembers(g)
	}
	d.arena = nil
	return d, nil
}

// BuildStream is Build for a source of any size, with a source from
// OpenSource above all: it validates the whole source as Build does and
// returns a Desired with Groups, Skipped and Attributes and without Users,
// which Sync walks a batch at a time, mapping each user again from the
// source. What it keeps is a hash of each userName in scope (for the
// users who left) and the groups' members.
func BuildStream(src *Source, m Mapping, scope Scope, verified Verified) (*Desired, error) {
	b, err := newBuilder(src, m, scope, verified)
	if err != nil {
		return nil, err
	}
	d := b.d
	d.seed = maphash.MakeSeed()
	b.arena = &arena{}
	if err := b.pass(func(u *DesiredUser) {
		d.inScopeKeys = append(d.inScopeKeys, maphash.String(d.seed, strings.ToLower(u.User.UserName)))
		d.n++
	}); err != nil {
		return nil, err
	}
	slices.Sort(d.inScopeKeys)
	if err := b.errs.err(src.Name); err != nil {
		return nil, err
	}
	d.stream = func(each func(*DesiredUser) error) error { return b.walk(each) }
	d.arena = b.arena
	return d, nil
}

// walk maps the users of a valid source again (so with no problem to
// find) and gives each in scope to each, with its Groups.
func (b *builder) walk(each func(*DesiredUser) error) error {
	b.uniq = nil
	n := len(b.src.fields)
	vals := make([]string, 0, n+1)
	return b.src.each(func(r sourceRow) error {
		vals = append(r.values(vals, n), "")
		u := b.user(r.line, vals)
		if u == nil || b.admit(vals, u) != "" {
			return nil
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
		return each(u)
	})
}

// arena holds the userNames of the users in scope of a streamed Desired,
// by ordinal (their order in the source), packed in chunks of 1 MiB:
// about 25 bytes a user, where a string apiece would take 40 and keep
// more alive. Groups keep their members as ordinals.
type arena struct {
	chunks [][]byte
	offs   []uint32 // ordinal → chunk<<arenaShift | offset of a length-prefixed name
}

const arenaShift = 20

// add keeps s and returns its ordinal.
func (a *arena) add(s string) uint32 {
	need := binary.MaxVarintLen32 + len(s)
	if n := len(a.chunks); n == 0 || len(a.chunks[n-1])+need > cap(a.chunks[n-1]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(1<<arenaShift, need)))
	}
	last := len(a.chunks) - 1
	c := a.chunks[last]
	a.offs = append(a.offs, uint32(last)<<arenaShift|uint32(len(c)))
	c = binary.AppendUvarint(c, uint64(len(s)))
	a.chunks[last] = append(c, s...)
	return uint32(len(a.offs) - 1)
}

// name returns the userName of ordinal i.
func (a *arena) name(i uint32) string {
	p := a.offs[i]
	c := a.chunks[p>>arenaShift][p&(1<<arenaShift-1):]
	n, k := binary.Uvarint(c)
	return string(c[k : k+int(n)])
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
func (b *builder) pass(emit func(*DesiredUser)) error {
	jsonGroups := make([]*DesiredGroup, len(b.src.groups))
	for i, g := range b.src.groups {
		jsonGroups[i] = b.jsonGroup(g)
	}
	n := len(b.src.fields)
	vals := make([]string, 0, n+1)
	err := b.src.each(func(r sourceRow) error {
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
		ord := -1
		if u != nil && b.arena != nil {
			ord = int(b.arena.add(u.User.UserName))
		}
		if b.groupsCol >= 0 && vals[b.groupsCol] != "" {
			for name := range strings.SplitSeq(vals[b.groupsCol], groupSep) {
				if g := b.group(name, ""); g != nil && u != nil {
					addMember(g, u, ord)
				}
			}
		}
		if u != nil && emit != nil {
			emit(u)
		}
		return nil
	})
	for i, g := range b.src.groups {
		b.jsonMembers(g, jsonGroups[i])
	}
	return err
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
	// arena, for a streamed Desired, keeps the members' userNames.
	arena *arena
}

// user maps one source user, or records why it cannot be.
func (b *builder) user(line int, vals []string) *DesiredUser {
	u := &scim.User{}
	for i := range b.mp.users {
		c := &b.mp.users[i]
		c.set(u, c.value(vals))
	}
	if err := scim.CheckName(u.UserName); err != nil {
		b.errs.add(line, "userName", u.UserName, "userName %v after mapping", err)
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
			addMember(g, u, -1)
		}
	}
}

// addMember makes u a member of g, once: by its arena ordinal when ord
// is not negative, else by its userName.
func addMember(g *DesiredGroup, u *DesiredUser, ord int) {
	if slices.Contains(u.Groups, g.DisplayName) {
		return
	}
	u.Groups = append(u.Groups, g.DisplayName)
	if ord >= 0 {
		g.ords = append(g.ords, uint32(ord))
		return
	}
	g.Members = append(g.Members, u.User.UserName)
}
