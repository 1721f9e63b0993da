package provision

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim"
)

// planUser is a desired user for planner tests.
func planUser(name, given, dept string) *DesiredUser {
	return &DesiredUser{User: &scim.User{UserName: name, Active: new(true), Name: scim.Name{GivenName: given}, Enterprise: scim.Enterprise{Department: dept}}}
}

// served is a user as a server holds it.
func served(id string, du *DesiredUser) *scim.User {
	u := *du.User
	u.ID = id
	return &u
}

// planState opens a state in a temporary directory holding users and
// groups.
func planState(t *testing.T, users []*UserRecord, groups []*GroupRecord) *State {
	t.Helper()
	st, err := OpenState(t.TempDir(), "https://scim.example.com/scim/v2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, u := range users {
		if err := st.putUser(u.UserName, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range groups {
		if err := st.putGroup(groupKey(g.ExternalID, g.DisplayName), g); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// brief is an action as the tests compare it.
type brief struct {
	Op, Identity, TargetID string
	Changes, Add, Remove   []string
}

func briefs(p *Plan) []brief {
	var out []brief
	for _, a := range p.Actions {
		out = append(out, brief{a.Op, a.Identity, a.TargetID, a.Changes, a.AddMembers, a.RemoveMembers})
	}
	return out
}

func TestNewPlan(t *testing.T) {
	ann := planUser("ann@main.test", "Ann", "Sales")
	bob := planUser("Bob@Main.test", "Bob", "R&D")
	annHash := userHash(ann.User)
	changedAnn := planUser("ann@main.test", "Anne", "")
	tests := []struct {
		name    string
		desired *Desired
		users   []*UserRecord
		groups  []*GroupRecord
		snap    *Snapshot
		opts    PlanOptions
		want    []brief
		counts  Counts
	}{
		{
			name:    "new user is created",
			desired: &Desired{Users: []*DesiredUser{ann}},
			want:    []brief{{Op: ActionCreateUser, Identity: "ann@main.test"}},
			counts:  Counts{Creates: 1},
		},
		{
			name:    "stored id and same hash: nothing, without a look at the server",
			desired: &Desired{Users: []*DesiredUser{ann}},
			users:   []*UserRecord{{UserName: "ann@main.test", ID: "u1", Hash: annHash}},
			counts:  Counts{Unchanged: 1},
		},
		{
			name:    "changed attributes only; a cleared one too",
			desired: &Desired{Users: []*DesiredUser{changedAnn}},
			users:   []*UserRecord{{UserName: "ann@main.test", ID: "u1", Hash: annHash}},
			snap:    &Snapshot{Users: map[string]*scim.User{"ann@main.test": served("u1", ann)}},
			want:    []brief{{Op: ActionUpdateUser, Identity: "ann@main.test", TargetID: "u1", Changes: []string{"name.givenName", scim.PathDepartment}}},
			counts:  Counts{Updates: 1},
		},
		{
			name:    "found at the server as desired, matched by userName in any case: recorded, no request",
			desired: &Desired{Users: []*DesiredUser{bob}},
			snap:    &Snapshot{Users: map[string]*scim.User{"bob@main.test": served("u2", bob)}},
			counts:  Counts{Unchanged: 1},
		},
		{
			name:    "unmanaged attributes at the server stay",
			desired: &Desired{Users: []*DesiredUser{ann}},
			snap: &Snapshot{Users: map[string]*scim.User{"ann@main.test": func() *scim.User {
				u := served("u1", ann)
				u.Emails = []scim.Email{{Value: "ann@home.test"}}
				u.Enterprise.Division = "North"
				return u
			}()}},
			opts:   PlanOptions{Attributes: []string{"active", "name.givenName", scim.PathDepartment}},
			counts: Counts{Unchanged: 1},
		},
		{
			name:    "a user who left is deactivated; an inactive one is left; an unverified domain's is left",
			desired: &Desired{Skipped: []Skip{{UserName: "Eve@Other.test", Reason: ReasonDomainNotVerified}}},
			users: []*UserRecord{
				{UserName: "ann@main.test", ID: "u1", Hash: annHash},
				{UserName: "cid@main.test", ID: "u3", Inactive: true},
				{UserName: "eve@other.test", ID: "u4", Hash: "x"},
			},
			want:   []brief{{Op: ActionDeactivateUser, Identity: "ann@main.test", TargetID: "u1", Changes: []string{"active"}}},
			counts: Counts{Deactivations: 1, Skips: 1},
		},
		{
			name:    "with Delete, users who left are deleted, inactive ones too",
			desired: &Desired{},
			users: []*UserRecord{
				{UserName: "ann@main.test", ID: "u1", Hash: annHash},
				{UserName: "cid@main.test", ID: "u3", Inactive: true},
			},
			opts: PlanOptions{Delete: true},
			want: []brief{
				{Op: ActionDeleteUser, Identity: "ann@main.test", TargetID: "u1"},
				{Op: ActionDeleteUser, Identity: "cid@main.test", TargetID: "u3"},
			},
			counts: Counts{Deletions: 2},
		},
		{
			name: "new group: created with its members",
			desired: &Desired{Users: []*DesiredUser{ann}, Groups: []*DesiredGroup{
				{DisplayName: "Sales", ExternalID: "g-s", Members: []string{"ann@main.test"}}}},
			users:  []*UserRecord{{UserName: "ann@main.test", ID: "u1", Hash: annHash}},
			snap:   &Snapshot{ListedGroups: true},
			want:   []brief{{Op: ActionCreateGroup, Identity: "Sales", Add: []string{"ann@main.test"}}},
			counts: Counts{Unchanged: 1, GroupCreates: 1, MemberAdds: 1},
		},
		{
			name: "renamed group (same externalId): PATCH, members diffed, listed ones not added again, foreign ones kept",
			desired: &Desired{Users: []*DesiredUser{ann, bob}, Groups: []*DesiredGroup{
				{DisplayName: "Sales EMEA", ExternalID: "g-s", Members: []string{"ann@main.test", "Bob@Main.test"}}}},
			users: []*UserRecord{
				{UserName: "ann@main.test", ID: "u1", Hash: annHash},
				{UserName: "Bob@Main.test", ID: "u2", Hash: userHash(bob.User)},
				{UserName: "cid@main.test", ID: "u3", Inactive: true},
			},
			groups: []*GroupRecord{{DisplayName: "Sales", ExternalID: "g-s", ID: "g1", Hash: "old", Members: []string{"u1", "u3"}}},
			snap: &Snapshot{
				Groups:  []*scim.Group{{ID: "g1", DisplayName: "Sales", ExternalID: "g-s"}},
				Members: map[string][]string{"g1": {"u1", "u3", "foreign"}},
			},
			want: []brief{{Op: ActionUpdateGroup, Identity: "Sales EMEA", TargetID: "g1", Changes: []string{"displayName"},
				Add: []string{"Bob@Main.test"}, Remove: []string{"cid@main.test"}}},
			counts: Counts{Unchanged: 2, GroupUpdates: 1, MemberAdds: 1, MemberRemoves: 1},
		},
		{
			name: "group matched by displayName in any case without a stored id; externalId added",
			desired: &Desired{Groups: []*DesiredGroup{
				{DisplayName: "Sales", ExternalID: "g-s"}}},
			snap:   &Snapshot{ListedGroups: true, Groups: []*scim.Group{{ID: "g9", DisplayName: "SALES"}}, Members: map[string][]string{"g9": {}}},
			want:   []brief{{Op: ActionUpdateGroup, Identity: "Sales", TargetID: "g9", Changes: []string{"displayName", "externalId"}}},
			counts: Counts{GroupUpdates: 1},
		},
		{
			name:    "a group that left the source is emptied of its managed members",
			desired: &Desired{},
			users:   []*UserRecord{{UserName: "cid@main.test", ID: "u3", Inactive: true}},
			groups:  []*GroupRecord{{DisplayName: "Old", ID: "g2", Hash: "h", Members: []string{"u3"}}},
			snap:    &Snapshot{Members: map[string][]string{"g2": {"u3", "foreign"}}},
			want:    []brief{{Op: ActionEmptyGroup, Identity: "Old", TargetID: "g2", Remove: []string{"cid@main.test"}}},
			counts:  Counts{GroupsEmptied: 1, MemberRemoves: 1},
		},
		{
			name:    "with Delete, a group that left the source is deleted",
			desired: &Desired{},
			groups:  []*GroupRecord{{DisplayName: "Old", ID: "g2", Hash: "h"}},
			opts:    PlanOptions{Delete: true},
			want:    []brief{{Op: ActionDeleteGroup, Identity: "Old", TargetID: "g2"}},
			counts:  Counts{GroupDeletes: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := planState(t, tc.users, tc.groups)
			p := NewPlan(tc.desired, st, tc.snap, tc.opts)
			if got := briefs(p); !slices.EqualFunc(got, tc.want, func(a, b brief) bool {
				return a.Op == b.Op && a.Identity == b.Identity && a.TargetID == b.TargetID &&
					slices.Equal(a.Changes, b.Changes) && slices.Equal(a.Add, b.Add) && slices.Equal(a.Remove, b.Remove)
			}) {
				t.Errorf("actions:\n got %+v\nwant %+v", got, tc.want)
			}
			if p.Counts != tc.counts {
				t.Errorf("counts:\n got %+v\nwant %+v", p.Counts, tc.counts)
			}
		})
	}
}

// TestPlanPatchOps: an update's operations touch only the changed
// attributes, and a cleared one is a remove without a value.
func TestPlanPatchOps(t *testing.T) {
	ann := planUser("ann@main.test", "Ann", "Sales")
	want := planUser("ann@main.test", "Ann", "")
	want.User.Enterprise.CostCenter = "C7"
	st := planState(t, nil, nil)
	p := NewPlan(&Desired{Users: []*DesiredUser{want}}, st, &Snapshot{Users: map[string]*scim.User{"ann@main.test": served("u1", ann)}}, PlanOptions{})
	if len(p.Actions) != 1 {
		t.Fatalf("%d actions, want 1", len(p.Actions))
	}
	got, _ := json.Marshal(p.Actions[0].ops)
	wantOps := `[{"op":"remove","path":"` + scim.PathDepartment + `"},{"op":"add","path":"` + scim.PathCostCenter + `","value":"C7"}]`
	if string(got) != wantOps {
		t.Errorf("ops:\n got %s\nwant %s", got, wantOps)
	}
}

// TestPlanThresholdAndJSON: the threshold counts deactivations and
// deletions; the JSON form is snake_case.
func TestPlanThresholdAndJSON(t *testing.T) {
	var users []*UserRecord
	for _, n := range []string{"a", "b", "c"} {
		users = append(users, &UserRecord{UserName: n + "@main.test", ID: "id-" + n, Hash: "h"})
	}
	st := planState(t, users, []*GroupRecord{{DisplayName: "G", ID: "g1"}})
	p := NewPlan(&Desired{}, st, nil, PlanOptions{Delete: true})
	if p.Deletions() != 4 {
		t.Errorf("Deletions() = %d, want 4", p.Deletions())
	}
	for _, tc := range []struct {
		max  int
		want bool
	}{{0, false}, {4, false}, {3, true}, {-1, false}} {
		err := p.CheckThreshold(tc.max)
		var te *ThresholdError
		if got := errors.As(err, &te); got != tc.want || got && (te.Count != 4 || te.Limit != tc.max) {
			t.Errorf("CheckThreshold(%d) = %v, want a ThresholdError: %v", tc.max, err, tc.want)
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"counts":{`, `"deletions":3`, `"group_deletions":1`, `"action":"delete_user"`, `"target_id":"id-a"`, `"skipped":[]`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("plan JSON lacks %s: %s", k, b)
		}
	}
}
