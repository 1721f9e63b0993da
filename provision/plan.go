package provision

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"

	"github.com/orgctl/orgctl/scim"
)

// Actions of a plan, as they appear in its JSON form and the provisioning
// log.
const (
	ActionCreateUser     = "create_user"
	ActionUpdateUser     = "update_user"
	ActionDeactivateUser = "deactivate_user"
	ActionDeleteUser     = "delete_user"
	ActionCreateGroup    = "create_group"
	ActionUpdateGroup    = "update_group"
	ActionEmptyGroup     = "empty_group"
	ActionDeleteGroup    = "delete_group"
)

// DefaultMaxDeletes is the deletion threshold when PlanOptions and
// ApplyOptions leave it zero (Entra's default).
const DefaultMaxDeletes = 500

// DefaultAttributes are the user attributes the sync manages unless
// PlanOptions.Attributes says otherwise: the provider tutorial's table
// (DESIGN.md §5). userName is always managed.
var DefaultAttributes = []string{
	"externalId", "active", "name.givenName", "name.familyName",
	scim.PathDepartment, scim.PathEmployeeNumber, scim.PathCostCenter, scim.PathDivision,
}

// PlanOptions say how to plan.
type PlanOptions struct {
	// Delete deletes users and groups that left the source, instead of
	// deactivating users and emptying groups.
	Delete bool
	// Attributes are the SCIM paths of the user attributes the mapping
	// sets (nil: DefaultAttributes). A managed attribute that a desired
	// user leaves empty is removed at the target; the others are never
	// touched. Paths DiffUser knows: externalId, active, name.givenName,
	// name.familyName, emails, and the enterprise paths (scim.PathDepartment,
	// …).
	Attributes []string
}

// Snapshot is what the server holds of the objects a plan needs to know
// about; Fetch builds it, tests may build it by hand. A user or group that
// needs a look at the server (see Fetch) and is not in the snapshot does
// not exist there.
type Snapshot struct {
	// Users are the server's users by the lower-cased userName of the
	// desired user each answers for.
	Users map[string]*scim.User
	// Groups are the server's groups the plan may match: all of them when
	// the groups were listed. Their Members are not used; see Members.
	Groups []*scim.Group
	// Members holds the member ids of the groups whose members were read,
	// by group id. For another group, the state's record stands in.
	Members map[string][]string
	// Lookups is the number of calls made to build the snapshot.
	Lookups int
	// ListedUsers is true when the users were listed whole rather than
	// looked up one by one.
	ListedUsers bool
	// ListedGroups is true when Groups are all the server's groups. When
	// it is false, a group the state knows by id and that is not in
	// Groups is taken to be as the state says.
	ListedGroups bool

	hashes map[*DesiredUser]string // computed by Fetch, reused by NewPlan
}

// Plan is what a cycle is going to do. Make one with NewPlan; print it
// (its JSON form is the `--dry-run -o json` output) or carry it out with
// Apply.
type Plan struct {
	Target  string    `json:"target"`
	Counts  Counts    `json:"counts"`
	Actions []*Action `json:"actions"`
	// Skipped are the users the desired state leaves out, with why.
	Skipped []Skip `json:"skipped"`

	// records are state updates that need no request: objects found at the
	// server just as desired.
	records []record
	// ours holds the hashes (idHash) of the ids of the users the state
	// records, sorted (8 bytes a user); found, those of the users the
	// server answered with. Together: the users the sync manages.
	ours  []uint64
	found map[uint64]struct{}
	seed  maphash.Seed
	// userNames maps some member ids to userNames, for the plan's
	// RemoveMembers: those found at the server, and those looked up.
	userNames map[string]string
	managed   managedSet
	st        *State
	opts      PlanOptions
	// groups are the state's group records when the plan began; claimed
	// their keys still in the source (or carried over to a new key).
	groups  map[string]*GroupRecord
	claimed map[string]bool
	// leaving are the deactivations and deletions of users, until added.
	leaving []*Action
}

