package scimtest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// canonResource checks a resource body of kind k against its schemas and
// returns it in canonical form: attribute names spelled as the schema spells
// them (RFC 7643 §2.1 makes them case-insensitive), read-only attributes
// dropped (RFC 7643 §7: ignored when a client sends them), unassigned values
// (null, empty arrays and objects) left out, and "schemas" listing the core
// schema and the extensions that have data. An unknown attribute is an
// error, so that a client that misplaces one (say, department outside the
// enterprise extension) hears about it. lenientBool accepts the strings
// "true" and "false", in any case, for boolean attributes.
func canonResource(k *kind, m map[string]any, lenientBool bool) (map[string]any, error) {
	out := map[string]any{}
	seen := map[string]bool{}
	var schemasSeen bool
	for key, v := range m {
		lk := strings.ToLower(key)
		if seen[lk] {
			return nil, badRequest("invalidSyntax", "attribute %q is given twice", key)
		}
		seen[lk] = true
		if lk == "schemas" {
			schemasSeen = true
			if err := checkSchemas(k, v); err != nil {
				return nil, err
			}
			continue
		}
		if ext := k.schemaByID(key); ext != nil && ext != k.core {
			if v == nil {
				continue
			}
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, badRequest("invalidValue", "%s must be a JSON object, got %s", ext.ID, jsonType(v))
			}
			c, err := canonObject(ext.Attributes, ext.ID+":", obj, lenientBool)
			if err != nil {
				return nil, err
			}
			if len(c) > 0 {
				out[ext.ID] = c
			}
			continue
		}
		a := find(k.top, key)
		if a == nil {
			return nil, badRequest("invalidSyntax", "unknown attribute %q for a %s", key, k.name)
		}
		if a.Mutability == "readOnly" {
			continue
		}
		c, err := canonValue(a, a.Name, v, lenientBool)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out[a.Name] = c
		}
	}
	if !schemasSeen {
		return nil, badRequest("invalidValue", "schemas is required and must list %s", k.core.ID)
	}
	for _, a := range k.core.Attributes {
		if a.Required && (out[a.Name] == nil || out[a.Name] == "") {
			return nil, badRequest("invalidValue", "%s is required", a.Name)
		}
	}
	out["schemas"] = resourceSchemas(k, out)
	return out, nil
}

// checkSchemas checks the "schemas" attribute of a resource body.
func checkSchemas(k *kind, v any) error {
	list, ok := v.([]any)
	core := false
	for _, s := range list {
		id, isStr := s.(string)
		if !isStr {
			ok = false
			break
		}
		sc := k.schemaByID(id)
		if sc == nil {
			return badRequest("invalidValue", "schema %q is not one of a %s", id, k.name)
		}
		core = core || sc == k.core
	}
	if !ok || !core {
		return badRequest("invalidValue", "schemas must be an array of schema URNs that includes %s", k.core.ID)
	}
	return nil
}

// resourceSchemas lists the core schema of k and the extensions res has
// data for.
func resourceSchemas(k *kind, res map[string]any) []any {
	list := []any{k.core.ID}
	for _, e := range k.exts {
		if res[e.ID] != nil {
			list = append(list, e.ID)
		}
	}
	return list
}

// canonObject canonicalizes the members of a complex value whose
// attributes are defs; prefix goes before names in error messages.
func canonObject(defs []*attr, prefix string, m map[string]any, lenientBool bool) (map[string]any, error) {
	out := map[string]any{}
	seen := map[*attr]bool{}
	for key, v := range m {
		a := find(defs, key)
		if a == nil {
			return nil, badRequest("invalidSyntax", "unknown attribute %q", prefix+key)
		}
		if seen[a] {
			return nil, badRequest("invalidSyntax", "attribute %q is given twice", prefix+key)
		}
		seen[a] = true
		if a.Mutability == "readOnly" {
			continue
		}
		c, err := canonValue(a, prefix+a.Name, v, lenientBool)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out[a.Name] = c
		}
	}
	return out, nil
}

// canonValue checks v, the value of the attribute a (called name in
// errors), and returns it canonicalized; nil means unassigned.
func canonValue(a *attr, name string, v any, lenientBool bool) (any, error) {
	if v == nil || !a.MultiValued {
		return canonSingle(a, name, v, lenientBool)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest("invalidValue", "%s is multi-valued: want a JSON array, got %s", name, jsonType(v))
	}
	out := make([]any, 0, len(list))
	primaries := 0
	for _, e := range list {
		c, err := canonSingle(a, name, e, lenientBool)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		if m, ok := c.(map[string]any); ok && m["primary"] == true {
			primaries++
		}
		out = append(out, c)
	}
	if primaries > 1 {
		return nil, badRequest("invalidValue", "%s: primary is true on more than one value", name)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// canonSingle checks one value of a.
func canonSingle(a *attr, name string, v any, lenientBool bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func(want string) error {
		return badRequest("invalidValue", "%s must be %s, got %s", name, want, jsonType(v))
	}
	switch a.Type {
	case "complex":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad("a JSON object")
		}
		c, err := canonObject(a.SubAttributes, name+".", m, lenientBool)
		if err != nil || len(c) == 0 {
			return nil, err
		}
		return c, nil
	case "boolean":
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if lenientBool && (strings.EqualFold(b, "true") || strings.EqualFold(b, "false")) {
				return strings.EqualFold(b, "true"), nil
			}
		}
		return nil, bad("a JSON boolean")
	case "integer", "decimal":
		n, ok := v.(json.Number)
		if !ok {
			return nil, bad("a number")
		}
		if _, err := n.Int64(); a.Type == "integer" && err != nil {
			return nil, bad("an integer")
		}
		return n, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, bad("a string")
	}
	switch a.Type {
	case "dateTime":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, badRequest("invalidValue", "%s must be an xsd:dateTime such as 2006-01-02T15:04:05Z, got %q", name, s)
		}
	case "binary":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, badRequest("invalidValue", "%s must be base64, got %q", name, s)
		}
	}
	return s, nil
}

// jsonType names the JSON type of a decoded value, for error messages.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string " + quoteShort(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unexpected value"
}

// quoteShort quotes s, cut to a length that suits an error message.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
