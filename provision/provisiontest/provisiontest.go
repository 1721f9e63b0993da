// Package provisiontest makes big, realistic sources of users for the tests
// and benchmarks of the provisioning engine. It is test support: release
// code never imports it.
//
//	var buf bytes.Buffer
//	provisiontest.WriteCSV(&buf, provisiontest.Options{Users: 2000, Seed: 1})
//	src, err := provision.ReadSource(&buf, "users.csv", provision.FormatAuto)
//
// WriteCSV, WriteJSONL and WriteJSON write the same users (and groups) for
// the same Options; WriteEntraCSV writes them as Entra's export, without
// groups. Options.Each gives them one by one, for a test to check against. Their userNames are unique
// case-insensitively but written in mixed case; names are non-ASCII in
// part and hold commas and quotes; every user is in one to three of the
// groups (whose names have non-ASCII letters, commas and quotes too); every
// UnverifiedEvery-th user is of UnverifiedDomain, which a test leaves
// unverified.
package provisiontest

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Domains of the generated users.
const (
	Domain           = "example.com"
	UnverifiedDomain = "unverified.example"
)

// Options say what to generate.
type Options struct {
	Users int
	// Groups is the number of groups; 0 means 30.
	Groups int
	Seed   uint64
	// UnverifiedEvery puts every n-th user (n ≥ 1) in UnverifiedDomain;
	// 0 means 50; a negative value, none.
	UnverifiedEvery int
}

func (o Options) groups() int {
	if o.Groups <= 0 {
		return 30
	}
	return o.Groups
}

func (o Options) unverifiedEvery() int {
	if o.UnverifiedEvery == 0 {
		return 50
	}
	return o.UnverifiedEvery
}

var (
	givenNames  = []string{"Adele", "Jörg", "Zoë", "Ålesund", "Siân", "Łukasz", "Ngozi", "Hiroshi", "José", "Anaïs", "O'Brien", "Mary \"May\"", "Ævar", "Dmitrij", "Chloé"}
	familyNames = []string{"Vance", "Müller", "Núñez", "Smith, Jr.", "O'Connor", "Østergaard", "Kowalski", "Björk", "García", "Nakamura", "Ødegård", "\"The\" Rock", "Dupont-Lefèvre", "Çelik", "Li"}
	departments = []string{"Sales", "Engineering", "Marketing", "R&D, Europe", "Finance", "Support \"Tier 1\"", "Ventes", "Forschung"}
	groupWords  = []string{"Équipe", "Team", "Projekt \"Blau\"", "Sales, EMEA", "Øresund", "Ops", "Café", "Zürich"}
)

// GroupName is the display name of group i (0 ≤ i < Options.Groups).
func GroupName(i int) string {
	return fmt.Sprintf("%s %d", groupWords[i%len(groupWords)], i)
}

