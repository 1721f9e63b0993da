package provision

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

// inScope builds a one-user source from header and row, and reports whether
// the user is in scope of one rule holding clause.
func inScope(t *testing.T, header, row []string, c Clause) bool {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(header)
	w.Write(row)
	w.Flush()
	src := mustRead(t, "u.csv", b.String())
	d, err := Build(src, DefaultMapping(), Scope{{Clauses: []Clause{c}}}, func(string) bool { return true })
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(d.Users)+len(d.Skipped) != 1 {
		t.Fatalf("%d users and %d skipped, want one in all", len(d.Users), len(d.Skipped))
	}
	if len(d.Skipped) == 1 && d.Skipped[0].Reason != ReasonOutOfScope {
		t.Fatalf("skipped for %s, want %s", d.Skipped[0].Reason, ReasonOutOfScope)
	}
	return len(d.Users) == 1
}

func TestScopeOperators(t *testing.T) {
	tests := []struct {
		attr, value string // the user's
		op, arg     string // the clause's
		want        bool
	}{
		{"department", "Sales", "EQUALS", "Sales", true},
		{"department", "Sales", "EQUALS", "sales", false}, // case-sensitive
		{"department", "", "EQUALS", "Sales", false},
		{"department", "Ops", "NOT EQUALS", "Sales", true},
		{"department", "Sales", "not_equals", "Sales", false},
		{"department", "", "NOT EQUALS", "Sales", false}, // empty: false, as in Entra
		{"active", "true", "IS TRUE", "", true},
		{"active", "", "IS TRUE", "", true}, // empty active means true
		{"active", "False", "IS TRUE", "", false},
		{"active", "FALSE", "IS FALSE", "", true},
		{"active", "true", "is false", "", false},
		{"department", "TRUE", "IS TRUE", "", true},
		{"department", "yes", "IS TRUE", "", false},
		{"department", "", "IS NULL", "", true},
		{"department", "x", "IS NULL", "", false},
		{"jobTitle", "", "IS NULL", "", true}, // a column the source lacks is empty
		{"department", "x", "IS NOT NULL", "", true},
		{"department", "", "is  not  null", "", false},
		{"department", "Sales", "REGEX MATCH", "^Sal", true},
		{"department", "Sales", "REGEX MATCH", "les$", true},
		{"department", "R2D2", "REGEX MATCH", "[0-9]+", true}, // unanchored, as .NET's IsMatch
		{"department", "Sales", "REGEX MATCH", "^sal", false},
		{"department", "", "REGEX MATCH", ".*", false},
		{"department", "Ops", "NOT REGEX MATCH", "^Sal", true},
		{"department", "Sales", "NOT REGEX MATCH", "^Sal", false},
		{"department", "", "NOT REGEX MATCH", "^Sal", false}, // empty: false, as Entra's docs say
		{"employeeNumber", "0042", "GREATER_THAN", "41", true},
		{"employeeNumber", "42", "Greater_Than", "42", false},
		{"employeeNumber", "-5", "GREATER_THAN", "-6", true},
		{"employeeNumber", "4x", "GREATER_THAN", "1", false}, // not an integer: out of scope
		{"employeeNumber", "", "GREATER_THAN", "-1", false},
		{"employeeNumber", "42", "GREATER_THAN_OR_EQUALS", "42", true},
		{"employeeNumber", "41", "greater than or equals", "42", false},
		{"userName", "a@contoso.com", "ENDS_WITH", "@contoso.com", true},
		{"userName", "a@contoso.com", "ENDS_WITH", "@Contoso.com", false},
		{"department", "R&D Europe", "INCLUDES", "D E", true},
		{"department", "R&D Europe", "INCLUDES", "europe", false},
		{"department", "R&D", "INCLUDES", "R&D, Europe", false},
	}
	for _, tt := range tests {
		header, row := []string{"userName"}, []string{"u@x.com"}
		if tt.attr == "userName" {
			row[0] = tt.value
		} else if tt.attr != "jobTitle" {
			header, row = append(header, tt.attr), append(row, tt.value)
		}
		got := inScope(t, header, row, Clause{Attribute: tt.attr, Operator: tt.op, Value: tt.arg})
		if got != tt.want {
			t.Errorf("%s %q %s %q: in scope = %v, want %v", tt.attr, tt.value, tt.op, tt.arg, got, tt.want)
		}
	}
}

func TestScopeRules(t *testing.T) {
	src := mustRead(t, "u.csv", "userName,department,active\n"+
		"a@a.com,Sales,true\n"+
		"b@a.com,Sales,false\n"+
		"c@b.com,Ops,false\n"+
		"d@a.com,Ops,true\n")
	scope := Scope{
		{Name: "active sales", Clauses: []Clause{
			{Attribute: "department", Operator: "EQUALS", Value: "Sales"},
			{Attribute: "accountEnabled", Operator: "IS TRUE"}, // Entra's name for active
		}},
		{Clauses: []Clause{{Attribute: "userName", Operator: "ENDS_WITH", Value: "@b.com"}}},
	}
	d, err := Build(src, DefaultMapping(), scope, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := userNames(d.Users), []string{"a@a.com", "c@b.com"}; !slices.Equal(got, want) {
		t.Errorf("in scope: %q, want %q", got, want)
	}
	want := []Skip{
		{Line: 3, UserName: "b@a.com", Reason: ReasonOutOfScope,
			Detail: `none of the 2 scoping rules holds (active sales: accountEnabled "false" fails IS TRUE)`},
		{Line: 5, UserName: "d@a.com", Reason: ReasonOutOfScope,
			Detail: `none of the 2 scoping rules holds (active sales: department "Ops" fails EQUALS "Sales")`},
	}
	if !slices.Equal(d.Skipped, want) {
		t.Errorf("skipped:\n got %+v\nwant %+v", d.Skipped, want)
	}
}

func TestScopeValidate(t *testing.T) {
	tests := []struct {
		clause Clause
		want   string
	}{
		{Clause{Attribute: "department", Operator: "EQUAL", Value: "x"}, `unknown operator "EQUAL"; did you mean EQUALS?`},
		{Clause{Attribute: "department", Operator: "LIKE", Value: "x"}, `unknown operator "LIKE"`},
		{Clause{Attribute: "department", Operator: "REGEX MATCH", Value: "(a"}, `invalid regular expression "(a"`},
		{Clause{Attribute: "employeeNumber", Operator: "GREATER_THAN", Value: "ten"}, `GREATER_THAN needs an integer value, not "ten"`},
		{Clause{Attribute: "department", Operator: "EQUALS"}, `EQUALS needs a value`},
		{Clause{Attribute: "department", Operator: "IS NULL", Value: "x"}, `IS NULL takes no value, got "x"`},
		{Clause{Attribute: "departmnet", Operator: "IS NULL"}, `unknown attribute "departmnet"; did you mean department?`},
		{Clause{Attribute: "groups", Operator: "IS NULL"}, `groups cannot be scoped on`},
	}
	for _, tt := range tests {
		s := Scope{{Name: "r", Clauses: []Clause{{Attribute: "userName", Operator: "IS NOT NULL"}, tt.clause}}}
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), "scim.scope rule 1 (r), clause 2: "+tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.clause, err, tt.want)
		}
	}
	if err := (Scope{{}}).Validate(); err == nil || !strings.Contains(err.Error(), "scim.scope rule 1: has no clauses") {
		t.Errorf("Validate(a rule without clauses) = %v, want it named", err)
	}
	if err := (Scope{}).Validate(); err != nil {
		t.Errorf("Validate(no rules) = %v", err)
	}
}
