package provision

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/orgctl/orgctl/scim"
)

// Mapping says how source fields become SCIM attributes, as Entra's
// attribute mappings do. It is plain data, so that the config file can
// hold it (config key scim.mapping):
//
//	users:
//	  - {source: userName, target: userName, transforms: [trim, lower]}
//	  - {constant: Sales, target: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}
//	  - {source: jobTitle, target: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division", default: none}
//
// A user attribute not mapped is not managed: the sync leaves it as the
// server has it; nor is one mapped from a field the source does not have
// (a CSV without a costCenter column), unless it has a Default. Groups' attributes come from the JSON groups list and the
// users' groups field (which gives displayNames only); an empty Groups
// means the default's.
type Mapping struct {
	Users  []Attribute `mapstructure:"users" yaml:"users" json:"users"`
	Groups []Attribute `mapstructure:"groups" yaml:"groups" json:"groups"`
}

// Attribute maps one source field (or a constant) to one SCIM attribute.
type Attribute struct {
	// Source is a source field: a canonical name (userName,
	// name.givenName, department…) or a column of Entra's export
	// (userPrincipalName, jobTitle…), in any case.
	Source string `mapstructure:"source" yaml:"source,omitempty" json:"source,omitempty"`
	// Constant is the value when there is no Source.
	Constant string `mapstructure:"constant" yaml:"constant,omitempty" json:"constant,omitempty"`
	// Target is the SCIM attribute path: userName, externalId, active,
	// name.givenName, name.familyName, name.formatted, name.middleName,
	// emails[type eq "work"].value, or an enterprise extension attribute
	// (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department,
	// …; the bare name is accepted too). For groups: displayName,
	// externalId, members.
	Target string `mapstructure:"target" yaml:"target" json:"target"`
	// Transforms apply in order: lower, upper, trim.
	Transforms []string `mapstructure:"transforms" yaml:"transforms,omitempty" json:"transforms,omitempty"`
	// Default is the value when the source value is empty after the
	// transforms.
	Default string `mapstructure:"default" yaml:"default,omitempty" json:"default,omitempty"`
}

// DefaultMapping returns the attribute table of the provider's tutorial
// (DESIGN.md §5): the canonical fields to their SCIM attributes, and the
// groups' displayName, externalId and members; and, as Entra maps mail,
// emails to the work address.
func DefaultMapping() Mapping {
	ent := func(a string) string { return scim.SchemaEnterpriseUser + ":" + a }
	return Mapping{
		Users: []Attribute{
			{Source: FieldUserName, Target: "userName"},
			{Source: FieldExternalID, Target: "externalId"},
			{Source: FieldActive, Target: "active"},
			{Source: FieldGivenName, Target: "name.givenName"},
			{Source: FieldFamilyName, Target: "name.familyName"},
			{Source: FieldDepartment, Target: ent("department")},
			{Source: FieldEmployeeNumber, Target: ent("employeeNumber")},
			{Source: FieldCostCenter, Target: ent("costCenter")},
			{Source: FieldDivision, Target: ent("division")},
			{Source: FieldEmails, Target: `emails[type eq "work"].value`},
		},
		Groups: []Attribute{
			{Source: "displayName", Target: "displayName"},
			{Source: "externalId", Target: "externalId"},
			{Source: "members", Target: "members"},
		},
	}
}

// userTarget sets one SCIM attribute of a user from a mapped value.
type userTarget func(u *scim.User, v string)

