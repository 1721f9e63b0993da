package provision

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim"
)

// mustRead reads a source from text, failing the test on error.
func mustRead(t *testing.T, name, text string) *Source {
	t.Helper()
	src, err := ReadSource(strings.NewReader(text), name, FormatAuto)
	if err != nil {
		t.Fatalf("ReadSource(%s): %v", name, err)
	}
	return src
}

// mustBuild builds with the default mapping, no scope and every domain
// verified.
func mustBuild(t *testing.T, src *Source) *Desired {
	t.Helper()
	d, err := Build(src, DefaultMapping(), nil, func(string) bool { return true })
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return d
}

func userNames(us []*DesiredUser) []string {
	var s []string
	for _, u := range us {
		s = append(s, u.User.UserName)
	}
	return s
}

func TestReadEntraExport(t *testing.T) {
	f, err := os.Open("testdata/entra-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := ReadSource(f, "testdata/entra-export.csv", FormatAuto)
	if err != nil {
		t.Fatalf("ReadSource: %v", err)
	}
	if src.Kind != KindEntra {
		t.Errorf("Kind = %q, want %q", src.Kind, KindEntra)
	}
	if got := len(src.Fields()); got != 30 {
		t.Errorf("%d fields, want 30", got)
	}
	verified, _ := VerifiedDomains("contoso.com", "contoso.onmicrosoft.com")
	d, err := Build(src, DefaultMapping(), nil, verified)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := []string{"adele.vance@contoso.com", "Jörg.Müller@contoso.com", "alex_fabrikam.com#EXT#@contoso.onmicrosoft.com", "megan.bowen@contoso.com"}
	if got := userNames(d.Users); !slices.Equal(got, want) {
		t.Errorf("users = %q, want %q", got, want)
	}
	wantSkip := []Skip{{Line: 7, UserName: "svc-backup@fabrikam.example", Reason: ReasonDomainNotVerified}}
	if len(d.Skipped) != 1 || d.Skipped[0].Line != wantSkip[0].Line || d.Skipped[0].UserName != wantSkip[0].UserName || d.Skipped[0].Reason != wantSkip[0].Reason {
		t.Errorf("Skipped = %+v, want %+v", d.Skipped, wantSkip)
	} else if !strings.Contains(d.Skipped[0].Detail, "fabrikam.example") {
		t.Errorf("skip detail %q does not name the domain fabrikam.example", d.Skipped[0].Detail)
	}

	yes, no := true, false
	ent := scim.Enterprise{Department: "Retail", EmployeeNumber: "000123"}
	wantAdele := scim.User{
		UserName: "adele.vance@contoso.com", ExternalID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", Active: &yes,
		Name:       scim.Name{GivenName: "Adele", FamilyName: "Vance"},
		Emails:     []scim.Email{{Value: "Adele.Vance@contoso.com", Type: "work", Primary: true}},
		Enterprise: ent,
	}
	checkUser(t, d.Users[0], 2, wantAdele)
	checkUser(t, d.Users[1], 3, scim.User{
		UserName: "Jörg.Müller@contoso.com", ExternalID: "5e1b6d5c-7c3d-4b8e-9a7e-1f2a3b4c5d6e", Active: &no,
		Name:       scim.Name{GivenName: "Jörg", FamilyName: "Müller"},
		Emails:     []scim.Email{{Value: "joerg.mueller@contoso.com", Type: "work", Primary: true}},
		Enterprise: scim.Enterprise{Department: "Engineering", EmployeeNumber: "004711"},
	})
	if got := d.Users[3].Line; got != 5 {
		t.Errorf("megan's line = %d, want 5 (the record spans lines 5-6)", got)
	}
	wantAttrs := []string{"userName", "externalId", "active", "name.givenName", "name.familyName",
		scim.SchemaEnterpriseUser + ":department", scim.SchemaEnterpriseUser + ":employeeNumber", `emails[type eq "work"].value`}
	if !slices.Equal(d.Attributes, wantAttrs) {
		t.Errorf("Attributes = %q, want %q (no costCenter or division: the export has none)", d.Attributes, wantAttrs)
	}

	// Entra's own columns can be scoped on.
	d, err = Build(src, DefaultMapping(), Scope{{Clauses: []Clause{{Attribute: "userType", Operator: "EQUALS", Value: "Guest"}}}}, verified)
	if err != nil {
		t.Fatalf("Build with scope: %v", err)
	}
	if got := userNames(d.Users); !slices.Equal(got, want[2:3]) {
		t.Errorf("users of userType EQUALS Guest = %q, want %q", got, want[2:3])
	}
}

func checkUser(t *testing.T, got *DesiredUser, line int, want scim.User) {
	t.Helper()
	if got.Line != line {
		t.Errorf("%s: line %d, want %d", want.UserName, got.Line, line)
	}
	g, w := *got.User, want
	if g.Active == nil || w.Active == nil || *g.Active != *w.Active {
		t.Errorf("%s: active = %v, want %v", want.UserName, ptrBool(g.Active), ptrBool(w.Active))
	}
	g.Active, w.Active = nil, nil
	gj, _ := g.MarshalJSON()
	wj, _ := w.MarshalJSON()
	if string(gj) != string(wj) {
		t.Errorf("user:\n got %s\nwant %s", gj, wj)
	}
}

// groupLines shows d's groups as "name=member|member" (or
// "name/externalId=…").
func groupLines(d *Desired, withID bool) []string {
	var s []string
	for _, g := range d.Groups {
		name := g.DisplayName
		if withID {
			name += "/" + g.ExternalID
		}
		s = append(s, name+"="+strings.Join(g.Members, "|"))
	}
	return s
}

func ptrBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestReadCanonicalCSV(t *testing.T) {
	text := "UserName,EXTERNALID,active,name.givenName,name.familyName,department,employeeNumber,costCenter,division,email,groups\n" +
		"zoe@example.com,z1,TRUE,Zoë,\"Núñez, Jr.\",\"R&D \"\"Labs\"\"\",007,CC1,Div,zoe@example.com,\" Équipe A ; Sales, EMEA;; \"\n" +
		"\n" +
		"Bob@Example.com,,,Bob,O'Brien,,,,,, \n" +
		",,,,,,,,,,\n" +
		"carl@example.com,c1,false,Carl,\"Smith\nJones\",,,,,,équipe a\n"
	src := mustRead(t, "users.csv", text)
	if src.Kind != KindCSV {
		t.Errorf("Kind = %q, want csv", src.Kind)
	}
	d := mustBuild(t, src)
	if got, want := userNames(d.Users), []string{"zoe@example.com", "Bob@Example.com", "carl@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("users = %q, want %q", got, want)
	}
	yes, no := true, false
	checkUser(t, d.Users[0], 2, scim.User{
		UserName: "zoe@example.com", ExternalID: "z1", Active: &yes,
		Name:       scim.Name{GivenName: "Zoë", FamilyName: "Núñez, Jr."},
		Emails:     []scim.Email{{Value: "zoe@example.com", Type: "work", Primary: true}},
		Enterprise: scim.Enterprise{Department: `R&D "Labs"`, EmployeeNumber: "007", CostCenter: "CC1", Division: "Div"},
	})
	checkUser(t, d.Users[1], 4, scim.User{UserName: "Bob@Example.com", Active: &yes, Name: scim.Name{GivenName: "Bob", FamilyName: "O'Brien"}})
	checkUser(t, d.Users[2], 6, scim.User{UserName: "carl@example.com", ExternalID: "c1", Active: &no, Name: scim.Name{GivenName: "Carl", FamilyName: "Smith\nJones"}})

	groups := groupLines(d, false)
	if want := []string{"Équipe A=zoe@example.com|carl@example.com", "Sales, EMEA=zoe@example.com"}; !slices.Equal(groups, want) {
		t.Errorf("groups = %q, want %q", groups, want)
	}
	if got, want := d.Users[2].Groups, []string{"Équipe A"}; !slices.Equal(got, want) {
		t.Errorf("carl's groups = %q, want %q", got, want)
	}
}

// TestBadSources holds every kind of bad source: each is refused with a
// *SourceError whose rows name the line and the offending value.
func TestBadSources(t *testing.T) {
	const h = "userName,externalId,active\n"
	long := strings.Repeat("x", MaxFieldBytes+1)
	type row struct {
		line  int
		value string // a substring of RowError.Value
		msg   string // a substring of RowError.Error()
	}
	tests := []struct {
		name, file, text string
		want             []row
	}{
		{"field count", "u.csv", h + "a@x.com,1,true\nb@x.com,2\nc@x.com,3,true,extra\n",
			[]row{{3, "b@x.com,2", "row has 2 fields, the header has 3"}, {4, "c@x.com,3,true,extra", "row has 4 fields"}}},
		{"bare quote", "u.csv", h + "a@x.com,1,true\nb@x.com,2\"x,true\nc@x.com,3,true\n",
			[]row{{3, `b@x.com,2"x,true`, "broken quoting"}}},
		{"quote not closed", "u.csv", h + "a@x.com,1,true\nb@x.com,\"2,true\nc@x.com,3,true\n",
			[]row{{3, `b@x.com,"2,true`, "broken quoting"}}},
		{"text after closing quote", "u.csv", h + "a@x.com,\"1\"x,true\n",
			[]row{{2, `a@x.com,"1"x,true`, "broken quoting"}}},
		{"invalid boolean", "u.csv", h + "a@x.com,1,yes\nb@x.com,2,TRUE\nc@x.com,3,0\n",
			[]row{{2, "yes", "active \"yes\": invalid boolean"}, {4, "0", "invalid boolean"}}},
		{"entra boolean", "u.csv", "userPrincipalName,accountEnabled\r\na@x.com,Yes\r\n",
			[]row{{2, "Yes", "accountEnabled \"Yes\": invalid boolean"}}},
		{"entra empty userPrincipalName", "u.csv", "\ufeffuserPrincipalName,surname\r\n,M\xfcller\r\n",
			[]row{{2, "M\uFFFDller", "surname \"M\uFFFDller\": text is not UTF-8"}, {2, "", `userPrincipalName "": userName is empty`}}},
		{"empty userName", "u.csv", h + "a@x.com,1,true\n,2,true\n",
			[]row{{3, "", "userName is empty"}}},
		{"userName of spaces", "u.csv", h + "a@x.com,1,true\n   ,2,true\n\t,3,true\n",
			[]row{{3, "   ", `userName "   ": userName is only white space`}, {4, "\t", `userName "\t": userName is only white space`}}},
		{"userName with control characters", "u.csv", h + "a\x07@x.com,1,true\nb@x.com\x1b[2J,2,true\nc\u0085@x.com,3,true\n\"d\n@x.com\",4,true\n",
			[]row{{2, "a\x07@x.com", `userName "a\a@x.com": userName holds a control character (U+0007)`},
				{3, "b@x.com\x1b[2J", `"b@x.com\x1b[2J": userName holds a control character (U+001B)`},
				{4, "c\u0085@x.com", `"c\u0085@x.com": userName holds a control character (U+0085)`},
				{5, "d\n@x.com", `"d\n@x.com": userName holds a control character (U+000A)`}}},
		{"entra userPrincipalName of spaces", "u.csv", "userPrincipalName,accountEnabled\r\n  ,true\r\n",
			[]row{{2, "  ", `userPrincipalName "  ": userName is only white space`}}},
		{"group name with a control character", "u.csv", "userName,groups\na@x.com,Sales; Ops\x1fEMEA\nb@x.com,Sales\n",
			[]row{{2, "Ops\x1fEMEA", `groups "Ops\x1fEMEA": group name holds a control character (U+001F)`}}},
		{"field over 64 KiB", "u.csv", h + "a@x.com," + long + ",true\n",
			[]row{{2, "xxxxxxxx… (65537 bytes)", "65537 bytes, more than the 65536 allowed"}}},
		{"not UTF-8", "u.csv", h + "a@x.com,1,true\nb@x.com,M\xfcller,true\n",
			[]row{{3, "M\uFFFDller", "not UTF-8"}}},
		{"UTF-16 LE BOM", "u.csv", "\xff\xfeu\x00s\x00", []row{{1, "", "UTF-16: save as UTF-8"}}},
		{"UTF-16 BE BOM", "u.csv", "\xfe\xff\x00u\x00s", []row{{1, "", "UTF-16: save as UTF-8"}}},
		{"UTF-16 without BOM", "-", "u\x00s\x00e\x00r\x00", []row{{1, "", "UTF-16"}}},
		{"NUL", "u.csv", h + "a@x.com,1\x002,true\n", []row{{2, "1\x002", "NUL"}}},
		{"duplicate userName", "u.csv", h + "Ann@x.com,1,true\nb@x.com,2,true\nann@X.com,3,true\n",
			[]row{{4, "ann@X.com", "duplicate userName: line 2 has it too"}}},
		{"duplicate externalId", "u.csv", h + "a@x.com,7,true\nb@x.com,7,true\nc@x.com,,true\nd@x.com,,true\n",
			[]row{{3, "7", "duplicate externalId: line 2 has it too"}}},
		{"unknown header", "u.csv", "userName,departmnet\na@x.com,Sales\n",
			[]row{{1, "departmnet", "unknown column; did you mean department?"}}},
		{"unknown header far from all", "u.csv", "userName,zzzzzzzzzzzzzzzzzzzzzz\n",
			[]row{{1, "zzzzzzzzzzzzzzzzzzzzzz", "unknown column"}}},
		{"two userName columns", "u.csv", "userName,userPrincipalName\na@x.com,a@x.com\n",
			[]row{{1, "userPrincipalName", `gives userName, as column "userName" does`}}},
		{"no userName column", "u.csv", "externalId,active\n1,true\n", []row{{1, "externalId,active", "no userName column"}}},
		{"empty", "u.csv", "", []row{{0, "", "source is empty"}}},
		{"several at once", "u.csv", h + "a@x.com,1,maybe\n,2,true\nc@x.com,3\n",
			[]row{{2, "maybe", "invalid boolean"}, {3, "", "userName is empty"}, {4, "c@x.com,3", "row has 2 fields"}}},

		{"json invalid boolean", "u.json", "{\"users\": [\n  {\"userName\": \"a@x.com\"},\n  {\"userName\": \"b@x.com\",\n   \"active\": \"yes\"}\n]}",
			[]row{{3, "yes", "invalid boolean"}}},
		{"json empty userName", "u.json", `{"users": [{"userName": "", "active": "no", "title": "x"}]}`,
			[]row{{1, "", "userName is empty"}, {1, "no", "invalid boolean"}}},
		{"json unknown attribute", "u.json", "{\"users\": [\n{\"userName\": \"a@x.com\", \"departement\": \"x\"}]}",
			[]row{{2, "departement", "unknown attribute; did you mean department?"}}},
		{"json userName of spaces", "u.json", "{\"users\": [\n{\"userName\": \"a@x.com\"},\n{\"userName\": \" \"},\n{\"userName\": \"b\\u0000@x.com\"},\n{\"userName\": \"c\\u009b@x.com\"}]}",
			[]row{{3, " ", "userName is only white space"}, {4, "b\x00@x.com", "NUL"}, {5, "c\u009b@x.com", "control character (U+009B)"}}},
		{"jsonl group names", "u.jsonl", "{\"userName\": \"a@x.com\", \"groups\": [\"Sales\", \"Ops\\u0007\"]}\n",
			[]row{{1, "Ops", "control character (U+0007)"}}},
		{"json group displayName", "u.json", `{"users": [{"userName": "a@x.com"}], "groups": [{"displayName": "Ops\u001b[1m", "members": ["a@x.com"]}]}`,
			[]row{{1, "Ops\x1b[1m", "group displayName holds a control character (U+001B)"}}},
		{"json wrong type", "u.json", `{"users": [{"userName": ["a@x.com"]}]}`, []row{{1, `["a@x.com"]`, "want a string"}}},
		{"json values that are no strings", "u.json", "{\"users\": [\n" +
			`{"userName": "a@x.com", "externalId": true},` + "\n" +
			`{"userName": "b@x.com", "department": 1e999, "division": false},` + "\n" +
			`{"userName": 5},` + "\n" +
			`{"userName": "d@x.com", "name": {"givenName": ["D"]}, "` + scim.SchemaEnterpriseUser + `": {"employeeNumber": {"n": 4}}},` + "\n" +
			`{"userName": "e@x.com", "employeeNumber": 42, "active": {}}` + "\n]}",
			[]row{{2, "true", `externalId "true": want a string, found a boolean`},
				{3, "false", `division "false": want a string, found a boolean`},
				{4, "5", `userName "5": want a string, found a number`},
				{5, `["D"]`, `name.givenName "[\"D\"]": want a string, found an array`},
				{5, `{"n": 4}`, "employeeNumber" + ` "{\"n\": 4}": want a string, found an object`},
				{6, "{}", `active "{}": invalid boolean: want true or false, found an object`}}},
		{"jsonl values that are no strings", "u.jsonl", "{\"userName\": \"a@x.com\", \"costCenter\": false, \"division\": null, \"active\": null}\n{\"userName\": \"b@x.com\", \"name\": {\"familyName\": [7]}}\n",
			[]row{{1, "false", `costCenter "false": want a string, found a boolean`}, {2, "[7]", `name.familyName "[7]": want a string, found an array`}}},
		{"json group values that are no strings", "u.json", "{\"users\": [{\"userName\": \"a@x.com\"}], \"groups\": [\n" +
			`{"displayName": 5, "externalId": "g1"},` + "\n" +
			`{"displayName": "G", "externalId": ["g2"], "members": ["a@x.com", 1]}` + "\n]}",
			[]row{{2, "5", `displayName "5": want a string, found a number`},
				{3, `["g2"]`, "want a string, found an array"},
				{3, `["a@x.com", 1]`, "want an array of userNames (strings), found a number as member 2"}}},
		{"json syntax", "u.json", "{\"users\": [\n{\"userName\": \"a@x.com\"},\n{\"userName\" \"b@x.com\"}\n]}",
			[]row{{3, `{"userName" "b@x.com"}`, "invalid JSON"}}},
		{"json ends early", "u.json", "{\"users\": [\n{\"userName\": \"a@x.com\"}", []row{{2, "", "ends early"}}},
		{"json unknown key", "u.json", `{"user": []}`, []row{{1, "user", "did you mean users?"}}},
		{"json not UTF-8", "u.json", "{\"users\": [\n{\"userName\": \"M\xfcller@x.com\"}]}", []row{{2, "M\uFFFDller", "not UTF-8"}}},
		{"json duplicate userName", "u.json", "{\"users\": [\n{\"userName\": \"A@x.com\"},\n{\"userName\": \"a@X.com\"}]}",
			[]row{{3, "a@X.com", "line 2 has it too"}}},
		{"json field over 64 KiB", "u.json", `{"users": [{"userName": "a@x.com", "department": "` + long + `"}]}`,
			[]row{{1, "xxx… (65537 bytes)", "more than the 65536 allowed"}}},
		{"json given twice", "u.json", `{"users": [{"userName": "a@x.com", "department": "A", "` + scim.SchemaEnterpriseUser + `": {"department": "B"}}]}`,
			[]row{{1, "", "given twice, differently"}}},
		{"jsonl bad lines", "u.jsonl", "{\"userName\": \"a@x.com\"}\n{\"userName\": \"b@x.com\", \"active\": 1}\n\n{not json}\n{\"userName\": \"c@x.com\"}\n",
			[]row{{2, "1", "invalid boolean"}, {4, "{not json}", "want a JSON object"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := ReadSource(strings.NewReader(tt.text), tt.file, FormatAuto)
			var se *SourceError
			if !errors.As(err, &se) {
				t.Fatalf("ReadSource = %v, %v; want a *SourceError", src, err)
			}
			if len(se.Rows) != len(tt.want) {
				t.Fatalf("%d problems, want %d: %v", len(se.Rows), len(tt.want), se)
			}
			for i, w := range tt.want {
				got := se.Rows[i]
				if got.Line != w.line || !strings.Contains(got.Value, w.value) || !strings.Contains(got.Error(), w.msg) {
					t.Errorf("problem %d = line %d, value %q, %q;\nwant line %d, value with %q, message with %q", i, got.Line, got.Value, got.Error(), w.line, w.value, w.msg)
				}
				if len(got.Value) > 120 {
					t.Errorf("problem %d: value of %d bytes is not shortened", i, len(got.Value))
				}
			}
			if !strings.Contains(se.Error(), tt.file) {
				t.Errorf("error %q does not name the source %s", se, tt.file)
			}
			// OpenSource, which keeps only hashes, finds the same.
			path := filepath.Join(t.TempDir(), "source")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenSource(path, tt.file, FormatAuto); err == nil || err.Error() != se.Error() {
				t.Errorf("OpenSource = %v,\nwant %v", err, se)
			}
		})
	}
}

func TestSourceErrorCapsRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("userName,active\n")
	for i := range MaxRowErrors + 5 {
		fmt.Fprintf(&b, "a%d@x.com,maybe\n", i)
	}
	_, err := ReadSource(strings.NewReader(b.String()), "u.csv", FormatCSV)
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SourceError", err)
	}
	if len(se.Rows) != MaxRowErrors || se.More != 5 {
		t.Errorf("%d rows and %d more, want %d and 5", len(se.Rows), se.More, MaxRowErrors)
	}
	if want := "1005 problems"; !strings.Contains(se.Error(), want) {
		t.Errorf("error %q does not say %q", se.Error()[:80], want)
	}
}

