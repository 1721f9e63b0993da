package provision

import (
	"slices"
	"strings"
	"testing"
)

func TestUserDomain(t *testing.T) {
	tests := []struct{ userName, want, err string }{
		{"ann@Example.COM", "example.com", ""},
		{"ann@bücher.example", "xn--bcher-kva.example", ""},
		{"alex_fabrikam.com#EXT#@contoso.onmicrosoft.com", "contoso.onmicrosoft.com", ""},
		{`"a@b"@c.example`, "c.example", ""},
		{"ann", "", `userName "ann" has no @domain`},
		{"ann@localhost", "", "single label"},
	}
	for _, tt := range tests {
		got, err := UserDomain(tt.userName)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("UserDomain(%q) = %q, %v; want %q, %q", tt.userName, got, err, tt.want, tt.err)
		}
	}
}

func TestVerifiedDomains(t *testing.T) {
	v, err := VerifiedDomains("Example.com.", "bücher.example")
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{"example.com": true, "xn--bcher-kva.example": true, "other.example": false} {
		if v(d) != want {
			t.Errorf("verified(%s) = %v, want %v", d, !want, want)
		}
	}
	if _, err := VerifiedDomains("https://x.example/"); err == nil || !strings.Contains(err.Error(), "https://x.example/") {
		t.Errorf("VerifiedDomains(URL) error = %v, want one naming it", err)
	}
}

func TestDomainGate(t *testing.T) {
	src := mustRead(t, "u.csv", "userName,groups\n"+
		"a@Verified.example,G\n"+
		"b@other.example,G\n"+
		"c@BÜCHER.example,G\n"+
		"nodomain,G\n"+
		"d@other.example,H\n")
	asked := map[string]int{}
	verified := func(d string) bool {
		asked[d]++
		return d == "verified.example" || d == "xn--bcher-kva.example"
	}
	d, err := Build(src, DefaultMapping(), nil, verified)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := userNames(d.Users), []string{"a@Verified.example", "c@BÜCHER.example"}; !slices.Equal(got, want) {
		t.Errorf("users = %q, want %q", got, want)
	}
	want := []Skip{
		{Line: 3, UserName: "b@other.example", Reason: ReasonDomainNotVerified,
			Detail: "domain other.example is not verified (run orgctl verify other.example, or give --verified-domain other.example)"},
		{Line: 5, UserName: "nodomain", Reason: ReasonDomainNotVerified, Detail: `userName "nodomain" has no @domain`},
		{Line: 6, UserName: "d@other.example", Reason: ReasonDomainNotVerified,
			Detail: "domain other.example is not verified (run orgctl verify other.example, or give --verified-domain other.example)"},
	}
	if !slices.Equal(d.Skipped, want) {
		t.Errorf("skipped:\n got %+v\nwant %+v", d.Skipped, want)
	}
	if asked["other.example"] != 1 {
		t.Errorf("verified(other.example) asked %d times, want once", asked["other.example"])
	}
	// A skipped user is in no group; its group is still the source's.
	groups := groupLines(d, false)
	if want := []string{"G=a@Verified.example|c@BÜCHER.example", "H="}; !slices.Equal(groups, want) {
		t.Errorf("groups = %q, want %q", groups, want)
	}
	// A nil Verified verifies nothing.
	d, err = Build(src, DefaultMapping(), nil, nil)
	if err != nil || len(d.Users) != 0 || len(d.Skipped) != 5 {
		t.Errorf("Build(nil gate) = %d users, %d skipped, %v; want 0, 5", len(d.Users), len(d.Skipped), err)
	}
}
