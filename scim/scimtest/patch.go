package scimtest

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// patchOp is one operation of a PatchOp message (RFC 7644 §3.5.2).
type patchOp struct {
	op       string // add, remove or replace
	path     string // "" when absent
	value    any
	hasValue bool
}

// parsePatch reads a PatchOp message. Unless lax allows otherwise, an op
// must be written in lower case and a remove must not carry a value.
func parsePatch(msg map[string]any, lax Lax) ([]patchOp, error) {
	if !listsSchema(msg, msgPatchOp) {
		return nil, badRequest("invalidSyntax", "schemas must be [%q]", msgPatchOp)
	}
	raw, ok := member(msg, "Operations").([]any)
	if !ok || len(raw) == 0 {
		return nil, badRequest("invalidSyntax", "Operations must be a non-empty array of operations")
	}
	ops := make([]patchOp, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, badRequest("invalidSyntax", "Operations[%d] is not an object", i)
		}
		var op patchOp
		name, _ := member(m, "op").(string)
		op.op = strings.ToLower(name)
		switch {
		case op.op != "add" && op.op != "remove" && op.op != "replace":
			return nil, badRequest("invalidSyntax", "Operations[%d]: op must be add, remove or replace, got %s", i, jsonType(member(m, "op")))
		case !lax.OpCase && name != op.op:
			return nil, badRequest("invalidSyntax", "Operations[%d]: op %q must be written in lower case (%q)", i, name, op.op)
		}
		path, isStr := member(m, "path").(string)
		if !isStr && member(m, "path") != nil {
			return nil, badRequest("invalidSyntax", "Operations[%d]: path must be a string", i)
		}
		op.path = path
		op.value = member(m, "value")
		op.hasValue = op.value != nil
		if op.op == "remove" && op.hasValue && !lax.RemoveValue {
			return nil, badRequest("invalidSyntax", "Operations[%d]: remove takes no value; name what to remove in the path, such as members[value eq \"…\"]", i)
		}
		if op.op != "remove" && !op.hasValue {
			return nil, badRequest("invalidValue", "Operations[%d]: %s needs a value", i, op.op)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// member returns the value of m's member name, whose name ignores case as
// SCIM attribute names do.
func member(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// listsSchema reports whether msg's schemas lists urn.
func listsSchema(msg map[string]any, urn string) bool {
	list, _ := member(msg, "schemas").([]any)
	return slices.ContainsFunc(list, func(v any) bool {
		s, _ := v.(string)
		return strings.EqualFold(s, urn)
	})
}

// patchTarget is what a PATCH path names.
type patchTarget struct {
	attrPath
	filter   filter // a value filter on a ("emails[type eq "work"]"), or nil
	wholeExt string // the path is an extension URN alone: the whole extension
}

// parsePatchPath parses PATH = attrPath / valuePath [subAttr]
// (RFC 7644 §3.5.2).
func (k *kind) parsePatchPath(s string) (patchTarget, error) {
	var t patchTarget
	if sc := k.schemaByID(s); sc != nil && sc != k.core {
		t.wholeExt = sc.ID
		return t, nil
	}
	open := strings.IndexByte(s, '[')
	if open < 0 {
		p, err := k.parsePath(s)
		if err != nil {
			return t, badRequest("invalidPath", "path %s: %v", quoteShort(s), err)
		}
		t.attrPath = p
		return t, nil
	}
	end := closingBracket(s, open)
	if end < 0 {
		return t, badRequest("invalidPath", "path %s: [ is not closed", quoteShort(s))
	}
	p, err := k.parsePath(s[:open])
	switch {
	case err != nil:
		return t, badRequest("invalidPath", "path %s: %v", quoteShort(s), err)
	case p.sub != nil || p.a.Type != "complex" || !p.a.MultiValued:
		return t, badRequest("invalidPath", "path %s: only a multi-valued complex attribute takes a value filter", quoteShort(s))
	}
	if t.filter, err = parseFilterIn(k, p.a, s[open+1:end]); err != nil {
		return t, err
	}
	if rest := s[end+1:]; rest != "" {
		name, ok := strings.CutPrefix(rest, ".")
		if p.sub = find(p.a.SubAttributes, name); !ok || p.sub == nil {
			return t, badRequest("invalidPath", "path %s: %q after the filter is not a sub-attribute of %s", quoteShort(s), rest, p.a.Name)
		}
	}
	t.attrPath = p
	return t, nil
}

// closingBracket returns the index of the "]" that closes the "[" at
// s[open], skipping string literals, or -1.
func closingBracket(s string, open int) int {
	for i := open + 1; i < len(s); i++ {
		switch s[i] {
		case ']':
			return i
		case '"':
			j := stringEnd(s, i)
			if j < 0 {
				return -1
			}
			i = j - 1
		}
	}
	return -1
}

// patcher applies PATCH operations to the attributes of one resource.
type patcher struct {
	k   *kind
	lax Lax
	// repeatMembers makes add append group members that are already
	// there (Options.DuplicateMemberOnAdd).
	repeatMembers bool
}

// apply applies op to res, the resource's attributes in canonical form.
// The caller validates the result as a whole; apply checks values against
// the attributes they go to.
func (p patcher) apply(res map[string]any, op patchOp) error {
	if op.path != "" {
		t, err := p.k.parsePatchPath(op.path)
		if err != nil {
			return err
		}
		return p.applyTo(res, op, t)
	}
	if op.op == "remove" {
		return badRequest("noTarget", "remove needs a path")
	}
	obj, ok := op.value.(map[string]any)
	if !ok {
		return badRequest("invalidValue", "%s without a path needs an object of attributes as its value, got %s", op.op, jsonType(op.value))
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		_, rest := p.k.cutURN(key)
		if !p.lax.DottedKeys && p.k.schemaByID(key) == nil && strings.ContainsAny(rest, ".[") {
			return badRequest("invalidSyntax", "%s without a path has the key %q: a value without a path names attributes, not paths; give %q as the path instead", op.op, key, key)
		}
		t, err := p.k.parsePatchPath(key)
		if err != nil {
			return err
		}
		if err := p.applyTo(res, patchOp{op: op.op, path: key, value: obj[key], hasValue: true}, t); err != nil {
			return err
		}
	}
	return nil
}

// applyTo applies op to the target t in res.
func (p patcher) applyTo(res map[string]any, op patchOp, t patchTarget) error {
	if t.wholeExt != "" {
		return p.applyToExtension(res, op, t.wholeExt)
	}
	if err := checkMutable(t, op.op); err != nil {
		return err
	}
	c := t.container(res, op.op != "remove")
	if c == nil {
		return nil // removing from an extension the resource does not have
	}
	var err error
	switch {
	case t.filter != nil:
		err = p.applyFiltered(c, op, t)
	case t.sub != nil:
		err = p.applySub(c, op, t.attrPath)
	default:
		err = p.applyAttr(c, op, t.a)
	}
	if err == nil && op.op != "remove" {
		clean(c, t.a.Name)
	}
	if t.attrPath.ext != "" && len(c) == 0 {
		delete(res, t.attrPath.ext)
	}
	return err
}

// applyToExtension applies op to the extension object ext as a whole.
func (p patcher) applyToExtension(res map[string]any, op patchOp, ext string) error {
	if op.op == "remove" || op.value == nil {
		delete(res, ext)
		return nil
	}
	obj, ok := op.value.(map[string]any)
	if !ok {
		return badRequest("invalidValue", "%s takes an object of its attributes, got %s", ext, jsonType(op.value))
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		t, err := p.k.parsePatchPath(ext + ":" + key)
		if err != nil {
			return err
		}
		if err := p.applyTo(res, patchOp{op: op.op, value: obj[key], hasValue: true}, t); err != nil {
			return err
		}
	}
	return nil
}

// checkMutable refuses operations on read-only attributes, and replacing or
// removing immutable sub-attributes such as members.value.
func checkMutable(t patchTarget, op string) error {
	leaf := t.leaf()
	switch {
	case t.a.Mutability == "readOnly" || leaf.Mutability == "readOnly":
		return badRequest("mutability", "%s is read-only", t.attrPath)
	case t.sub != nil && leaf.Mutability == "immutable" && op != "add":
		return badRequest("mutability", "%s is immutable", t.attrPath)
	}
	return nil
}

// applyAttr applies op to the attribute a of c as a whole.
func (p patcher) applyAttr(c map[string]any, op patchOp, a *attr) error {
	name := a.Name
	switch {
	case op.op == "remove" && op.hasValue && a.MultiValued:
		// Not RFC 7644, but what Entra sends to remove group members:
		// {"op":"Remove","path":"members","value":[{"value":"…"}]}.
		// Remove the values given instead of all of them.
		drop, err := canonValue(a, name, listOf(op.value), false)
		if err != nil {
			return err
		}
		c[name] = slices.DeleteFunc(slices.Clone(asList(c[name])), func(e any) bool {
			return slices.ContainsFunc(asList(drop), func(d any) bool { return sameElement(a, e, d) })
		})
		clean(c, name)
	case op.op == "remove" || op.value == nil:
		// A null in a path-less value unassigns, as in a PUT (RFC 7643 §2.5).
		delete(c, name)
	case a.MultiValued:
		v, err := canonValue(a, name, listOf(op.value), p.lax.StringBool)
		if err != nil {
			return err
		}
		if op.op == "replace" {
			c[name] = v
			return nil
		}
		list := slices.Clone(asList(c[name]))
		var written []int
		for _, e := range asList(v) {
			i := -1
			if !p.repeatMembers || a.Name != "members" {
				i = slices.IndexFunc(list, func(x any) bool { return sameElement(a, x, e) })
			}
			if i < 0 {
				i = len(list)
				list = append(list, nil)
			}
			list[i] = e
			written = append(written, i)
		}
		c[name] = list
		fixPrimary(list, written)
	case a.Type == "complex":
		// add and replace both merge the sub-attributes given (RFC 7644
		// §3.5.2.1, §3.5.2.3): the others stay.
		v, err := canonSingle(a, name, op.value, p.lax.StringBool)
		if err != nil {
			return err
		}
		m, _ := c[name].(map[string]any)
		m = maps.Clone(m)
		if m == nil {
			m = map[string]any{}
		}
		vm, _ := v.(map[string]any)
		maps.Copy(m, vm)
		c[name] = m
	default:
		v, err := canonSingle(a, name, op.value, p.lax.StringBool)
		if err != nil {
			return err
		}
		c[name] = v
	}
	return nil
}

// applySub applies op to a sub-attribute without a filter: of the complex
// attribute, or of every value of a multi-valued one.
func (p patcher) applySub(c map[string]any, op patchOp, t attrPath) error {
	var v any
	if op.op != "remove" {
		var err error
		if v, err = canonValue(t.sub, t.String(), op.value, p.lax.StringBool); err != nil {
			return err
		}
	}
	elems := asList(c[t.a.Name])
	if len(elems) == 0 {
		if op.op == "remove" {
			return nil
		}
		elems = []any{map[string]any{}}
	}
	out := make([]any, 0, len(elems))
	for _, e := range elems {
		m := maps.Clone(e.(map[string]any))
		setOrDelete(m, t.sub.Name, v)
		out = append(out, m)
	}
	if t.a.MultiValued {
		c[t.a.Name] = out
	} else {
		c[t.a.Name] = out[0]
	}
	clean(c, t.a.Name)
	return nil
}

// applyFiltered applies op to the values of a multi-valued attribute that
// the target's filter selects.
func (p patcher) applyFiltered(c map[string]any, op patchOp, t patchTarget) error {
	a := t.a
	list := slices.Clone(asList(c[a.Name]))
	var hit []int
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && t.filter.match(m) {
			hit = append(hit, i)
		}
	}
	if op.op == "remove" {
		for _, i := range slices.Backward(hit) {
			if t.sub == nil {
				list = slices.Delete(list, i, i+1)
				continue
			}
			m := maps.Clone(list[i].(map[string]any))
			delete(m, t.sub.Name)
			list[i] = m
		}
		c[a.Name] = list
		clean(c, a.Name)
		return nil
	}
	if len(hit) == 0 {
		if op.op == "replace" {
			return badRequest("noTarget", "%s: no value matches the filter (add creates one)", op.path)
		}
		// add through a filter that matches nothing: make the value the
		// filter describes, with what the operation sets.
		base, ok := eqTerms(t.filter)
		if !ok {
			return badRequest("noTarget", "%s: no value matches the filter, and it does not describe one to add", op.path)
		}
		list = append(list, base)
		hit = []int{len(list) - 1}
	}
	for _, i := range hit {
		m := maps.Clone(list[i].(map[string]any))
		if t.sub != nil {
			m[t.sub.Name] = op.value
		} else {
			obj, ok := op.value.(map[string]any)
			if !ok {
				return badRequest("invalidValue", "%s takes an object, got %s", op.path, jsonType(op.value))
			}
			if op.op == "replace" {
				m = map[string]any{}
			}
			maps.Copy(m, obj)
		}
		v, err := canonSingle(a, op.path, m, p.lax.StringBool)
		if err != nil {
			return err
		}
		list[i] = v
	}
	c[a.Name] = list
	fixPrimary(list, hit)
	return nil
}

// listOf returns v as a JSON array: itself, or v alone.
func listOf(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// sameElement reports whether two values of the multi-valued attribute a
// are the same value: group members are the same when their value is,
// other values when they are equal.
func sameElement(a *attr, x, y any) bool {
	if a.Name == "members" {
		xm, _ := x.(map[string]any)
		ym, _ := y.(map[string]any)
		return xm != nil && ym != nil && xm["value"] == ym["value"]
	}
	return reflect.DeepEqual(x, y)
}

// fixPrimary sets primary to false on the values of list other than the
// ones at the indexes an operation just wrote, when one of those is primary
// (RFC 7644 §3.5.2: the server clears the others).
func fixPrimary(list []any, written []int) {
	isPrimary := func(v any) bool {
		m, _ := v.(map[string]any)
		return m != nil && m["primary"] == true
	}
	if !slices.ContainsFunc(written, func(i int) bool { return isPrimary(list[i]) }) {
		return
	}
	for i, v := range list {
		if isPrimary(v) && !slices.Contains(written, i) {
			m := maps.Clone(v.(map[string]any))
			m["primary"] = false
			list[i] = m
		}
	}
}

// setOrDelete sets m[name] to v, or deletes it when v is nil.
func setOrDelete(m map[string]any, name string, v any) {
	if v == nil {
		delete(m, name)
		return
	}
	m[name] = v
}

// clean leaves c[name] out when the value is empty: an empty array, an
// object without members, or elements that lost their last member.
func clean(c map[string]any, name string) {
	switch v := c[name].(type) {
	case nil:
		delete(c, name)
	case []any:
		v = slices.DeleteFunc(v, func(e any) bool {
			m, ok := e.(map[string]any)
			return e == nil || ok && len(m) == 0
		})
		if len(v) == 0 {
			delete(c, name)
		} else {
			c[name] = v
		}
	case map[string]any:
		if len(v) == 0 {
			delete(c, name)
		}
	}
}