func TestReadJSON(t *testing.T) {
	text := `{
  "users": [
    {
      "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
      "userName": "ann@example.com",
      "externalId": "e1",
      "active": false,
      "name": {"givenName": "Ann", "familyName": "Ødegård", "formatted": "Ann Ødegård"},
      "emails": [{"value": "home@example.org", "type": "home"}, {"value": "ann@example.com", "type": "work", "primary": true}],
      "` + scim.SchemaEnterpriseUser + `": {"department": "Sales", "employeeNumber": "0042", "manager": {"value": "x"}},
      "groups": ["Sales; EMEA", {"display": "Café"}]
    },
    {"userName": "BOB@example.com", "employeeNumber": 17, "costCenter": "CC", "division": "D", "active": "True",
     "displayName": "Bob"}
  ],
  "groups": [
    {"displayName": "Managers", "externalId": "g-1", "members": ["bob@example.com"]},
    {"displayName": "café", "externalId": "g-2", "members": ["ann@example.com", "BOB@EXAMPLE.COM"]}
  ]
}`
	src := mustRead(t, "-", text)
	if src.Kind != KindJSON {
		t.Errorf("Kind = %q, want json", src.Kind)
	}
	d := mustBuild(t, src)
	yes, no := true, false
	if len(d.Users) != 2 {
		t.Fatalf("users = %q, want 2", userNames(d.Users))
	}
	checkUser(t, d.Users[0], 3, scim.User{
		UserName: "ann@example.com", ExternalID: "e1", Active: &no,
		Name:       scim.Name{GivenName: "Ann", FamilyName: "Ødegård"},
		Emails:     []scim.Email{{Value: "ann@example.com", Type: "work", Primary: true}},
		Enterprise: scim.Enterprise{Department: "Sales", EmployeeNumber: "0042"},
	})
	checkUser(t, d.Users[1], 13, scim.User{UserName: "BOB@example.com", Active: &yes,
		Enterprise: scim.Enterprise{EmployeeNumber: "17", CostCenter: "CC", Division: "D"}})
	groups := groupLines(d, true)
	want := []string{"Managers/g-1=BOB@example.com", "café/g-2=ann@example.com|BOB@example.com", "Sales; EMEA/=ann@example.com"}
	if !slices.Equal(groups, want) {
		t.Errorf("groups = %q, want %q", groups, want)
	}
	if got, want := d.Users[0].Groups, []string{"Sales; EMEA", "café"}; !slices.Equal(got, want) {
		t.Errorf("ann's groups = %q, want %q", got, want)
	}
}

