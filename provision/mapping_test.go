package provision

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-viper/mapstructure/v2"
	"github.com/orgctl/orgctl/scim"
)

func TestDefaultMapping(t *testing.T) {
	m := DefaultMapping()
	if err := m.Validate(); err != nil {
		t.Fatalf("DefaultMapping().Validate() = %v", err)
	}
	var targets []string
	for _, a := range m.Users {
		targets = append(targets, a.Target)
	}
	ent := scim.SchemaEnterpriseUser + ":"
	want := []string{"userName", "externalId", "active", "name.givenName", "name.familyName",
		ent + "department", ent + "employeeNumber", ent + "costCenter", ent + "division", `emails[type eq "work"].value`}
	if !slices.Equal(targets, want) {
		t.Errorf("user targets = %q, want %q", targets, want)
	}
}

func TestMappingValidate(t *testing.T) {
	base := DefaultMapping().Users
	with := func(extra ...Attribute) Mapping { return Mapping{Users: append(slices.Clone(base), extra...)} }
	tests := []struct {
		name string
		m    Mapping
		want []string // substrings of the error, in order
	}{
		{"unknown target", with(Attribute{Source: "jobTitle", Target: "name.givenNam"}),
			[]string{`users[10]: unknown SCIM attribute "name.givenNam"; did you mean name.givenName?`}},
		{"unknown transform", with(Attribute{Source: "jobTitle", Target: "name.formatted", Transforms: []string{"trim", "lowercase"}}),
			[]string{`users[10]: unknown transform "lowercase": want lower, upper or trim`}},
		{"unknown source", with(Attribute{Source: "departmnet", Target: "name.formatted"}),
			[]string{`users[10]: unknown source field "departmnet"; did you mean department?`}},
		{"source and constant", with(Attribute{Source: "jobTitle", Constant: "x", Target: "name.formatted"}),
			[]string{`users[10]: name.formatted has both a source (jobTitle) and a constant`}},
		{"neither", with(Attribute{Target: "name.formatted"}), []string{`users[10]: name.formatted needs a source or a constant`}},
		{"mapped twice, bare and with URN", with(Attribute{Constant: "x", Target: "department"}),
			[]string{`users[10]: SCIM attribute "department" is mapped twice`}},
		{"groups as a user attribute", with(Attribute{Source: "groups", Target: "name.formatted"}),
			[]string{`users[10]: groups is not a user attribute`}},
		{"no userName", Mapping{Users: base[1:]}, []string{"userName is not mapped"}},
		{"group target", Mapping{Users: base, Groups: []Attribute{{Source: "displayName", Target: "name"}}},
			[]string{`groups[0]: unknown SCIM group attribute "name"`}},
		{"members from elsewhere", Mapping{Users: base, Groups: []Attribute{{Source: "displayName", Target: "members"}}},
			[]string{`groups[0]: members can only be mapped from members`}},
	}
	for _, tt := range tests {
		err := tt.m.Validate()
		if err == nil {
			t.Errorf("%s: Validate() = nil, want an error", tt.name)
			continue
		}
		rest := err.Error()
		for _, w := range tt.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: Validate() = %q, want it to say %q", tt.name, err, w)
				break
			}
			rest = rest[i+len(w):]
		}
		if _, berr := Build(mustRead(t, "u.csv", "userName\na@x.com\n"), tt.m, nil, nil); berr == nil || berr.Error() != err.Error() {
			t.Errorf("%s: Build error = %v, want Validate's", tt.name, berr)
		}
	}
}

func TestMappingTransforms(t *testing.T) {
	src := mustRead(t, "u.csv", "userName,department,division,name.givenName\n"+
		"  Ann@Example.COM ,Sales,emea,Ann\n"+
		"bob@example.com,,,\n")
	ent := scim.SchemaEnterpriseUser + ":"
	m := Mapping{Users: []Attribute{
		{Source: "userName", Target: "userName", Transforms: []string{"trim", "Lower"}},
		{Source: "division", Target: ent + "division", Transforms: []string{"upper"}, Default: "NONE"},
		{Constant: "Contoso", Target: "organization"},
		{Source: "givenName", Target: "name.formatted"}, // Entra's name for name.givenName
		{Source: "jobTitle", Target: "name.middleName"}, // a field the source lacks: not managed
		{Source: "costCenter", Target: ent + "costCenter", Default: "CC-0"},
	}}
	d, err := Build(src, m, nil, func(string) bool { return true })
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	got := []scim.User{*d.Users[0].User, *d.Users[1].User}
	want := []scim.Enterprise{
		{Division: "EMEA", Organization: "Contoso", CostCenter: "CC-0"},
		{Division: "NONE", Organization: "Contoso", CostCenter: "CC-0"},
	}
	for i, u := range got {
		if u.Enterprise != want[i] {
			t.Errorf("user %d: enterprise = %+v, want %+v", i, u.Enterprise, want[i])
		}
	}
	if got[0].UserName != "ann@example.com" || got[0].Name.Formatted != "Ann" || got[1].Name.Formatted != "" {
		t.Errorf("users = %+v", got)
	}
	wantAttrs := []string{"userName", ent + "division", ent + "organization", "name.formatted", ent + "costCenter"}
	if !slices.Equal(d.Attributes, wantAttrs) {
		t.Errorf("Attributes = %q, want %q", d.Attributes, wantAttrs)
	}
	if d.Users[0].User.Active == nil || !*d.Users[0].User.Active {
		t.Errorf("active = %v, want true when not mapped", ptrBool(d.Users[0].User.Active))
	}
}

