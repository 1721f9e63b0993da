package scimtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

const enterprise = scimtest.SchemaEnterpriseUser

// patchUser seeds a user, applies the operations and returns the status
// and the user as stored afterwards.
func patchUser(t *testing.T, opts scimtest.Options, ops ...map[string]any) (reply, map[string]any) {
	t.Helper()
	srv := scimtest.Start(t, opts)
	id := srv.AddUser(map[string]any{
		"userName": "pat", "active": true,
		"name":     map[string]any{"givenName": "Pat", "familyName": "Smith"},
		"emails":   []any{map[string]any{"value": "pat@home.example", "type": "home", "primary": true}},
		enterprise: map[string]any{"department": "Sales", "costCenter": "C1"},
	})
	r := newClient(t, srv).do("PATCH", "/Users/"+id, patchBody(ops...))
	return r, srv.Users()[0]
}

func TestPatchUser(t *testing.T) {
	tests := []struct {
		name  string
		ops   []map[string]any
		check map[string]any // path (as for get, dot-separated) → value; nil: absent
	}{
		{"replace active", []map[string]any{op("replace", "active", false)},
			map[string]any{"active": false}},
		{"replace sub-attribute", []map[string]any{op("replace", "name.givenName", "Patricia")},
			map[string]any{"name.givenName": "Patricia", "name.familyName": "Smith"}},
		{"replace complex merges", []map[string]any{op("replace", "name", map[string]any{"givenName": "P"})},
			map[string]any{"name.givenName": "P", "name.familyName": "Smith"}},
		{"remove sub-attribute", []map[string]any{op("remove", "name.familyName", nil)},
			map[string]any{"name.givenName": "Pat", "name.familyName": nil}},
		{"add through a filter that matches nothing", []map[string]any{op("add", `emails[type eq "work"].value`, "pat@work.example")},
			map[string]any{"emails.0.value": "pat@home.example", "emails.1.value": "pat@work.example", "emails.1.type": "work"}},
		{"replace through a filter", []map[string]any{op("replace", `emails[type eq "home"].value`, "new@home.example")},
			map[string]any{"emails.0.value": "new@home.example", "emails.0.primary": true}},
		{"remove through a filter", []map[string]any{op("remove", `emails[value eq "PAT@HOME.EXAMPLE"]`, nil)},
			map[string]any{"emails": nil}},
		{"add a primary email clears the old primary", []map[string]any{op("add", "emails", []any{map[string]any{"value": "p2@example", "primary": true}})},
			map[string]any{"emails.0.primary": false, "emails.1.primary": true}},
		{"enterprise path", []map[string]any{op("replace", enterprise+":department", "Support")},
			map[string]any{enterprise + ".department": "Support", enterprise + ".costCenter": "C1"}},
		{"enterprise path in other case", []map[string]any{op("replace", "URN:ietf:params:scim:schemas:extension:enterprise:2.0:user:Department", "Support")},
			map[string]any{enterprise + ".department": "Support"}},
		{"enterprise remove", []map[string]any{op("remove", enterprise+":department", nil), op("remove", enterprise+":costCenter", nil)},
			map[string]any{enterprise: nil, "schemas": []any{scimtest.SchemaUser}}},
		{"enterprise manager", []map[string]any{op("add", enterprise+":manager.value", "boss")},
			map[string]any{enterprise + ".manager.value": "boss"}},
		{"whole extension", []map[string]any{op("add", enterprise, map[string]any{"division": "D"})},
			map[string]any{enterprise + ".division": "D", enterprise + ".department": "Sales"}},
		{"path-less replace", []map[string]any{op("replace", "", map[string]any{"active": false, "displayName": "P S", "name": map[string]any{"familyName": "Jones"}})},
			map[string]any{"active": false, "displayName": "P S", "name.givenName": "Pat", "name.familyName": "Jones"}},
		{"path-less replace with the extension URN", []map[string]any{op("replace", "", map[string]any{enterprise: map[string]any{"department": "Ops"}})},
			map[string]any{enterprise + ".department": "Ops", enterprise + ".costCenter": "C1"}},
		{"path-less replace with a URN-qualified key", []map[string]any{op("replace", "", map[string]any{enterprise + ":department": "Ops"})},
			map[string]any{enterprise + ".department": "Ops"}},
		{"add to an attribute not set", []map[string]any{op("add", "title", "Boss")},
			map[string]any{"title": "Boss"}},
		{"several operations", []map[string]any{op("replace", "active", false), op("add", "nickName", "P"), op("remove", "title", nil)},
			map[string]any{"active": false, "nickName": "P"}},
		{"null unassigns", []map[string]any{op("replace", "", map[string]any{"name": nil, enterprise: nil})},
			map[string]any{"name": nil, enterprise: nil, "schemas": []any{scimtest.SchemaUser}}},
	}
	// Accepted by lenient services only, each with the leniency it needs.
	laxTests := []struct {
		name  string
		ops   []map[string]any
		check map[string]any
		lax   scimtest.Lax
	}{
		{"capitalised op", []map[string]any{op("Replace", "active", false)},
			map[string]any{"active": false}, scimtest.Lax{OpCase: true}},
		{"string boolean", []map[string]any{op("replace", "active", "False")},
			map[string]any{"active": false}, scimtest.Lax{StringBool: true}},
		{"dotted key without a path", []map[string]any{op("replace", "", map[string]any{"name.givenName": "Dot"})},
			map[string]any{"name.givenName": "Dot", "name.familyName": "Smith"}, scimtest.Lax{DottedKeys: true}},
		{"string boolean in a path-less value", []map[string]any{op("Replace", "", map[string]any{"active": "TRUE"})},
			map[string]any{"active": true}, scimtest.Lax{OpCase: true, StringBool: true}},
		{"remove with a value", []map[string]any{op("remove", "emails", []any{map[string]any{"value": "pat@home.example", "type": "home", "primary": true}})},
			map[string]any{"emails": nil, "name.givenName": "Pat"}, scimtest.Lax{RemoveValue: true}},
		{"scimmy's leniencies", []map[string]any{op("Replace", "", map[string]any{"name.givenName": "S"}), op("REMOVE", "emails", []any{map[string]any{"value": "nosuch@example"}})},
			map[string]any{"name.givenName": "S", "emails.0.value": "pat@home.example"}, scimtest.LaxSCIMMY()},
	}
	type run struct {
		name  string
		ops   []map[string]any
		check map[string]any
		opts  scimtest.Options
	}
	var runs []run
	for _, tt := range tests {
		runs = append(runs, run{tt.name, tt.ops, tt.check, scimtest.Options{}})
	}
	for _, tt := range laxTests {
		runs = append(runs, run{"lax/" + tt.name, tt.ops, tt.check, scimtest.Options{Lax: tt.lax}})
	}
	for _, tt := range runs {
		t.Run(tt.name, func(t *testing.T) {
			r, u := patchUser(t, tt.opts, tt.ops...)
			r.want(t, http.StatusOK)
			if !equalJSON(withoutMeta(r.body), withoutMeta(u)) {
				t.Errorf("PATCH answered\n%s\nbut stored\n%v", r.raw, u)
			}
			for path, want := range tt.check {
				if got := get(u, splitPath(path)...); !equalJSON(got, want) {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
		})
	}
}

func withoutMeta(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "meta" {
			out[k] = v
		}
	}
	return out
}

// splitPath splits "emails.0.value" for get; an extension URN is one key.
func splitPath(p string) []any {
	var keys []any
	if len(p) >= len(enterprise) && p[:len(enterprise)] == enterprise {
		keys = append(keys, enterprise)
		p = p[len(enterprise):]
		if p == "" {
			return keys
		}
		p = p[1:]
	}
	for p != "" {
		var k string
		k, p, _ = strings.Cut(p, ".")
		if n := k[0] - '0'; n <= 9 {
			keys = append(keys, int(n))
		} else {
			keys = append(keys, k)
		}
	}
	return keys
}

func TestPatchErrors(t *testing.T) {
	tests := []struct {
		name     string
		body     any
		status   int
		scimType string
	}{
		{"no PatchOp schema", map[string]any{"Operations": []any{op("replace", "active", false)}}, 400, "invalidSyntax"},
		{"no operations", patchBody(), 400, "invalidSyntax"},
		{"unknown op", patchBody(op("merge", "active", false)), 400, "invalidSyntax"},
		{"unknown path", patchBody(op("replace", "nosuch", "x")), 400, "invalidPath"},
		{"unknown sub-attribute", patchBody(op("replace", "name.nosuch", "x")), 400, "invalidPath"},
		{"unknown attribute without a path", patchBody(op("replace", "", map[string]any{"nosuch": 1})), 400, "invalidPath"},
		{"bad filter in path", patchBody(op("remove", `emails[type xx "a"]`, nil)), 400, "invalidFilter"},
		{"unclosed filter", patchBody(op("remove", `emails[type eq "a"`, nil)), 400, "invalidPath"},
		{"replace through a filter that matches nothing", patchBody(op("replace", `emails[type eq "work"].value`, "x")), 400, "noTarget"},
		{"remove without a path", patchBody(op("remove", "", nil)), 400, "noTarget"},
		{"replace without a value", patchBody(op("replace", "active", nil)), 400, "invalidValue"},
		{"wrong type", patchBody(op("replace", "active", 1)), 400, "invalidValue"},
		{"string for a boolean that is not true or false", patchBody(op("replace", "active", "yes")), 400, "invalidValue"},
		{"read-only attribute", patchBody(op("replace", "id", "x")), 400, "mutability"},
		{"read-only meta", patchBody(op("replace", "meta.created", "2020-01-01T00:00:00Z")), 400, "mutability"},
		{"remove the required userName", patchBody(op("remove", "userName", nil)), 400, "invalidValue"},
		{"malformed JSON", `{"Operations":`, 400, "invalidSyntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := scimtest.Start(t, scimtest.Options{})
			id := srv.AddUser(map[string]any{"userName": "e", "active": true, "emails": []any{map[string]any{"value": "e@home", "type": "home"}}})
			before := srv.Users()
			newClient(t, srv).do("PATCH", "/Users/"+id, tt.body).wantError(t, tt.status, tt.scimType)
			if after := srv.Users(); !equalJSON(before, after) {
				t.Errorf("a failed PATCH changed the user:\n%v\n%v", before, after)
			}
		})
	}
	t.Run("atomic", func(t *testing.T) {
		srv := scimtest.Start(t, scimtest.Options{})
		id := srv.AddUser(map[string]any{"userName": "e"})
		newClient(t, srv).do("PATCH", "/Users/"+id, patchBody(op("replace", "title", "T"), op("replace", "nosuch", 1))).wantError(t, 400, "invalidPath")
		if got := srv.Users()[0]["title"]; got != nil {
			t.Errorf("the first operation of a failed PATCH stayed: title %v", got)
		}
	})
	t.Run("not found", func(t *testing.T) {
		srv := scimtest.Start(t, scimtest.Options{})
		newClient(t, srv).do("PATCH", "/Users/nosuch", patchBody(op("replace", "active", false))).wantError(t, 404, "")
	})
}