// record is a state update that needs no request.
type record struct {
	user     *UserRecord  // or
	group    *GroupRecord // with
	groupKey string
	forget   string // group key to drop (a renamed key)
}

// Counts are the numbers of a plan's changes.
type Counts struct {
	Creates       int `json:"creates"`
	Updates       int `json:"updates"`
	Deactivations int `json:"deactivations"`
	Deletions     int `json:"deletions"`
	GroupCreates  int `json:"group_creates"`
	GroupUpdates  int `json:"group_updates"`
	GroupsEmptied int `json:"groups_emptied"`
	GroupDeletes  int `json:"group_deletions"`
	MemberAdds    int `json:"member_adds"`
	MemberRemoves int `json:"member_removes"`
	Skips         int `json:"skips"`
	Unchanged     int `json:"unchanged"`
}

// Action is one object's change.
type Action struct {
	// Op is one of the Action constants.
	Op string `json:"action"`
	// Identity is the userName or the group's displayName.
	Identity string `json:"identity"`
	// TargetID is the object's id at the target; "" before a create.
	TargetID string `json:"target_id,omitempty"`
	// Changes are the SCIM paths of the attributes changed.
	Changes []string `json:"changes,omitempty"`
	// AddMembers and RemoveMembers are the userNames of the members added
	// and removed (a member the state does not know by its id).
	AddMembers    []string `json:"add_members,omitempty"`
	RemoveMembers []string `json:"remove_members,omitempty"`

	key     string         // state key: lower-cased userName, or groupKey
	oldKey  string         // a group's state key before a change of key
	user    *scim.User     // the desired user
	hash    string         // of the desired user or group
	ops     []scim.PatchOp // a user's or group's attribute changes
	group   *DesiredGroup  // the desired group
	members []string       // ids the plan found in the group (nil: not read)
	removes []string       // member ids to remove
}

// Deletions returns the deactivations and deletions of users and groups:
// what the deletion threshold limits.
func (p *Plan) Deletions() int {
	return p.Counts.Deactivations + p.Counts.Deletions + p.Counts.GroupDeletes
}

// Writes returns the number of objects the plan changes.
func (p *Plan) Writes() int { return len(p.Actions) }

// CheckThreshold returns a *ThresholdError when the plan's deletions exceed
// max (0: DefaultMaxDeletes; negative: no limit).
func (p *Plan) CheckThreshold(max int) error {
	if max == 0 {
		max = DefaultMaxDeletes
	}
	if n := p.Deletions(); max > 0 && n > max {
		return &ThresholdError{Count: n, Limit: max}
	}
	return nil
}

// ThresholdError stops a cycle whose deactivations and deletions exceed
// the deletion threshold, before any write.
type ThresholdError struct {
	Count, Limit int
}

func (e *ThresholdError) Error() string {
	return fmt.Sprintf("the plan deactivates or deletes %d objects, over the deletion threshold of %d: nothing was changed (check the source, or raise --max-deletes)", e.Count, e.Limit)
}

// userHash is the hash of a desired user's attributes, as kept in the
// state: equal hashes mean nothing to push.
func userHash(u *scim.User) string {
	b, err := u.MarshalJSON() // not json.Marshal, which re-validates and compacts the output
	if err != nil {           // cannot happen for a User; hash something stable anyway
		b = []byte(u.UserName)
	}
	return bodyHash(b)
}

// bodyHash is userHash of the user whose encoding is b: a create hashes
// the body it POSTed (the same encoding, a desired user having no id or
// meta) rather than encoding the user a second time.
func bodyHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func groupHash(g *DesiredGroup) string {
	sum := sha256.Sum256([]byte(g.DisplayName + "\x00" + g.ExternalID))
	return hex.EncodeToString(sum[:16])
}

// userCurrent reports whether the state says the user is at the server as
// desired, so that it needs neither a request nor a look. A user the sync
// deactivated has no hash, so it is never current.
func userCurrent(r *UserRecord, hash string) bool {
	return r != nil && r.ID != "" && r.Hash == hash
}