func TestJSONGroupProblems(t *testing.T) {
	text := "{\"users\": [{\"userName\": \"a@x.com\"}],\n" +
		"\"groups\": [\n" +
		"{\"displayName\": \"G\", \"externalId\": \"1\", \"members\": [\"a@x.com\", \"nobody@x.com\"]},\n" +
		"{\"displayName\": \"g\", \"externalId\": \"2\"},\n" +
		"{\"displayName\": \"H\", \"externalId\": \"1\"}\n" +
		"]}"
	src := mustRead(t, "g.json", text)
	_, err := Build(src, DefaultMapping(), nil, func(string) bool { return true })
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("Build = %v, want a *SourceError", err)
	}
	want := []RowError{
		{Line: 4, Field: "displayName", Value: "g", Msg: "duplicate group displayName (compared case-insensitively)"},
		{Line: 5, Field: "externalId", Value: "1", Msg: "duplicate group externalId: line 3 has it too"},
		{Line: 3, Field: "members", Value: "nobody@x.com", Msg: `group "G" lists a member that is no user of the source`},
	}
	if !slices.Equal(se.Rows, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", se.Rows, want)
	}
}

func TestReadJSONL(t *testing.T) {
	text := "{\"userName\": \"a@x.com\", \"name\": {\"givenName\": \"Ä\"}, \"groups\": [\"G\"]}\r\n\n" +
		"{\"userName\": \"b@x.com\", \"active\": \"FALSE\", \"groups\": [\"g\", \"H\"]}\n"
	src := mustRead(t, "-", text)
	if src.Kind != KindJSONL {
		t.Errorf("Kind = %q, want jsonl", src.Kind)
	}
	d := mustBuild(t, src)
	if len(d.Users) != 2 || d.Users[1].Line != 3 || *d.Users[1].User.Active || d.Users[0].User.Name.GivenName != "Ä" {
		t.Errorf("users = %+v", d.Users)
	}
	groups := groupLines(d, false)
	if want := []string{"G=a@x.com|b@x.com", "H=b@x.com"}; !slices.Equal(groups, want) {
		t.Errorf("groups = %q, want %q", groups, want)
	}
}

