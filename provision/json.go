package provision

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgctl/orgctl/scim"
)

// userKeys are the attributes of a JSON user that become source fields,
// lowercased, with the field each gives. The enterprise extension's
// attributes may also be given flat.
var userKeys = map[string]string{
	"username":       FieldUserName,
	"externalid":     FieldExternalID,
	"active":         FieldActive,
	"department":     FieldDepartment,
	"employeenumber": FieldEmployeeNumber,
	"costcenter":     FieldCostCenter,
	"division":       FieldDivision,
}

// ignoredUserKeys are SCIM core User attributes (RFC 7643 §4.1) and
// resource attributes that a JSON user may carry and that the sync does not
// manage: they are accepted and ignored, as Entra's extra columns are.
var ignoredUserKeys = []string{
	"schemas", "id", "meta", "displayName", "nickName", "profileUrl", "title", "userType",
	"preferredLanguage", "locale", "timezone", "password", "phoneNumbers", "ims", "photos",
	"addresses", "entitlements", "roles", "x509Certificates",
}

// jsonUserNames are the attribute names a JSON user may have, for
// suggestions.
var jsonUserNames = append([]string{
	"userName", "externalId", "active", "name", "emails", "groups", "department",
	"employeeNumber", "costCenter", "division", scim.SchemaEnterpriseUser,
}, ignoredUserKeys...)

// maxJSONLine is the longest line of a JSONL source.
const maxJSONLine = 16 << 20

// readJSON reads a JSON source: {"users": [...], "groups": [...]}, streaming
// the arrays one object at a time. A JSON syntax error ends the reading
// (nothing after it can be trusted); other problems are collected.
func readJSON(r io.Reader, src *Source, e *errs) error {
	src.Kind, src.fields = KindJSON, canonicalFields
	w := newWindow(r)
	dec := json.NewDecoder(w)
	dec.UseNumber()
	syntax := func(err error) error {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			line := w.lineAt(se.Offset)
			e.add(line, "", w.lineText(line), "invalid JSON: %v", se)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			e.add(w.lineAt(dec.InputOffset()), "", "", "invalid JSON: the text ends early")
		default:
			return err
		}
		return nil
	}
	expect := func(want json.Delim, what string) (bool, error) {
		off := w.skipSpace(dec.InputOffset(), "")
		tok, err := dec.Token()
		if err != nil {
			return false, syntax(err)
		}
		if tok != want {
			line := w.lineAt(off)
			e.add(line, "", w.lineText(line), "want %s", what)
			return false, nil
		}
		return true, nil
	}
	if ok, err := expect('{', `a JSON object {"users": [...], "groups": [...]}`); !ok {
		return err
	}
	for dec.More() {
		off := w.skipSpace(dec.InputOffset(), ",")
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		key, _ := tok.(string)
		var each func(raw json.RawMessage, line int)
		switch strings.ToLower(key) {
		case "users":
			each = func(raw json.RawMessage, line int) { addJSONUser(src, e, raw, line) }
		case "groups":
			each = func(raw json.RawMessage, line int) { addJSONGroup(src, e, raw, line) }
		default:
			e.add(w.lineAt(off), "", key, `unknown key: want "users" or "groups"%s`, didYouMean(key, []string{"users", "groups"}))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntax(err)
			}
			continue
		}
		if ok, err := expect('[', fmt.Sprintf("%q to be an array", key)); !ok {
			return err
		}
		for dec.More() {
			line := w.lineAt(w.skipSpace(dec.InputOffset(), ","))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return syntax(err)
			}
			each(raw, line)
		}
		if _, err := dec.Token(); err != nil {
			return syntax(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntax(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line := w.lineAt(w.skipSpace(dec.InputOffset(), ""))
		e.add(line, "", w.lineText(line), "invalid JSON: text after the object")
	}
	return nil
}

// readJSONL reads a JSONL source: one JSON user object a line; blank lines
// are skipped. A bad line does not stop the reading.
func readJSONL(r io.Reader, src *Source, e *errs) error {
	src.Kind, src.fields = KindJSONL, canonicalFields
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxJSONLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		addJSONUser(src, e, b, line)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		e.add(line+1, "", "", "line is longer than %d bytes", maxJSONLine)
		return nil
	}
	return sc.Err()
}

// isJSONLUser reports whether line, the first line of a source, is a whole
// JSON object that is a user (it has a userName; a document has users)
// rather than the start of a JSON document.
func isJSONLUser(line []byte) bool {
	var o map[string]json.RawMessage
	if json.Unmarshal(line, &o) != nil {
		return false
	}
	user := false
	for k := range o {
		switch strings.ToLower(k) {
		case "users":
			return false
		case "username":
			user = true
		}
	}
	return user
}