// TestPatchStrictByDefault: without Lax, PATCH refuses what strict
// services refuse, and each Lax switch lets through its own form only.
func TestPatchStrictByDefault(t *testing.T) {
	strict := scimtest.Options{}
	bad := []struct {
		name     string
		ops      []map[string]any
		scimType string
		lax      scimtest.Lax // the one leniency that accepts it
	}{
		{"capitalised op", []map[string]any{op("Replace", "active", false)}, "invalidSyntax", scimtest.Lax{OpCase: true}},
		{"upper-case op", []map[string]any{op("ADD", "title", "x")}, "invalidSyntax", scimtest.Lax{OpCase: true}},
		{"string boolean", []map[string]any{op("replace", "active", "False")}, "invalidValue", scimtest.Lax{StringBool: true}},
		{"string boolean true", []map[string]any{op("replace", "active", "true")}, "invalidValue", scimtest.Lax{StringBool: true}},
		{"string boolean without a path", []map[string]any{op("replace", "", map[string]any{"active": "false"})}, "invalidValue", scimtest.Lax{StringBool: true}},
		{"string boolean in a filter target", []map[string]any{op("replace", `emails[type eq "home"].primary`, "True")}, "invalidValue", scimtest.Lax{StringBool: true}},
		{"dotted key without a path", []map[string]any{op("replace", "", map[string]any{"name.givenName": "G"})}, "invalidSyntax", scimtest.Lax{DottedKeys: true}},
		{"dotted extension key without a path", []map[string]any{op("replace", "", map[string]any{enterprise + ":manager.value": "m"})}, "invalidSyntax", scimtest.Lax{DottedKeys: true}},
		{"remove with a value", []map[string]any{op("remove", "emails", []any{map[string]any{"value": "pat@home.example"}})}, "invalidSyntax", scimtest.Lax{RemoveValue: true}},
	}
	all := scimtest.Lax{OpCase: true, StringBool: true, DottedKeys: true, RemoveValue: true}
	for _, tt := range bad {
		t.Run("rejects/"+tt.name, func(t *testing.T) {
			r, _ := patchUser(t, strict, tt.ops...)
			r.wantError(t, http.StatusBadRequest, tt.scimType)
		})
		t.Run("lax/"+tt.name, func(t *testing.T) {
			r, _ := patchUser(t, scimtest.Options{Lax: tt.lax}, tt.ops...)
			r.want(t, http.StatusOK)
		})
		t.Run("other leniencies reject/"+tt.name, func(t *testing.T) {
			others := all
			switch tt.lax {
			case scimtest.Lax{OpCase: true}:
				others.OpCase = false
			case scimtest.Lax{StringBool: true}:
				others.StringBool = false
			case scimtest.Lax{DottedKeys: true}:
				others.DottedKeys = false
			case scimtest.Lax{RemoveValue: true}:
				others.RemoveValue = false
			}
			r, _ := patchUser(t, scimtest.Options{Lax: others}, tt.ops...)
			r.wantError(t, http.StatusBadRequest, tt.scimType)
		})
	}
	good := []struct {
		name  string
		ops   []map[string]any
		check map[string]any
	}{
		{"lower-case op, JSON boolean", []map[string]any{op("replace", "active", false)}, map[string]any{"active": false}},
		{"sub-attribute path", []map[string]any{op("replace", "name.givenName", "G")}, map[string]any{"name.givenName": "G"}},
		{"path-less with attribute names", []map[string]any{op("replace", "", map[string]any{"active": false, "name": map[string]any{"givenName": "G"}})},
			map[string]any{"active": false, "name.givenName": "G", "name.familyName": "Smith"}},
		{"path-less with a URN-qualified name", []map[string]any{op("replace", "", map[string]any{enterprise + ":department": "Ops"})},
			map[string]any{enterprise + ".department": "Ops"}},
		{"path-less with the extension object", []map[string]any{op("add", "", map[string]any{enterprise: map[string]any{"division": "D"}})},
			map[string]any{enterprise + ".division": "D"}},
		{"remove by filter", []map[string]any{op("remove", `emails[value eq "pat@home.example"]`, nil)}, map[string]any{"emails": nil}},
		{"enterprise path", []map[string]any{op("add", enterprise+":employeeNumber", "7")}, map[string]any{enterprise + ".employeeNumber": "7"}},
	}
	for _, tt := range good {
		t.Run("accepts/"+tt.name, func(t *testing.T) {
			r, u := patchUser(t, strict, tt.ops...)
			r.want(t, http.StatusOK)
			for path, want := range tt.check {
				if got := get(u, splitPath(path)...); !equalJSON(got, want) {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
		})
	}
}

func TestPatchGroupMembers(t *testing.T) {
	for _, lax := range []scimtest.Lax{{}, scimtest.LaxSCIMMY()} {
		strict := lax == scimtest.Lax{}
		srv := scimtest.Start(t, scimtest.Options{Lax: lax})
		c := newClient(t, srv)
		var ids []string
		for _, n := range []string{"m1", "m2", "m3", "m4"} {
			ids = append(ids, srv.AddUser(map[string]any{"userName": n}))
		}
		gid := srv.AddGroup(map[string]any{"displayName": "G", "members": []any{
			map[string]any{"value": ids[0]}, map[string]any{"value": ids[1]}, map[string]any{"value": ids[2]},
		}})
		members := func() []string {
			var out []string
			for _, m := range srv.Groups()[0]["members"].([]any) {
				out = append(out, m.(map[string]any)["value"].(string))
			}
			return out
		}
		check := func(what string, want ...string) {
			t.Helper()
			if got := members(); !equalJSON(got, want) {
				t.Errorf("strict %v, %s: members %q, want %q", strict, what, got, want)
			}
		}

		r := c.do("PATCH", "/Groups/"+gid, patchBody(op("remove", `members[value eq "`+ids[1]+`"]`, nil)))
		r.want(t, http.StatusNoContent)
		if len(r.raw) != 0 {
			t.Errorf("204 with a body: %s", r.raw)
		}
		check("after remove", ids[0], ids[2])

		c.do("PATCH", "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": ids[3]}, map[string]any{"value": ids[0]}}))).want(t, http.StatusNoContent)
		check("after add (a member added twice is there once)", ids[0], ids[2], ids[3])

		// Removing a member that is not there changes nothing: retries are safe.
		c.do("PATCH", "/Groups/"+gid, patchBody(op("remove", `members[value eq "`+ids[1]+`"]`, nil))).want(t, http.StatusNoContent)
		check("after removing an absent member", ids[0], ids[2], ids[3])

		c.do("PATCH", "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": "nosuch"}}))).wantError(t, 400, "invalidValue")
		c.do("PATCH", "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": gid}}))).wantError(t, 400, "invalidValue")
		check("after refused adds", ids[0], ids[2], ids[3])

		c.do("PATCH", "/Groups/"+gid, patchBody(op("replace", "displayName", "Renamed"))).want(t, http.StatusNoContent)
		if got := srv.Groups()[0]["displayName"]; got != "Renamed" {
			t.Errorf("displayName %v", got)
		}
		r = c.do("PATCH", "/Groups/"+gid+"?attributes=displayName", patchBody(op("replace", "displayName", "Again")))
		r.want(t, http.StatusOK)
		if want := map[string]any{"id": gid, "displayName": "Again", "schemas": []any{scimtest.SchemaGroup}}; !equalJSON(r.body, want) {
			t.Errorf("PATCH with attributes answered %s", r.raw)
		}

		// Entra's form: remove with a value. Lenient servers remove those
		// members only; strict ones refuse.
		r = c.do("PATCH", "/Groups/"+gid, patchBody(op("Remove", "members", []any{map[string]any{"value": ids[2]}})))
		if strict {
			r.wantError(t, 400, "invalidSyntax")
			check("after a refused remove", ids[0], ids[2], ids[3])
		} else {
			r.want(t, http.StatusNoContent)
			check("after a remove with a value", ids[0], ids[3])
		}

		c.do("PATCH", "/Groups/"+gid, patchBody(op("remove", "members", nil))).want(t, http.StatusNoContent)
		if got := srv.Groups()[0]["members"]; got != nil {
			t.Errorf("members %v after removing all", got)
		}
	}
}

// TestPatchUnchanged: a PATCH that changes nothing leaves lastModified.
func TestPatchUnchanged(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	id := srv.AddUser(map[string]any{"userName": "same", "active": true})
	before := srv.Users()[0]
	r := newClient(t, srv).do("PATCH", "/Users/"+id, patchBody(op("replace", "active", true))).want(t, http.StatusOK)
	if !equalJSON(r.body["meta"], before["meta"]) {
		t.Errorf("meta changed: %v → %v", before["meta"], r.body["meta"])
	}
}