// inactive reports whether u is pushed with active=false, so that the
// state knows it is inactive at the server: when it leaves the source, a
// deactivation would change nothing and is not sent.
func inactive(u *scim.User) bool {
	return u != nil && u.Active != nil && !*u.Active
}

// managedSet is the set of managed attribute paths, lower-cased.
type managedSet map[string]bool

func newManagedSet(attrs []string) managedSet {
	if attrs == nil {
		attrs = DefaultAttributes
	}
	m := managedSet{"username": true}
	for _, a := range attrs {
		m[strings.ToLower(a)] = true
	}
	return m
}

// merge returns want with the attributes the sync does not manage copied
// from have, so that DiffUser changes only managed ones.
func (m managedSet) merge(have, want *scim.User) *scim.User {
	w := *want
	keep := func(path string, dst *string, src string) {
		if !m[strings.ToLower(path)] {
			*dst = src
		}
	}
	keep("externalId", &w.ExternalID, have.ExternalID)
	keep("name.givenName", &w.Name.GivenName, have.Name.GivenName)
	keep("name.familyName", &w.Name.FamilyName, have.Name.FamilyName)
	keep(scim.PathDepartment, &w.Enterprise.Department, have.Enterprise.Department)
	keep(scim.PathEmployeeNumber, &w.Enterprise.EmployeeNumber, have.Enterprise.EmployeeNumber)
	keep(scim.PathCostCenter, &w.Enterprise.CostCenter, have.Enterprise.CostCenter)
	keep(scim.PathDivision, &w.Enterprise.Division, have.Enterprise.Division)
	if !m["active"] {
		w.Active = nil
	}
	if !m["emails"] {
		w.Emails = nil
	}
	return &w
}

// paths are the attribute paths ops change.
func paths(ops []scim.PatchOp) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.Path
	}
	return out
}

// groupOps are the operations that give a group the desired displayName
// and externalId.
func groupOps(have *scim.Group, want *DesiredGroup) []scim.PatchOp {
	var ops []scim.PatchOp
	if have.DisplayName != want.DisplayName {
		ops = append(ops, scim.PatchOp{Op: scim.OpReplace, Path: "displayName", Value: want.DisplayName})
	}
	if want.ExternalID != "" && have.ExternalID != want.ExternalID {
		op := scim.OpReplace
		if have.ExternalID == "" {
			op = scim.OpAdd
		}
		ops = append(ops, scim.PatchOp{Op: op, Path: "externalId", Value: want.ExternalID})
	}
	return ops
}

// matchGroup finds the server group for a desired group (or a stored
// one): by id, else by externalId, else by displayName without regard to
// case.
func matchGroup(groups []*scim.Group, id, externalID, displayName string) *scim.Group {
	if id != "" {
		if i := slices.IndexFunc(groups, func(g *scim.Group) bool { return g.ID == id }); i >= 0 {
			return groups[i]
		}
	}
	if externalID != "" {
		if i := slices.IndexFunc(groups, func(g *scim.Group) bool { return g.ExternalID == externalID }); i >= 0 {
			return groups[i]
		}
	}
	if i := slices.IndexFunc(groups, func(g *scim.Group) bool { return strings.EqualFold(g.DisplayName, displayName) }); i >= 0 {
		return groups[i]
	}
	return nil
}

// memberDiff compares a group's members at the server (ids) with the
// desired ones. adds are the desired members (by index) the server does
// not list, or whose id is not known yet; removes are the server's members
// that are not desired and that the sync manages: users it pushed, or
// members it put in this group. Members others added are left alone.
func memberDiff(server []string, desired []string, managed func(id string) bool) (adds []int, removes []string) {
	have := make(map[string]bool, len(server))
	for _, id := range server {
		have[id] = true
	}
	want := make(map[string]bool, len(desired))
	for i, id := range desired {
		want[id] = true
		if id == "" || !have[id] {
			adds = append(adds, i)
		}
	}
	for _, id := range server {
		if !want[id] && managed(id) {
			removes = append(removes, id)
		}
	}
	return adds, removes
}