// userTargets are the SCIM paths a user attribute may be mapped to,
// lowercased, with how each is set. active is set by Build, which checks
// the value. Built on first use: built at init, the table was 4 % of
// every orgctl command's start-up, sync or not.
var userTargets = sync.OnceValue(func() map[string]userTarget {
	m := map[string]userTarget{
		"username":                     func(u *scim.User, v string) { u.UserName = v },
		"externalid":                   func(u *scim.User, v string) { u.ExternalID = v },
		"active":                       nil,
		"name.givenname":               func(u *scim.User, v string) { u.Name.GivenName = v },
		"name.familyname":              func(u *scim.User, v string) { u.Name.FamilyName = v },
		"name.formatted":               func(u *scim.User, v string) { u.Name.Formatted = v },
		"name.middlename":              func(u *scim.User, v string) { u.Name.MiddleName = v },
		"name.honorificprefix":         func(u *scim.User, v string) { u.Name.HonorificPrefix = v },
		"name.honorificsuffix":         func(u *scim.User, v string) { u.Name.HonorificSuffix = v },
		`emails[type eq "work"].value`: setWorkEmail,
	}
	ent := map[string]userTarget{
		"department":     func(u *scim.User, v string) { u.Enterprise.Department = v },
		"employeenumber": func(u *scim.User, v string) { u.Enterprise.EmployeeNumber = v },
		"costcenter":     func(u *scim.User, v string) { u.Enterprise.CostCenter = v },
		"division":       func(u *scim.User, v string) { u.Enterprise.Division = v },
		"organization":   func(u *scim.User, v string) { u.Enterprise.Organization = v },
	}
	for k, f := range ent {
		m[k] = f
		m[strings.ToLower(scim.SchemaEnterpriseUser)+":"+k] = f
	}
	return m
})

// userTargetNames are the user targets as written, for suggestions.
var userTargetNames = []string{
	"userName", "externalId", "active", "name.givenName", "name.familyName", "name.formatted",
	"name.middleName", "name.honorificPrefix", "name.honorificSuffix", `emails[type eq "work"].value`,
	scim.SchemaEnterpriseUser + ":department", scim.SchemaEnterpriseUser + ":employeeNumber",
	scim.SchemaEnterpriseUser + ":costCenter", scim.SchemaEnterpriseUser + ":division",
	scim.SchemaEnterpriseUser + ":organization",
}

func setWorkEmail(u *scim.User, v string) {
	if v != "" {
		u.Emails = []scim.Email{{Value: v, Type: "work", Primary: true}}
	}
}

// groupTargets are the SCIM attributes a group attribute may be mapped to,
// each from the JSON group attribute of the same name (members only from
// members).
var groupTargets = []string{"displayName", "externalId", "members"}

// transforms are the value transforms a mapping may apply.
var transforms = map[string]func(string) string{
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"trim":  strings.TrimSpace,
}

// Validate checks m: every source a known field, every target a known SCIM
// path and mapped once, every transform known, and userName mapped. Its
// error names each bad entry, with the closest known name.
func (m Mapping) Validate() error {
	var errs []error
	bad := func(where string, i int, format string, args ...any) {
		errs = append(errs, mappingError(where, i, format, args...))
	}
	seen := map[string]bool{}
	for i, a := range m.Users {
		t := strings.ToLower(strings.TrimSpace(a.Target))
		if _, ok := userTargets()[t]; !ok {
			bad("users", i, "unknown SCIM attribute %q%s", a.Target, didYouMean(a.Target, userTargetNames))
		} else if seen[canonicalTarget(t)] {
			bad("users", i, "SCIM attribute %q is mapped twice", a.Target)
		}
		seen[canonicalTarget(t)] = true
		errs = append(errs, a.validate("users", i, allFieldNames())...)
		if f, _ := fieldName(a.Source); f == FieldGroups {
			bad("users", i, "groups is not a user attribute: group memberships come from it on their own")
		}
	}
	if !seen["username"] {
		errs = append(errs, errors.New("scim.mapping.users: userName is not mapped"))
	}
	for i, a := range m.Groups {
		if !slices.ContainsFunc(groupTargets, func(t string) bool { return strings.EqualFold(t, a.Target) }) {
			bad("groups", i, "unknown SCIM group attribute %q: want displayName, externalId or members", a.Target)
		}
		if a.Source != "" && !slices.ContainsFunc(groupTargets, func(t string) bool { return strings.EqualFold(t, a.Source) }) {
			bad("groups", i, "unknown group field %q: want displayName, externalId or members", a.Source)
		}
		if strings.EqualFold(a.Target, "members") && (!strings.EqualFold(a.Source, "members") || len(a.Transforms) > 0 || a.Default != "") {
			bad("groups", i, "members can only be mapped from members, as they are")
		}
		errs = append(errs, a.validate("groups", i, groupTargets)...)
	}
	return errors.Join(errs...)
}

// targetName is the spelling of a lowercased user target: as
// userTargetNames has it, an enterprise attribute with its URN.
func targetName(t string) string {
	t = canonicalTarget(t)
	for _, n := range userTargetNames {
		if strings.EqualFold(canonicalTarget(strings.ToLower(n)), t) {
			return n
		}
	}
	return t
}