// object decodes a JSON object at line, or records why it is not one.
func object(e *errs, raw []byte, line int, what string) (map[string]json.RawMessage, bool) {
	if !utf8.Valid(raw) {
		e.add(line, "", strings.ToValidUTF8(string(raw), "\uFFFD"), "text is not UTF-8: save the file as UTF-8")
		return nil, false
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		e.add(line, "", string(raw), "want a JSON object for a %s: %v", what, err)
		return nil, false
	}
	return o, true
}

// addJSONUser validates a JSON user and adds it to src.
func addJSONUser(src *Source, e *errs, raw []byte, line int) {
	o, ok := object(e, raw, line, "user")
	if !ok {
		return
	}
	vals := make([]string, len(canonicalFields))
	set := func(field, v string) {
		i := slices.Index(canonicalFields, field)
		if vals[i] != "" && vals[i] != v {
			e.add(line, field, v, "given twice, differently (%q)", vals[i])
			ok = false
		}
		vals[i] = v
	}
	// read reads the value v of key with parse, saying what is wrong.
	read := func(key string, v json.RawMessage, parse func(json.RawMessage) (string, error)) (string, bool) {
		s, err := parse(v)
		if err != nil {
			e.add(line, key, string(v), "%v", err)
			ok = false
		}
		return s, err == nil
	}
	str := func(key string, v json.RawMessage) (string, bool) { return read(key, v, jsonString) }
	// nameSaid: a problem of the userName was said (a userName that is
	// no string), which an empty userName must not repeat.
	nameSaid := false
	// In key order, so that the problems of a user are said the same way
	// every time (the source is read twice when it is synced).
	for _, k := range slices.Sorted(maps.Keys(o)) {
		v := o[k]
		lk := strings.ToLower(k)
		switch {
		case userKeys[lk] != "":
			parse := jsonString
			switch userKeys[lk] {
			case FieldActive:
				parse = jsonActive
			case FieldUserName:
				parse = jsonName
			}
			if s, good := read(k, v, parse); good {
				set(userKeys[lk], s)
			} else if userKeys[lk] == FieldUserName {
				nameSaid = true
			}
		case lk == "name":
			var n map[string]json.RawMessage
			if json.Unmarshal(v, &n) != nil {
				e.add(line, k, string(v), "want an object {givenName, familyName}")
				ok = false
				continue
			}
			for _, nk := range slices.Sorted(maps.Keys(n)) {
				nv := n[nk]
				switch strings.ToLower(nk) {
				case "givenname":
					if s, good := str("name."+nk, nv); good {
						set(FieldGivenName, s)
					}
				case "familyname":
					if s, good := str("name."+nk, nv); good {
						set(FieldFamilyName, s)
					}
				}
			}
		case lk == "emails" || lk == "groups":
			parse, field := jsonEmail, FieldEmails
			if lk == "groups" {
				parse, field = jsonGroupNames, FieldGroups
			}
			if s, err := parse(v); err != nil {
				e.add(line, k, string(v), "%v", err)
				ok = false
			} else {
				set(field, s)
			}
		case lk == strings.ToLower(scim.SchemaEnterpriseUser):
			var x map[string]json.RawMessage
			if json.Unmarshal(v, &x) != nil {
				e.add(line, k, string(v), "want an object with the enterprise attributes")
				ok = false
				continue
			}
			for _, xk := range slices.Sorted(maps.Keys(x)) {
				xv := x[xk]
				if f := userKeys[strings.ToLower(xk)]; f == FieldDepartment || f == FieldEmployeeNumber || f == FieldCostCenter || f == FieldDivision {
					if s, good := str(xk, xv); good {
						set(f, s)
					}
				}
			}
		case slices.ContainsFunc(ignoredUserKeys, func(i string) bool { return strings.EqualFold(i, k) }):
		default:
			e.add(line, "", k, "unknown attribute%s", didYouMean(k, jsonUserNames))
			ok = false
		}
	}
	for i, v := range vals {
		good := checkValue(e, line, canonicalFields[i], v)
		nameSaid = nameSaid || i == 0 && !good
		ok = good && ok
	}
	if !nameSaid && !checkName(e, line, FieldUserName, "userName", vals[0]) {
		ok = false // when nameSaid, ok is false already
	}
	act := slices.Index(canonicalFields, FieldActive)
	b, good := parseActive(vals[act])
	if !good {
		e.add(line, FieldActive, vals[act], "invalid boolean: want true or false")
		ok = false
	}
	vals[act] = strconv.FormatBool(b)
	if strings.TrimSpace(vals[0]) != "" {
		src.add(e, line, vals, 0, 1, ok)
	}
}

// jsonString reads a string attribute (every attribute but active, as
// SCIM has them): a JSON string, a number as written (an employeeNumber
// or a cost center that an export writes as 42), or null for none. A
// boolean, an object or an array is an error that names it: true for an
// externalId is a mistake, not a value.
func jsonString(v json.RawMessage) (string, error) {
	if jsonType(v) == "a number" {
		return string(bytes.TrimSpace(v)), nil
	}
	return jsonName(v)
}

