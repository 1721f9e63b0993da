package scimtest

import (
	"cmp"
	"slices"
	"strings"
)

// Duplicate is a value held more than once where a provisioning client
// should have made it once: by several users or groups, or by one group's
// members.
type Duplicate struct {
	Kind string // "User" or "Group"
	// Attr is "userName", "externalId" or "displayName" for a value
	// several resources hold, "members" for a member a group lists more
	// than once.
	Attr string
	// Value is the value as the first resource holding it spells it; for
	// members, the member's id.
	Value string
	// IDs are the ids of the resources holding it, in the order given;
	// for members, the group's id alone.
	IDs []string
}

// FindDuplicates returns the duplicates among users and groups, resources
// as a SCIM service serves them (this package's Users and Groups, or the
// state of another service), ordered by Kind, Attr and Value: users
// sharing a userName (ignoring case) or an externalId, groups sharing a
// displayName (ignoring case) or an externalId, and members a group lists
// twice. Services allow all but the first, so a client that re-sends a
// create whose answer was lost makes a second group; nothing is duplicated
// when it returns none.
func FindDuplicates(users, groups []map[string]any) []Duplicate {
	var out []Duplicate
	shared := func(kind string, list []map[string]any, attr string, fold bool) {
		byKey := map[string][]map[string]any{}
		var keys []string
		for _, r := range list {
			v, ok := r[attr].(string)
			if !ok {
				continue
			}
			k := v
			if fold {
				k = strings.ToLower(v)
			}
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], r)
		}
		for _, k := range keys {
			if rs := byKey[k]; len(rs) > 1 {
				d := Duplicate{Kind: kind, Attr: attr, Value: rs[0][attr].(string)}
				for _, r := range rs {
					id, _ := r["id"].(string)
					d.IDs = append(d.IDs, id)
				}
				out = append(out, d)
			}
		}
	}
	shared(userKind.name, users, "userName", true)
	shared(userKind.name, users, "externalId", false)
	shared(groupKind.name, groups, "displayName", true)
	shared(groupKind.name, groups, "externalId", false)
	for _, g := range groups {
		seen := map[string]int{}
		for _, m := range asList(g["members"]) {
			mm, _ := m.(map[string]any)
			v, _ := mm["value"].(string)
			if seen[v]++; seen[v] == 2 {
				id, _ := g["id"].(string)
				out = append(out, Duplicate{Kind: groupKind.name, Attr: "members", Value: v, IDs: []string{id}})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Duplicate) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Attr, b.Attr), cmp.Compare(a.Value, b.Value))
	})
	return out
}
