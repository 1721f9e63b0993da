package scimtest

import (
	"fmt"
	"strings"
)

// attrPath names an attribute or a sub-attribute of a resource, as filters,
// PATCH paths and the attributes parameter do (RFC 7644 §3.10):
// "userName", "name.givenName", "emails.value",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
// Inside a value filter ("emails[type eq "work"]") a path names a
// sub-attribute of the filtered attribute; ext is then "".
type attrPath struct {
	ext string // URN of the extension schema holding a; "" for the core schema
	a   *attr
	sub *attr // nil: the whole attribute
}

func (p attrPath) String() string {
	s := p.a.Name
	if p.sub != nil {
		s += "." + p.sub.Name
	}
	if p.ext != "" {
		s = p.ext + ":" + s
	}
	return s
}

// leaf is the attribute whose values the path reaches.
func (p attrPath) leaf() *attr {
	if p.sub != nil {
		return p.sub
	}
	return p.a
}

// cutURN splits s into the schema whose URN prefixes it, followed by ":",
// and the rest. URNs compare without regard to case. It returns nil and s
// when no schema of k prefixes s.
func (k *kind) cutURN(s string) (*schema, string) {
	for _, sc := range k.all {
		n := len(sc.ID)
		if len(s) > n && s[n] == ':' && strings.EqualFold(s[:n], sc.ID) {
			return sc, s[n+1:]
		}
	}
	return nil, s
}

// parsePath resolves a path without a value filter against the schemas of
// k. The error says what is wrong; callers give it their scimType.
func (k *kind) parsePath(s string) (attrPath, error) {
	var p attrPath
	defs := k.top
	sc, rest := k.cutURN(s)
	if sc != nil && sc != k.core {
		p.ext, defs = sc.ID, sc.Attributes
	}
	name, subName, hasSub := strings.Cut(rest, ".")
	if p.a = find(defs, name); p.a == nil {
		return p, fmt.Errorf("no attribute %q in a %s", s, k.name)
	}
	if hasSub {
		if p.sub = find(p.a.SubAttributes, subName); p.sub == nil {
			return p, fmt.Errorf("no attribute %q in a %s", s, k.name)
		}
	}
	return p, nil
}

// container returns the object that holds p's attribute: obj itself or, for
// an extension attribute, obj's object for that extension, which create
// makes when it is missing. It returns nil when there is none.
func (p attrPath) container(obj map[string]any, create bool) map[string]any {
	if p.ext == "" {
		return obj
	}
	c, ok := obj[p.ext].(map[string]any)
	if !ok && create {
		c = map[string]any{}
		obj[p.ext] = c
	}
	return c
}

// values returns the values p reaches in obj: one for a single-valued
// attribute, each element for a multi-valued one, and with a sub-attribute
// that sub-attribute of each.
func (p attrPath) values(obj map[string]any) []any {
	c := p.container(obj, false)
	if c == nil {
		return nil
	}
	vals := asList(c[p.a.Name])
	if p.sub == nil {
		return vals
	}
	var out []any
	for _, e := range vals {
		if m, ok := e.(map[string]any); ok && m[p.sub.Name] != nil {
			out = append(out, m[p.sub.Name])
		}
	}
	return out
}

// asList returns the elements of a multi-valued value, v alone for a single
// value, and nothing for nil.
func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}