// jsonName reads a name (a userName, a group's displayName or
// externalId): a JSON string, or null for none; any other type is an
// error that names it.
func jsonName(v json.RawMessage) (string, error) {
	switch t := jsonType(v); t {
	case "null":
		return "", nil
	case "a string":
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("invalid JSON: %v", err)
		}
		return s, nil
	default:
		return "", fmt.Errorf("want a string, found %s", t)
	}
}

// jsonActive reads active: a JSON boolean, a string that parseActive
// reads (true or false, as in a CSV), or null (true). Any other type is
// an error that names it.
func jsonActive(v json.RawMessage) (string, error) {
	switch t := jsonType(v); t {
	case "a boolean":
		return string(bytes.TrimSpace(v)), nil
	case "a string", "null":
		return jsonName(v)
	default:
		return "", fmt.Errorf("invalid boolean: want true or false, found %s", t)
	}
}

// jsonType names the type of the JSON value v (valid JSON) as a message
// says it: "a string", "a number", "a boolean", "an object", "an array" or
// "null".
func jsonType(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a number"
}

// jsonMembersType names what a group's members are when they are not an
// array of strings: the type of the value, or of the first member that is
// no string.
func jsonMembersType(v json.RawMessage) string {
	var ms []json.RawMessage
	if json.Unmarshal(v, &ms) != nil {
		return jsonType(v)
	}
	for i, m := range ms {
		if t := jsonType(m); t != "a string" {
			return fmt.Sprintf("%s as member %d", t, i+1)
		}
	}
	return "an array"
}

// jsonEmail picks the address of a user's emails: the primary one, else the
// work one, else the first.
func jsonEmail(v json.RawMessage) (string, error) {
	var es []scim.Email
	if err := json.Unmarshal(v, &es); err != nil {
		return "", errors.New(`want an array of {"value": address, "type": "work", "primary": true}`)
	}
	if i := slices.IndexFunc(es, func(e scim.Email) bool { return e.Primary }); i >= 0 {
		return es[i].Value, nil
	}
	if i := slices.IndexFunc(es, func(e scim.Email) bool { return strings.EqualFold(e.Type, "work") }); i >= 0 {
		return es[i].Value, nil
	}
	if len(es) > 0 {
		return es[0].Value, nil
	}
	return "", nil
}

// jsonGroupNames reads a user's groups: an array of display names (or of
// SCIM group references with a "display"), into a record's groups field.
func jsonGroupNames(v json.RawMessage) (string, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(v, &raws); err != nil {
		return "", errors.New("want an array of group names")
	}
	names := make([]string, 0, len(raws))
	for _, r := range raws {
		var name string
		if json.Unmarshal(r, &name) != nil {
			var ref struct {
				Display string `json:"display"`
			}
			if json.Unmarshal(r, &ref) != nil || ref.Display == "" {
				return "", fmt.Errorf("group %s: want a group name", r)
			}
			name = ref.Display
		}
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if err := scim.CheckName(name); err != nil {
			return "", fmt.Errorf("group name %q %v", name, err)
		}
		names = append(names, name)
	}
	return strings.Join(names, groupSep), nil
}

// addJSONGroup validates a group of a JSON source's "groups" list and adds
// it to src.
func addJSONGroup(src *Source, e *errs, raw []byte, line int) {
	o, ok := object(e, raw, line, "group")
	if !ok {
		return
	}
	g := sourceGroup{line: line}
	for _, k := range slices.Sorted(maps.Keys(o)) { // in key order, as a user's
		v := o[k]
		switch strings.ToLower(k) {
		case "displayname", "externalid":
			s, err := jsonName(v)
			if err != nil {
				e.add(line, k, string(v), "%v", err)
				ok = false
			}
			if strings.EqualFold(k, "displayName") {
				g.displayName = s
			} else {
				g.externalID = s
			}
		case "members":
			if json.Unmarshal(v, &g.members) != nil {
				e.add(line, k, string(v), "want an array of userNames (strings), found %s", jsonMembersType(v))
				ok = false
				g.members = nil // what Unmarshal filled in before it failed
			}
		case "schemas", "id", "meta":
		default:
			e.add(line, "", k, "unknown group attribute%s", didYouMean(k, []string{"displayName", "externalId", "members"}))
			ok = false
		}
	}
	ok = checkValue(e, line, "displayName", g.displayName) && checkValue(e, line, "externalId", g.externalID) && ok
	for _, m := range g.members {
		ok = checkValue(e, line, "members", m) && ok
		if strings.TrimSpace(m) == "" {
			e.add(line, "members", m, "member userName is empty")
			ok = false
		}
	}
	g.displayName = strings.TrimSpace(g.displayName)
	switch {
	case g.displayName == "" && ok:
		e.add(line, "displayName", "", "group displayName is empty")
		ok = false
	case g.displayName != "" && ok:
		ok = checkName(e, line, "displayName", "group displayName", g.displayName)
	}
	if ok {
		src.groups = append(src.groups, g)
	}
}