func TestFormatDetection(t *testing.T) {
	tests := []struct {
		name, text string
		format     Format
		want       Kind
	}{
		{"users.CSV", "userName\na@x.com\n", FormatAuto, KindCSV},
		{"-", "userName\na@x.com\n", FormatAuto, KindCSV},
		{"-", "\ufeffuserPrincipalName\r\na@x.com\r\n", FormatAuto, KindEntra},
		{"-", "{\"users\": [{\"userName\": \"a@x.com\"}]}", FormatAuto, KindJSON},
		{"-", "{\"users\":\n[{\"userName\": \"a@x.com\"}]}", FormatAuto, KindJSON},
		{"-", "{\n\"users\": []}", FormatAuto, KindJSON},
		{"-", "{\"userName\": \"a@x.com\"}\n{\"userName\": \"b@x.com\"}\n", FormatAuto, KindJSONL},
		{"u.ndjson", "{\"userName\": \"a@x.com\"}", FormatAuto, KindJSONL},
		{"u.txt", "{\"userName\": \"a@x.com\"}", FormatJSONL, KindJSONL},
		{"u.json", "userName\na@x.com\n", FormatCSV, KindCSV},
	}
	for _, tt := range tests {
		src, err := ReadSource(strings.NewReader(tt.text), tt.name, tt.format)
		if err != nil {
			t.Errorf("ReadSource(%s, %q): %v", tt.name, tt.text, err)
			continue
		}
		if src.Kind != tt.want {
			t.Errorf("ReadSource(%s, %q).Kind = %q, want %q", tt.name, tt.text, src.Kind, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{FormatAuto, FormatCSV, FormatJSON, FormatJSONL} {
		if got, err := ParseFormat(strings.ToUpper(f.String())); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", f, got, err, f)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("ParseFormat(xml) error = %v, want one naming it", err)
	}
}
