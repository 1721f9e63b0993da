package provisiontest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
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

// TestFormatsAgree holds that the same users written as CSV, JSONL and JSON
// read and build to the same desired state (but for lines and the order
// of groups), and that the Entra export reads as one.
func TestFormatsAgree(t *testing.T) {
	o := provisiontest.Options{Users: 600, Groups: 9, Seed: 11}
	verified, _ := provision.VerifiedDomains(provisiontest.Domain)
	build := func(write func(io.Writer, provisiontest.Options) error, name string) *provision.Desired {
		t.Helper()
		var b bytes.Buffer
		if err := write(&b, o); err != nil {
			t.Fatal(err)
		}
		src, err := provision.ReadSource(&b, name, provision.FormatAuto)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := provision.Build(src, provision.DefaultMapping(), nil, verified)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, u := range d.Users {
			u.Line = 0
		}
		for i := range d.Skipped {
			d.Skipped[i].Line = 0
		}
		slices.SortFunc(d.Groups, func(a, b *provision.DesiredGroup) int { return strings.Compare(a.DisplayName, b.DisplayName) })
		for _, g := range d.Groups {
			g.ExternalID = "" // the JSON source's groups list has them
		}
		for _, u := range d.Users {
			slices.Sort(u.Groups)
		}
		return d
	}
	want := build(provisiontest.WriteCSV, "users.csv")
	wj, _ := json.Marshal(want)
	for name, write := range map[string]func(io.Writer, provisiontest.Options) error{
		"users.jsonl": provisiontest.WriteJSONL, "users.json": provisiontest.WriteJSON,
	} {
		gj, _ := json.Marshal(build(write, name))
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s builds to another state than the CSV:\n got %.600s\nwant %.600s", name, gj, wj)
		}
	}

	var b bytes.Buffer
	if err := provisiontest.WriteEntraCSV(&b, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeffuserPrincipalName,")) || !bytes.Contains(b.Bytes(), []byte("\r\n")) || !bytes.Contains(b.Bytes(), []byte(",False,")) {
		t.Errorf("Entra export does not start with a BOM and the header, or lacks CRLF or False: %.200q", b.String())
	}
	src, err := provision.ReadSource(&b, "export.csv", provision.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	d, err := provision.Build(src, provision.DefaultMapping(), nil, verified)
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != provision.KindEntra || len(src.Fields()) != 30 || len(d.Users) != len(want.Users) || len(d.Skipped) != len(want.Skipped) {
		t.Errorf("Entra export: kind %s, %d fields, %d users, %d skipped; want entra, 30, %d, %d",
			src.Kind, len(src.Fields()), len(d.Users), len(d.Skipped), len(want.Users), len(want.Skipped))
	}
	guests := 0
	for i, u := range d.Users {
		if strings.Contains(u.User.UserName, "#EXT#@") {
			guests++
		}
		if w := want.Users[i].User; u.User.ExternalID != w.ExternalID || *u.User.Active != *w.Active || u.User.Enterprise.EmployeeNumber != w.Enterprise.EmployeeNumber {
			t.Errorf("Entra user %d = %+v, want the CSV's %+v", i, u.User, w)
			break
		}
	}
	if guests == 0 {
		t.Error("no guest in the Entra export")
	}
}