// UserName is the userName of user i, as written in the source (mixed
// case).
func (o Options) UserName(i int) string {
	d := Domain
	if n := o.unverifiedEvery(); n > 0 && i%n == n-1 {
		d = UnverifiedDomain
	}
	name := fmt.Sprintf("user%07d@%s", i, d)
	if i%3 == 0 {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	if i%7 == 0 {
		name = strings.ToUpper(name)
	}
	return name
}

// User is one generated user, as the writers write it.
type User struct {
	UserName, ExternalID, Active, GivenName, FamilyName     string
	Department, EmployeeNumber, CostCenter, Division, Email string
	Groups                                                  []string
}

// Each calls fn with every user of o, in order.
func (o Options) Each(fn func(i int, u User)) {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	for i := range o.Users {
		u := User{
			UserName:       o.UserName(i),
			ExternalID:     "ext-" + strconv.Itoa(i),
			Active:         "true",
			GivenName:      givenNames[rng.IntN(len(givenNames))],
			FamilyName:     familyNames[rng.IntN(len(familyNames))],
			Department:     departments[rng.IntN(len(departments))],
			EmployeeNumber: fmt.Sprintf("%08d", i), // leading zeros: employeeNumber is a string
			CostCenter:     "CC-" + strconv.Itoa(rng.IntN(100)),
		}
		switch rng.IntN(20) {
		case 0:
			u.Active = "False"
		case 1:
			u.Active = ""
		case 2:
			u.Active = "TRUE"
		}
		if i%2 == 0 {
			u.Division = "Division " + strconv.Itoa(i%5)
		}
		u.Email = strings.ToLower(u.UserName)
		for range 1 + rng.IntN(3) {
			u.Groups = append(u.Groups, GroupName(rng.IntN(o.groups())))
		}
		fn(i, u)
	}
}

// Header is the header row of WriteCSV's sources.
var Header = []string{
	"userName", "externalId", "active", "name.givenName", "name.familyName", "department",
	"employeeNumber", "costCenter", "division", "email", "groups",
}

// WriteCSV writes a canonical CSV source of o.Users users with a groups
// column.
func WriteCSV(w io.Writer, o Options) error {
	return writeCSV(w, Header, o, func(u User) []string {
		return []string{u.UserName, u.ExternalID, u.Active, u.GivenName, u.FamilyName, u.Department,
			u.EmployeeNumber, u.CostCenter, u.Division, u.Email, strings.Join(u.Groups, "; ")}
	})
}

// EntraHeader is the header row of WriteEntraCSV's sources: the 30 columns
// of Entra ID's "bulk download users" export.
var EntraHeader = []string{
	"userPrincipalName", "displayName", "surname", "mail", "givenName", "objectId", "userType",
	"jobTitle", "department", "accountEnabled", "usageLocation", "streetAddress", "state", "country",
	"physicalDeliveryOfficeName", "city", "postalCode", "telephoneNumber", "mobile",
	"alternateEmailAddress", "ageGroup", "consentProvidedForMinor", "legalAgeGroupClassification",
	"companyName", "creationType", "directorySynced", "invitationState", "identityIssuer",
	"createdDateTime", "employeeId",
}

// WriteEntraCSV writes the users of o as Entra ID's "bulk download users"
// export does: a UTF-8 BOM, CRLF line ends, True/False, 30 columns (no
// groups, costCenter or division, which the export does not have). Every
// 10th user is a guest, whose userPrincipalName is
// NAME_partner.example#EXT#@ and the domain UserName gives.
func WriteEntraCSV(w io.Writer, o Options) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	return writeCSV(w, EntraHeader, o, func(u User) []string {
		typ, upn, created := "Member", u.UserName, ""
		if n, _ := strconv.Atoi(strings.TrimPrefix(u.ExternalID, "ext-")); n%10 == 9 {
			local, domain, _ := strings.Cut(u.UserName, "@")
			typ, upn, created = "Guest", local+"_partner.example#EXT#@"+domain, "Invitation"
		}
		enabled := "True"
		if strings.EqualFold(u.Active, "false") {
			enabled = "False"
		}
		return []string{upn, u.GivenName + " " + u.FamilyName, u.FamilyName, u.Email, u.GivenName,
			u.ExternalID, typ, "Engineer, \"Level 2\"", u.Department, enabled, "US", "1 Main St, Suite 4", "WA",
			"United States", "", "Redmond", "98052", "+1 425 555 0100", "", "", "", "", "", "Contoso, Ltd.",
			created, "", "", "contoso.onmicrosoft.com", "2024-01-09T16:20:05Z", u.EmployeeNumber}
	}, func(cw *csv.Writer) { cw.UseCRLF = true })
}

func writeCSV(w io.Writer, header []string, o Options, row func(User) []string, opts ...func(*csv.Writer)) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	for _, opt := range opts {
		opt(cw)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	var err error
	o.Each(func(_ int, u User) {
		if err == nil {
			err = cw.Write(row(u))
		}
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// jsonUser is a user as WriteJSONL and WriteJSON write it: SCIM-shaped,
// with the enterprise extension under its URN.
func jsonUser(u User, groups bool) map[string]any {
	m := map[string]any{
		"userName":   u.UserName,
		"externalId": u.ExternalID,
		"name":       map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName},
		"emails":     []map[string]any{{"value": u.Email, "type": "work", "primary": true}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]string{
			"department": u.Department, "employeeNumber": u.EmployeeNumber,
			"costCenter": u.CostCenter, "division": u.Division,
		},
	}
	if u.Active != "" {
		m["active"] = strings.EqualFold(u.Active, "true")
	}
	if groups {
		m["groups"] = u.Groups
	}
	return m
}

// WriteJSONL writes the users of o as JSONL, one SCIM-shaped user a line
// with its "groups".
func WriteJSONL(w io.Writer, o Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	var err error
	o.Each(func(_ int, u User) {
		if err == nil {
			err = enc.Encode(jsonUser(u, true))
		}
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// WriteJSON writes the users of o as a JSON source: {"users": [...],
// "groups": [...]}, the memberships in the groups list (with externalIds
// grp-N) rather than in the users.
func WriteJSON(w io.Writer, o Options) error {
	members := make([][]string, o.groups())
	var users []map[string]any
	o.Each(func(_ int, u User) {
		users = append(users, jsonUser(u, false))
		for _, g := range u.Groups {
			i := groupIndex(g)
			if !slices.Contains(members[i], u.UserName) {
				members[i] = append(members[i], u.UserName)
			}
		}
	})
	var groups []map[string]any
	for i, m := range members {
		if m != nil {
			groups = append(groups, map[string]any{"displayName": GroupName(i), "externalId": "grp-" + strconv.Itoa(i), "members": m})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"users": users, "groups": groups})
}

// groupIndex is i of GroupName(i).
func groupIndex(name string) int {
	i, _ := strconv.Atoi(name[strings.LastIndexByte(name, ' ')+1:])
	return i
}
