// Package provisiontest makes big, realistic sources of users for the tests
// and benchmarks of the provisioning engine. It is test support: release
// code never imports it.
//
//	var buf bytes.Buffer
//	provisiontest.WriteCSV(&buf, provisiontest.Options{Users: 2000, Seed: 1})
//	src, err := provision.ReadSource(&buf, "users.csv", provision.FormatAuto)
//
// The users are the same for the same Options. Their userNames are unique
// case-insensitively but written in mixed case; names are non-ASCII in
// part and hold commas and quotes; every user is in one to three of the
// groups (whose names have non-ASCII letters, commas and quotes too); every
// UnverifiedEvery-th user is of UnverifiedDomain, which a test leaves
// unverified.
package provisiontest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
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

// Header is the header row of WriteCSV's sources.
var Header = []string{
	"userName", "externalId", "active", "name.givenName", "name.familyName", "department",
	"employeeNumber", "costCenter", "division", "email", "groups",
}

// WriteCSV writes a canonical CSV source of o.Users users with a groups
// column.
func WriteCSV(w io.Writer, o Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Header); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	row := make([]string, len(Header))
	var groups []string
	for i := range o.Users {
		given := givenNames[rng.IntN(len(givenNames))]
		family := familyNames[rng.IntN(len(familyNames))]
		active := "true"
		switch rng.IntN(20) {
		case 0:
			active = "False"
		case 1:
			active = ""
		case 2:
			active = "TRUE"
		}
		groups = groups[:0]
		for range 1 + rng.IntN(3) {
			groups = append(groups, GroupName(rng.IntN(o.groups())))
		}
		userName := o.UserName(i)
		row[0] = userName
		row[1] = "ext-" + strconv.Itoa(i)
		row[2] = active
		row[3] = given
		row[4] = family
		row[5] = departments[rng.IntN(len(departments))]
		row[6] = fmt.Sprintf("%08d", i) // leading zeros: employeeNumber is a string
		row[7] = "CC-" + strconv.Itoa(rng.IntN(100))
		row[8] = ""
		if i%2 == 0 {
			row[8] = "Division " + strconv.Itoa(i%5)
		}
		row[9] = strings.ToLower(userName)
		row[10] = strings.Join(groups, "; ")
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