// mappingError is a problem of entry i of the mapping's users or groups,
// named by its config key.
func mappingError(where string, i int, format string, args ...any) error {
	return fmt.Errorf("scim.mapping.%s[%d]: %s", where, i, fmt.Sprintf(format, args...))
}

// canonicalTarget is the one key of a lowercased target: an enterprise
// attribute has the same key bare or with its URN.
func canonicalTarget(t string) string {
	return strings.TrimPrefix(t, strings.ToLower(scim.SchemaEnterpriseUser)+":")
}

func (a Attribute) validate(where string, i int, fields []string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, mappingError(where, i, format, args...)) }
	switch {
	case a.Source == "" && a.Constant == "":
		bad("%s needs a source or a constant", a.Target)
	case a.Source != "" && a.Constant != "":
		bad("%s has both a source (%s) and a constant: give one", a.Target, a.Source)
	case a.Source != "" && where == "users":
		if _, ok := fieldName(a.Source); !ok {
			bad("unknown source field %q%s", a.Source, didYouMean(a.Source, fields))
		}
	}
	for _, t := range a.Transforms {
		if _, ok := transforms[strings.ToLower(strings.TrimSpace(t))]; !ok {
			bad("unknown transform %q: want lower, upper or trim", t)
		}
	}
	return errs
}

// mapper is a Mapping compiled against one source's columns.
type mapper struct {
	users []compiled
	// managed are the SCIM paths set, as targetName spells them.
	managed []string
	// active is the compiled mapping of active, if mapped.
	active *compiled
	// plainName and plainID are true when userName and externalId are
	// the source's own, untransformed: the source's uniqueness check then
	// holds for them.
	plainName, plainID bool
	group              struct{ displayName, externalID *compiled }
}

type compiled struct {
	col      int // -1: Constant
	constant string
	fns      []func(string) string
	def      string
	set      userTarget
	target   string
}

func (c *compiled) value(vals []string) string {
	v := c.constant
	if c.col >= 0 {
		v = vals[c.col]
	}
	for _, f := range c.fns {
		v = f(v)
	}
	if v == "" {
		v = c.def
	}
	return v
}

// compile validates m and resolves its sources to src's columns (a field
// the source lacks gives empty values; a group field, the JSON group's).
func (m Mapping) compile(src *Source) (*mapper, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	mp := &mapper{}
	comp := func(a Attribute, col func(string) int) compiled {
		c := compiled{col: -1, constant: a.Constant, def: a.Default, target: a.Target}
		if a.Source != "" {
			c.col = col(a.Source)
			c.constant = ""
		}
		for _, t := range a.Transforms {
			c.fns = append(c.fns, transforms[strings.ToLower(strings.TrimSpace(t))])
		}
		return c
	}
	userCol := func(s string) int {
		f, _ := fieldName(s)
		if i := src.column(f); i >= 0 {
			return i
		}
		return len(src.fields) // an always-empty column, see Build
	}
	for _, a := range m.Users {
		c := comp(a, userCol)
		t := strings.ToLower(strings.TrimSpace(a.Target))
		if c.col == len(src.fields) && c.def == "" && t != "active" {
			continue // active stays managed: a user of the source is active unless it says otherwise
		}
		mp.managed = append(mp.managed, targetName(t))
		c.set = userTargets()[t]
		plain := c.col >= 0 && c.col < len(src.fields) && len(c.fns) == 0 && c.def == ""
		switch t {
		case "active":
			mp.active = &c
			continue
		case "username":
			f, _ := fieldName(a.Source)
			mp.plainName = plain && f == FieldUserName
		case "externalid":
			f, _ := fieldName(a.Source)
			mp.plainID = plain && f == FieldExternalID
		}
		mp.users = append(mp.users, c)
	}
	groupCol := func(s string) int {
		return slices.IndexFunc(groupTargets, func(t string) bool { return strings.EqualFold(t, s) })
	}
	groups := m.Groups
	if len(groups) == 0 {
		groups = DefaultMapping().Groups
	}
	for _, a := range groups {
		c := comp(a, groupCol)
		switch strings.ToLower(a.Target) {
		case "displayname":
			mp.group.displayName = &c
		case "externalid":
			mp.group.externalID = &c
		}
	}
	return mp, nil
}
