package provision

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/orgctl/orgctl/provision/provisiontest"
)

// TestBuildEach holds that BuildEach gives the users Build gives, with the
// same groups, skips and attributes.
func TestBuildEach(t *testing.T) {
	var big bytes.Buffer
	if err := provisiontest.WriteCSV(&big, provisiontest.Options{Users: 500, Groups: 7, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{
		"generated.csv": big.String(),
		"both.json": `{"users": [
			{"userName": "a@x.com", "groups": ["G", "H"], "department": "Sales"},
			{"userName": "b@x.com", "groups": ["g"]},
			{"userName": "c@y.com", "groups": ["G"]},
			{"userName": "d@x.com", "department": "Ops"}],
		  "groups": [{"displayName": "G", "members": ["A@x.com", "c@y.com", "d@x.com"]}, {"displayName": "K", "members": ["b@x.com"]}]}`,
	}
	scope := Scope{{Clauses: []Clause{{Attribute: "department", Operator: "NOT EQUALS", Value: "Ops"}}}, {Clauses: []Clause{{Attribute: "department", Operator: "IS NULL"}}}}
	verified, _ := VerifiedDomains("x.com", provisiontest.Domain)
	for name, text := range sources {
		src := mustRead(t, name, text)
		want, err := Build(src, DefaultMapping(), scope, verified)
		if err != nil {
			t.Fatalf("%s: Build: %v", name, err)
		}
		var users []*DesiredUser
		got, err := BuildEach(src, DefaultMapping(), scope, verified, func(u *DesiredUser) error {
			users = append(users, u)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: BuildEach: %v", name, err)
		}
		if got.Users != nil {
			t.Errorf("%s: BuildEach gave Users", name)
		}
		got.Users = users
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s: BuildEach:\n got %s\nwant %s", name, gj, wj)
		}
		if len(want.Users) == 0 || len(want.Skipped) == 0 || len(want.Groups) == 0 {
			t.Errorf("%s: %d users, %d skipped, %d groups: the test needs some of each", name, len(want.Users), len(want.Skipped), len(want.Groups))
		}
	}
	src := mustRead(t, "u.csv", "userName\na@x.com\nb@x.com\n")
	stop := errors.New("stop")
	calls := 0
	_, err := BuildEach(src, DefaultMapping(), nil, verified, func(*DesiredUser) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("BuildEach with a failing each = %v after %d calls, want stop after 1", err, calls)
	}
	// A bad source calls each never.
	src = mustRead(t, "u.csv", "userName,department\na@x.com,x\nA@x.com ,y\n")
	m := Mapping{Users: []Attribute{{Source: "userName", Target: "userName", Transforms: []string{"trim"}}}}
	_, err = BuildEach(src, m, nil, verified, func(*DesiredUser) error { calls++; return nil })
	var se *SourceError
	if !errors.As(err, &se) || calls != 1 {
		t.Fatalf("BuildEach(duplicates) = %v after %d more calls, want a *SourceError and none", err, calls-1)
	}
	if want := []int{3}; !slices.Equal([]int{se.Rows[0].Line}, want) {
		t.Errorf("duplicate at line %d, want 3", se.Rows[0].Line)
	}
}