// TestBuildProblems holds what only the mapping makes wrong.
func TestBuildProblems(t *testing.T) {
	src := mustRead(t, "u.csv", "userName,externalId,department,email\n"+
		"a@x.com,1,Sales,\n"+
		"a@x.com ,2,true,b@x.com\n"+
		"c@x.com,3,false,c@x.com\n")
	m := Mapping{Users: []Attribute{
		{Source: "userName", Target: "userName", Transforms: []string{"trim"}},
		{Source: "department", Target: "active"},
	}}
	_, err := Build(src, m, nil, nil)
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("Build = %v, want a *SourceError", err)
	}
	want := []RowError{
		{Line: 2, Field: "active", Value: "Sales", Msg: "invalid boolean after mapping: want true or false"},
		{Line: 3, Field: "userName", Value: "a@x.com", Msg: "duplicate userName: line 2 has it too (userNames are compared case-insensitively)"},
	}
	// Line 2's bad active must not hide that line 3 repeats its userName.
	if !slices.Equal(se.Rows, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", se.Rows, want)
	}

	m = Mapping{Users: []Attribute{{Source: "email", Target: "userName"}, {Source: "externalId", Target: "externalId", Transforms: []string{"trim"}}}}
	_, err = Build(src, m, nil, nil)
	if !errors.As(err, &se) || len(se.Rows) != 1 || se.Rows[0].Line != 2 || !strings.Contains(se.Rows[0].Msg, "userName is empty after mapping") {
		t.Errorf("Build = %v, want line 2's userName empty after mapping", err)
	}
}

// A userName mapped from another field is checked as the source's own
// userName is: blank or with a control character, the user is refused.
func TestBuildChecksMappedUserName(t *testing.T) {
	src := mustRead(t, "u.csv", "userName,email\n"+
		"a@x.com,\"  \"\n"+
		"b@x.com,b\x1b@x.com\n"+
		"c@x.com,c@x.com\n")
	m := Mapping{Users: []Attribute{{Source: "email", Target: "userName"}}}
	_, err := Build(src, m, nil, nil)
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("Build = %v, want a *SourceError", err)
	}
	want := []RowError{
		{Line: 2, Field: "userName", Value: "  ", Msg: "userName is only white space after mapping"},
		{Line: 3, Field: "userName", Value: "b\x1b@x.com", Msg: "userName holds a control character (U+001B) after mapping"},
	}
	if !slices.Equal(se.Rows, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", se.Rows, want)
	}
}

// TestMappingDecodes holds that the config package can decode a mapping
// and a scope as the config file has them, through mapstructure (as viper
// does).
func TestMappingDecodes(t *testing.T) {
	raw := map[string]any{
		"mapping": map[string]any{
			"users": []any{
				map[string]any{"source": "userPrincipalName", "target": "userName", "transforms": []any{"lower"}},
				map[string]any{"constant": "Sales", "target": "department"},
			},
		},
		"scope": []any{
			map[string]any{"name": "engineers", "clauses": []any{
				map[string]any{"attribute": "department", "operator": "EQUALS", "value": "Engineering"},
			}},
		},
	}
	var cfg struct {
		Mapping Mapping `mapstructure:"mapping"`
		Scope   Scope   `mapstructure:"scope"`
	}
	if err := mapstructure.Decode(raw, &cfg); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	wantM := Mapping{Users: []Attribute{
		{Source: "userPrincipalName", Target: "userName", Transforms: []string{"lower"}},
		{Constant: "Sales", Target: "department"},
	}}
	if len(cfg.Mapping.Users) != 2 || !slices.Equal(cfg.Mapping.Users[0].Transforms, wantM.Users[0].Transforms) ||
		cfg.Mapping.Users[0].Source != wantM.Users[0].Source || cfg.Mapping.Users[1].Constant != "Sales" {
		t.Errorf("mapping = %+v, want %+v", cfg.Mapping, wantM)
	}
	wantS := Scope{{Name: "engineers", Clauses: []Clause{{Attribute: "department", Operator: "EQUALS", Value: "Engineering"}}}}
	if len(cfg.Scope) != 1 || cfg.Scope[0].Name != wantS[0].Name || !slices.Equal(cfg.Scope[0].Clauses, wantS[0].Clauses) {
		t.Errorf("scope = %+v, want %+v", cfg.Scope, wantS)
	}
	if err := cfg.Mapping.Validate(); err != nil {
		t.Errorf("decoded mapping: %v", err)
	}
}
