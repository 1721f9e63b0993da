package provisiontest_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orgctl/orgctl/provision"
	"github.com/orgctl/orgctl/provision/provisiontest"
)

func TestWriteCSV(t *testing.T) {
	o := provisiontest.Options{Users: 2000, Seed: 7}
	var a, b, c bytes.Buffer
	for _, x := range []struct {
		buf  *bytes.Buffer
		seed uint64
	}{{&a, 7}, {&b, 7}, {&c, 8}} {
		o.Seed = x.seed
		if err := provisiontest.WriteCSV(x.buf, o); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same options wrote different sources")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("another seed wrote the same source")
	}
	text := a.String()
	for _, want := range []string{`"`, "ö", "USER0000000@EXAMPLE.COM", "User0000003@example.com", provisiontest.UnverifiedDomain} {
		if !strings.Contains(text, want) {
			t.Errorf("source has no %q", want)
		}
	}

	src, err := provision.ReadSource(&a, "gen.csv", provision.FormatAuto)
	if err != nil {
		t.Fatalf("ReadSource: %v", err)
	}
	verified, _ := provision.VerifiedDomains(provisiontest.Domain)
	d, err := provision.Build(src, provision.DefaultMapping(), nil, verified)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got, want := len(d.Skipped), 2000/50; got != want {
		t.Errorf("%d skipped, want %d (every 50th user is of the unverified domain)", got, want)
	}
	if got := len(d.Groups); got != 30 {
		t.Errorf("%d groups, want 30", got)
	}
	members := 0
	nonASCII := false
	for _, g := range d.Groups {
		members += len(g.Members)
		nonASCII = nonASCII || utf8.RuneCountInString(g.DisplayName) != len(g.DisplayName)
	}
	if members < len(d.Users) || !nonASCII {
		t.Errorf("%d memberships for %d users, non-ASCII group names: %v", members, len(d.Users), nonASCII)
	}
	if u := d.Users[1].User; u.Enterprise.EmployeeNumber != "00000001" {
		t.Errorf("employeeNumber = %q, want 00000001 (leading zeros kept)", u.Enterprise.EmployeeNumber)
	}
	names := map[string]bool{}
	for i := range 30 {
		names[provisiontest.GroupName(i)] = true
	}
	for _, g := range d.Groups {
		if !names[g.DisplayName] {
			t.Errorf("group %q is none of GroupName(0…29)", g.DisplayName)
		}
	}
}
