package provision_test

import (
	"fmt"
	"strings"

	"github.com/orgctl/orgctl/provision"
)

func Example() {
	csv := "userName,active,department,groups\n" +
		"ann@example.com,True,Sales,Sales; Everyone\n" +
		"bob@example.com,false,Ops,Everyone\n" +
		"eve@elsewhere.example,true,Sales,Sales\n"
	src, err := provision.ReadSource(strings.NewReader(csv), "users.csv", provision.FormatAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	verified, _ := provision.VerifiedDomains("example.com")
	scope := provision.Scope{{Name: "sales", Clauses: []provision.Clause{
		{Attribute: "department", Operator: provision.OpEquals, Value: "Sales"},
	}}}
	d, err := provision.Build(src, provision.DefaultMapping(), scope, verified)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range d.Users {
		fmt.Println("user", u.User.UserName, *u.User.Active, u.Groups)
	}
	for _, g := range d.Groups {
		fmt.Println("group", g.DisplayName, g.Members)
	}
	for _, s := range d.Skipped {
		fmt.Println("skip", s.UserName, s.Reason)
	}
	// Output:
	// user ann@example.com true [Sales Everyone]
	// group Sales [ann@example.com]
	// group Everyone [ann@example.com]
	// skip bob@example.com out_of_scope
	// skip eve@elsewhere.example domain_not_verified
}

func ExampleSourceError() {
	csv := "userName,active\nann@example.com,yes\n,true\nann@example.com,TRUE\n"
	_, err := provision.ReadSource(strings.NewReader(csv), "users.csv", provision.FormatAuto)
	if se, ok := err.(*provision.SourceError); ok {
		for _, r := range se.Rows {
			fmt.Println(r)
		}
	}
	// Output:
	// line 2: active "yes": invalid boolean: want true or false
	// line 3: userName "": userName is empty
	// line 4: userName "ann@example.com": duplicate userName: line 2 has it too (userNames are compared case-insensitively)
}