// NewPlan plans a cycle: it compares the desired state with the stored
// state and what the server holds. It sends nothing. Users are matched
// by their stored id, else by userName; groups by their stored id, else by
// externalId, else by displayName. An error is a state record that cannot
// be read.
func NewPlan(desired *Desired, st *State, snap *Snapshot, opts PlanOptions) (*Plan, error) {
	if snap == nil {
		snap = &Snapshot{}
	}
	p, err := newPlan(desired, st, snap, opts)
	if err != nil {
		return nil, err
	}
	rd, err := st.userReader()
	if err != nil {
		return nil, err
	}
	defer rd.close()
	if err := p.planUsers(rd, desired.Users, snap); err != nil {
		return nil, err
	}
	p.addLeaving()
	if err := p.planGroups(rd, desired.Groups, snap); err != nil {
		return nil, err
	}
	if err := p.planGroupsLeft(rd, snap); err != nil {
		return nil, err
	}
	return p, nil
}

// addLeaving adds the deactivations and deletions newPlan found.
func (p *Plan) addLeaving() {
	for _, a := range p.leaving {
		p.add(a)
	}
	p.leaving = nil
}

// newPlan starts a plan: the skips, and the users who left the source or
// the scope (deactivations or deletions, in p.leaving until addLeaving), found in one walk of the state
// that also notes the ids of the users the sync manages. desired.inScope
// says which users are in the source.
func newPlan(desired *Desired, st *State, snap *Snapshot, opts PlanOptions) (*Plan, error) {
	p := &Plan{Target: st.url, Actions: []*Action{}, Skipped: cmpSlice(desired.Skipped), managed: newManagedSet(opts.Attributes),
		st: st, seed: maphash.MakeSeed(), opts: opts, groups: st.groupRecords()}
	p.found = map[uint64]struct{}{}
	p.Counts.Skips = len(desired.Skipped)
	unverified := map[string]bool{}
	for _, s := range desired.Skipped {
		if s.Reason == ReasonDomainNotVerified {
			unverified[strings.ToLower(s.UserName)] = true
		}
	}
	inSource := desired.inScope()
	err := st.eachUser(func(key string, rec *UserRecord) error {
		if rec.ID == "" {
			return nil
		}
		p.ours = append(p.ours, p.idHash(rec.ID))
		// A user of a domain that is no longer verified is left alone:
		// it must not appear in any request.
		if inSource(key) || unverified[key] {
			return nil
		}
		switch {
		case opts.Delete:
			p.leaving = append(p.leaving, &Action{Op: ActionDeleteUser, Identity: rec.UserName, TargetID: rec.ID, key: key})
		case !rec.Inactive:
			p.leaving = append(p.leaving, &Action{Op: ActionDeactivateUser, Identity: rec.UserName, TargetID: rec.ID, Changes: []string{"active"}, key: key})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(p.ours)
	for key, u := range snap.Users {
		if u != nil {
			p.found[p.idHash(u.ID)] = struct{}{}
			p.userName(u.ID, cmp.Or(u.UserName, key))
		}
	}
	p.claimed = map[string]bool{}
	for _, dg := range desired.Groups {
		p.claimed[groupKey(dg.ExternalID, dg.DisplayName)] = true
	}
	return p, nil
}

// planUsers plans the creates and updates of users.
func (p *Plan) planUsers(rd *userReader, users []*DesiredUser, snap *Snapshot) error {
	for _, du := range users {
		key := strings.ToLower(du.User.UserName)
		rec, err := rd.get(key)
		if err != nil {
			return err
		}
		have := snap.Users[key]
		if rec == nil && have == nil {
			// A create: the executor hashes the body it sends.
			p.add(&Action{Op: ActionCreateUser, Identity: du.User.UserName, key: key, user: du.User})
			continue
		}
		hash := snap.hash(du)
		if userCurrent(rec, hash) {
			p.Counts.Unchanged++
			continue
		}
		if have == nil {
			p.add(&Action{Op: ActionCreateUser, Identity: du.User.UserName, key: key, user: du.User, hash: hash})
			continue
		}
		ops := scim.DiffUser(have, p.managed.merge(have, du.User))
		if len(ops) == 0 {
			p.records = append(p.records, record{user: &UserRecord{UserName: du.User.UserName, ID: have.ID, Hash: hash, Inactive: inactive(du.User)}})
			p.Counts.Unchanged++
			continue
		}
		p.add(&Action{Op: ActionUpdateUser, Identity: du.User.UserName, TargetID: have.ID, Changes: paths(ops), key: key, user: du.User, hash: hash, ops: ops})
	}
	return nil
}

// managedMember says which member ids the sync may remove from the group
// rec: users it pushed, and members it put there.
func (p *Plan) managedMember(rec *GroupRecord) func(string) bool {
	return func(id string) bool {
		h := p.idHash(id)
		_, ours := slices.BinarySearch(p.ours, h)
		_, found := p.found[h]
		return ours || found || rec != nil && slices.Contains(rec.Members, id)
	}
}

// planGroups plans the creates and updates of groups and their members.
func (p *Plan) planGroups(rd *userReader, groups []*DesiredGroup, snap *Snapshot) error {
	idOf := func(userName string) (string, error) {
		key := strings.ToLower(userName)
		if u := snap.Users[key]; u != nil {
			return u.ID, nil
		}
		r, err := rd.get(key)
		if r == nil || err != nil {
			return "", err
		}
		return r.ID, nil
	}
	for _, dg := range groups {
		key := groupKey(dg.ExternalID, dg.DisplayName)
		rec, oldKey := p.groups[key], ""
		hash := groupHash(dg)
		ids := make([]string, len(dg.Members))
		for i, m := range dg.Members {
			var err error
			if ids[i], err = idOf(m); err != nil {
				return err
			}
		}
		if rec != nil && rec.ID != "" && !rec.Pending && rec.Hash == hash && !slices.Contains(ids, "") && rec.sameMembers(ids) {
			p.Counts.Unchanged++
			continue
		}
		var storedID string
		if rec != nil {
			storedID = rec.ID
		}
		have := matchGroup(snap.Groups, storedID, dg.ExternalID, dg.DisplayName)
		if have != nil && rec == nil {
			// Known under another key (its externalId was added or
			// dropped): carry the record over.
			for k, r := range p.groups {
				if r.ID == have.ID && !p.claimed[k] {
					rec, oldKey = r, k
					p.claimed[k] = true
				}
			}
		}
		if have == nil && storedID != "" && !rec.Pending && !snap.ListedGroups {
			have = &scim.Group{ID: storedID, DisplayName: rec.DisplayName, ExternalID: rec.ExternalID}
		}
		if have == nil {
			a := &Action{Op: ActionCreateGroup, Identity: dg.DisplayName, key: key, group: dg, hash: hash, AddMembers: dg.Members}
			p.add(a)
			continue
		}
		server, read := snap.Members[have.ID]
		if !read && rec != nil {
			server, read = rec.knownMembers()
		}
		if !read {
			// Only their hash is known: the executor reads them.
			server = nil
		}
		adds, removes := memberDiff(server, ids, p.managedMember(rec))
		ops := groupOps(have, dg)
		if read && len(ops) == 0 && len(adds) == 0 && len(removes) == 0 {
			r := &GroupRecord{DisplayName: dg.DisplayName, ExternalID: dg.ExternalID, ID: have.ID, Hash: hash}
			r.setMembers(sortedSet(ids))
			p.records = append(p.records, record{groupKey: key, forget: oldKey, group: r})
			p.Counts.Unchanged++
			continue
		}
		a := &Action{Op: ActionUpdateGroup, Identity: dg.DisplayName, TargetID: have.ID, Changes: paths(ops),
			key: key, oldKey: oldKey, group: dg, hash: hash, ops: ops, members: server, removes: removes}
		if a.members == nil && read {
			a.members = []string{}
		}
		for _, i := range adds {
			a.AddMembers = append(a.AddMembers, dg.Members[i])
		}
		names, err := p.names(rd, removes)
		if err != nil {
			return err
		}
		a.RemoveMembers = names
		p.add(a)
	}
	return nil
}

// planGroupsLeft plans the groups that left the source: emptied, or
// deleted with Delete.
func (p *Plan) planGroupsLeft(rd *userReader, snap *Snapshot) error {
	for _, key := range slices.Sorted(maps.Keys(p.groups)) {
		rec := p.groups[key]
		if p.claimed[key] {
			continue
		}
		if rec.ID == "" { // a create whose outcome is unknown, of a group no longer wanted
			p.records = append(p.records, record{forget: key})
			continue
		}
		if p.opts.Delete {
			p.add(&Action{Op: ActionDeleteGroup, Identity: rec.DisplayName, TargetID: rec.ID, key: key})
			continue
		}
		server, read := snap.Members[rec.ID]
		if !read {
			server, _ = rec.knownMembers()
		}
		_, removes := memberDiff(server, nil, p.managedMember(rec))
		if len(removes) == 0 {
			continue
		}
		names, err := p.names(rd, removes)
		if err != nil {
			return err
		}
		p.add(&Action{Op: ActionEmptyGroup, Identity: rec.DisplayName, TargetID: rec.ID, key: key, removes: removes, RemoveMembers: names})
	}
	return nil
}

// add appends a and counts it.
func (p *Plan) add(a *Action) {
	p.Actions = append(p.Actions, a)
	c := &p.Counts
	switch a.Op {
	case ActionCreateUser:
		c.Creates++
	case ActionUpdateUser:
		c.Updates++
	case ActionDeactivateUser:
		c.Deactivations++
	case ActionDeleteUser:
		c.Deletions++
	case ActionCreateGroup:
		c.GroupCreates++
	case ActionUpdateGroup:
		c.GroupUpdates++
	case ActionEmptyGroup:
		c.GroupsEmptied++
	case ActionDeleteGroup:
		c.GroupDeletes++
	}
	c.MemberAdds += len(a.AddMembers)
	c.MemberRemoves += len(a.RemoveMembers)
}

// names turns member ids into userNames where the plan knows them: those
// the server answered with, else the state's, found in one walk of the
// state for the ids not known yet.
func (p *Plan) names(rd *userReader, ids []string) ([]string, error) {
	var unknown map[string]bool
	for _, id := range ids {
		if _, ok := p.userNames[id]; !ok {
			if unknown == nil {
				unknown = map[string]bool{}
			}
			unknown[id] = true
		}
	}
	if unknown != nil {
		err := rd.each(func(_ string, r *UserRecord) error {
			if unknown[r.ID] {
				p.userName(r.ID, r.UserName)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for id := range unknown {
			if _, ok := p.userNames[id]; !ok {
				p.userName(id, id) // not ours: its id is its name
			}
		}
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = p.userNames[id]
	}
	return out, nil
}

// userName notes the userName of the user id.
func (p *Plan) userName(id, name string) {
	if p.userNames == nil {
		p.userNames = map[string]string{}
	}
	p.userNames[id] = name
}

// idHash is the key of a user id in p.ours: 8 bytes a user the sync
// manages rather than the id itself (a collision at worst lets the sync
// remove from a group a member that someone else added there).
func (p *Plan) idHash(id string) uint64 { return maphash.String(p.seed, id) }

// hash returns the desired user's hash, computed once.
func (s *Snapshot) hash(du *DesiredUser) string {
	if h, ok := s.hashes[du]; ok {
		return h
	}
	return userHash(du.User)
}

// cmpSlice returns s, or an empty slice for nil: JSON lists are [] rather
// than null.
func cmpSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sameSet(a, b []string) bool {
	return slices.Equal(sortedSet(a), sortedSet(b))
}

// sortedSet returns the distinct non-empty strings of s, sorted.
func sortedSet(s []string) []string {
	out := slices.DeleteFunc(slices.Clone(s), func(v string) bool { return v == "" })
	slices.Sort(out)
	return slices.Compact(out)
}
