package scimtest

import "testing"

// FuzzFilter: no filter makes the parser or the matcher panic or loop.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "a\"b\\c"`,
		`emails[type eq "work" and value co "@"] or not (active eq false)`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "R"`,
		`meta.lastModified gt "2024-01-01T00:00:00Z" and externalId pr`,
		`(((userName pr)))`,
		`members[value eq "x"]`,
		`userName eq "\u00e9"`,
	} {
		f.Add(s)
	}
	res := map[string]any{
		"userName":           "a\"b\\c",
		"active":             true,
		"emails":             []any{map[string]any{"value": "x@y", "type": "work"}},
		"meta":               map[string]any{"created": "2024-05-01T00:00:00Z"},
		SchemaEnterpriseUser: map[string]any{"department": "R&D"},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range kinds {
			if flt, err := parseFilter(k, s); err == nil {
				flt.match(res)
			}
		}
	})
}
