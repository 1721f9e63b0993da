package scimtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A filter is a parsed SCIM filter (RFC 7644 §3.4.2.2) that tells whether a
// resource, or an element of a multi-valued attribute inside a value filter,
// matches.
type filter interface {
	match(obj map[string]any) bool
}

type (
	andFilter     struct{ l, r filter }
	orFilter      struct{ l, r filter }
	notFilter     struct{ f filter }
	presentFilter struct{ p attrPath }
	// valueFilter is attr[filter]: some element of attr matches filter.
	valueFilter struct {
		p attrPath
		f filter
	}
	compareFilter struct {
		p   attrPath
		op  string // eq ne co sw ew gt ge lt le
		lit any    // string, bool or float64
	}
)

func (f andFilter) match(o map[string]any) bool { return f.l.match(o) && f.r.match(o) }
func (f orFilter) match(o map[string]any) bool  { return f.l.match(o) || f.r.match(o) }
func (f notFilter) match(o map[string]any) bool { return !f.f.match(o) }

// match: the attribute has a value other than "" (RFC 7644 §3.4.2.2, pr).
func (f presentFilter) match(o map[string]any) bool {
	for _, v := range f.p.values(o) {
		if v != "" {
			return true
		}
	}
	return false
}

func (f valueFilter) match(o map[string]any) bool {
	for _, e := range f.p.values(o) {
		if m, ok := e.(map[string]any); ok && f.f.match(m) {
			return true
		}
	}
	return false
}

// match: some value of the attribute compares true; for ne, none is equal
// (so a missing attribute is "ne" anything).
func (f compareFilter) match(o map[string]any) bool {
	op := f.op
	if op == "ne" {
		op = "eq"
	}
	found := false
	for _, v := range f.p.values(o) {
		if compare(f.p.leaf(), v, op, f.lit) {
			found = true
			break
		}
	}
	return found != (f.op == "ne")
}

// compare applies op to a value of the attribute a and a literal that
// parseFilter checked against a's type.
func compare(a *attr, v any, op string, lit any) bool {
	switch a.Type {
	case "boolean":
		return v == lit
	case "integer", "decimal":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		x, err := n.Float64()
		return err == nil && ordered(op, x, lit.(float64))
	case "dateTime":
		s, _ := v.(string)
		t, err1 := time.Parse(time.RFC3339Nano, s)
		l, err2 := time.Parse(time.RFC3339Nano, lit.(string))
		if err1 == nil && err2 == nil && op != "co" && op != "sw" && op != "ew" {
			return ordered(op, t.UnixNano(), l.UnixNano())
		}
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	l := lit.(string)
	if !a.CaseExact {
		s, l = strings.ToLower(s), strings.ToLower(l)
	}
	switch op {
	case "co":
		return strings.Contains(s, l)
	case "sw":
		return strings.HasPrefix(s, l)
	case "ew":
		return strings.HasSuffix(s, l)
	}
	return ordered(op, s, l)
}

func ordered[T int64 | float64 | string](op string, x, y T) bool {
	switch op {
	case "eq":
		return x == y
	case "gt":
		return x > y
	case "ge":
		return x >= y
	case "lt":
		return x < y
	case "le":
		return x <= y
	}
	return false
}

// maxFilterDepth bounds the nesting of parentheses and "not", so that a
// hostile filter cannot exhaust the stack.
const maxFilterDepth = 32

// parseFilter parses a filter over resources of kind k. Errors are 400
// invalidFilter.
func parseFilter(k *kind, s string) (filter, error) {
	return parseFilterIn(k, nil, s)
}

// parseFilterIn parses a filter whose attribute names are relative to
// parent (the inside of a value filter such as members[value eq "…"]), or
// to the resource when parent is nil.
func parseFilterIn(k *kind, parent *attr, s string) (filter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, badRequest("invalidFilter", "filter %s: %v", quoteShort(s), err)
	}
	p := &filterParser{toks: toks, k: k, parent: parent}
	f, err := p.parseOr()
	if err == nil && p.peek().typ != tokEOF {
		err = fmt.Errorf("unexpected %s", p.peek())
	}
	if err != nil {
		return nil, badRequest("invalidFilter", "filter %s: %v", quoteShort(s), err)
	}
	return f, nil
}

type tokenType int

const (
	tokEOF tokenType = iota
	tokWord
	tokString
	tokLParen
	tokRParen
	tokLBracket
	tokRBracket
)

type token struct {
	typ  tokenType
	text string // as written
	str  string // the value of a string literal
	pos  int    // byte offset in the filter
}

func (t token) String() string {
	if t.typ == tokEOF {
		return "end of filter"
	}
	return fmt.Sprintf("%s at %d", quoteShort(t.text), t.pos+1)
}

// tokenize splits a filter into words, string literals and brackets. A
// string literal is a JSON string (RFC 7644 §3.4.2.2: compValue is JSON),
// so `"a\"b"` is a"b and `"a\\b"` is a\b.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			typ := tokLParen + tokenType(strings.IndexByte("()[]", c))
			toks = append(toks, token{typ: typ, text: s[i : i+1], pos: i})
			i++
		case c == '"':
			j := stringEnd(s, i)
			if j < 0 {
				return nil, fmt.Errorf("string at %d is not closed", i+1)
			}
			t := token{typ: tokString, text: s[i:j], pos: i}
			if err := json.Unmarshal([]byte(t.text), &t.str); err != nil {
				return nil, fmt.Errorf("bad string %s at %d", t.text, i+1)
			}
			toks = append(toks, t)
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()[]\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{typ: tokWord, text: s[i:j], pos: i})
			i = j
		}
	}
	return append(toks, token{typ: tokEOF, pos: len(s)}), nil
}

// stringEnd returns the offset just past the JSON string that starts at
// s[i], or -1 when it is not closed.
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

type filterParser struct {
	toks   []token
	i      int
	k      *kind
	parent *attr // inside a value filter: the filtered attribute
	depth  int
}

func (p *filterParser) peek() token { return p.toks[p.i] }

func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.typ != tokEOF {
		p.i++
	}
	return t
}

// word reports whether the next token is the keyword w, and consumes it.
func (p *filterParser) word(w string) bool {
	if t := p.peek(); t.typ == tokWord && strings.EqualFold(t.text, w) {
		p.i++
		return true
	}
	return false
}

func (p *filterParser) expect(typ tokenType, what string) error {
	if t := p.next(); t.typ != typ {
		return fmt.Errorf("want %s, got %s", what, t)
	}
	return nil
}

// parseOr parses FILTER; "and" binds tighter than "or".
func (p *filterParser) parseOr() (filter, error) {
	l, err := p.parseAnd()
	for err == nil && p.word("or") {
		var r filter
		if r, err = p.parseAnd(); err == nil {
			l = orFilter{l, r}
		}
	}
	return l, err
}

func (p *filterParser) parseAnd() (filter, error) {
	l, err := p.parseUnary()
	for err == nil && p.word("and") {
		var r filter
		if r, err = p.parseUnary(); err == nil {
			l = andFilter{l, r}
		}
	}
	return l, err
}

// parseUnary parses "(" FILTER ")", "not" "(" FILTER ")" and attribute
// expressions.
func (p *filterParser) parseUnary() (filter, error) {
	negate := p.word("not")
	if p.peek().typ != tokLParen {
		if negate {
			return nil, fmt.Errorf("want ( after not, got %s", p.peek())
		}
		return p.parseAttrExp()
	}
	p.next()
	if p.depth++; p.depth > maxFilterDepth {
		return nil, fmt.Errorf("nested too deeply")
	}
	f, err := p.parseOr()
	p.depth--
	if err != nil {
		return nil, err
	}
	if err := p.expect(tokRParen, ")"); err != nil {
		return nil, err
	}
	if negate {
		return notFilter{f}, nil
	}
	return f, nil
}

// compareOps are the comparison operators; operators ignore case.
var compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true, "gt": true, "ge": true, "lt": true, "le": true}

// parseAttrExp parses `attrPath "pr"`, `attrPath op value` and
// `attrPath "[" valFilter "]"`.
func (p *filterParser) parseAttrExp() (filter, error) {
	t := p.next()
	if t.typ != tokWord {
		return nil, fmt.Errorf("want an attribute name, got %s", t)
	}
	path, err := p.resolve(t.text)
	if err != nil {
		return nil, err
	}
	if p.peek().typ == tokLBracket {
		return p.parseValueFilter(path, t)
	}
	opTok := p.next()
	op := strings.ToLower(opTok.text)
	if opTok.typ != tokWord || (op != "pr" && !compareOps[op]) {
		return nil, fmt.Errorf("want an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after %s, got %s", t.text, opTok)
	}
	if op == "pr" {
		return presentFilter{path}, nil
	}
	if path.sub == nil && path.a.Type == "complex" {
		// A complex attribute compares by its value sub-attribute
		// (emails co "@example.com").
		if path.sub = find(path.a.SubAttributes, "value"); path.sub == nil {
			return nil, fmt.Errorf("%s is complex: name one of its sub-attributes", t.text)
		}
	}
	lit, err := p.literal(path.leaf(), op)
	if err != nil {
		return nil, err
	}
	return compareFilter{p: path, op: op, lit: lit}, nil
}

func (p *filterParser) parseValueFilter(path attrPath, t token) (filter, error) {
	if p.parent != nil || path.sub != nil || path.a.Type != "complex" {
		return nil, fmt.Errorf("%s cannot take a value filter", t.text)
	}
	p.next()
	outer := p.parent
	p.parent = path.a
	f, err := p.parseOr()
	p.parent = outer
	if err != nil {
		return nil, err
	}
	if err := p.expect(tokRBracket, "]"); err != nil {
		return nil, err
	}
	return valueFilter{path, f}, nil
}

// resolve finds the attribute a filter names.
func (p *filterParser) resolve(name string) (attrPath, error) {
	if p.parent == nil {
		return p.k.parsePath(name)
	}
	a := find(p.parent.SubAttributes, name)
	if a == nil {
		return attrPath{}, fmt.Errorf("no attribute %q in %s", name, p.parent.Name)
	}
	return attrPath{a: a}, nil
}

// literal reads the comparison value and checks that it suits op and the
// attribute a: booleans take true or false with eq and ne only, numbers
// take numbers, strings and dateTimes take strings.
func (p *filterParser) literal(a *attr, op string) (any, error) {
	t := p.next()
	var lit any
	switch {
	case t.typ == tokString:
		lit = t.str
	case t.typ == tokWord && (t.text == "true" || t.text == "false"):
		lit = t.text == "true"
	case t.typ == tokWord:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("want a value (a string in double quotes, true, false or a number), got %s", t)
		}
		lit = f
	default:
		return nil, fmt.Errorf("want a value, got %s", t)
	}
	want := "a string"
	switch a.Type {
	case "boolean":
		if op != "eq" && op != "ne" {
			return nil, fmt.Errorf("%s is boolean: only eq and ne apply", a.Name)
		}
		want = "true or false"
		if _, ok := lit.(bool); ok {
			return lit, nil
		}
	case "integer", "decimal":
		want = "a number"
		if _, ok := lit.(float64); ok && op != "co" && op != "sw" && op != "ew" {
			return lit, nil
		}
	case "binary":
		if op != "eq" && op != "ne" && op != "co" && op != "sw" && op != "ew" {
			return nil, fmt.Errorf("%s is binary: %s does not apply", a.Name, op)
		}
		fallthrough
	default:
		if _, ok := lit.(string); ok {
			return lit, nil
		}
	}
	return nil, fmt.Errorf("%s %s wants %s, got %s", a.Name, op, want, t)
}

// eqTerms returns the attribute values that f asserts with eq, when f is
// nothing but eq comparisons joined by and (type eq "work" and primary eq
// true), so that an add through a value filter that matches nothing can
// make the element it describes.
func eqTerms(f filter) (map[string]any, bool) {
	switch f := f.(type) {
	case compareFilter:
		if f.op != "eq" || f.p.sub != nil {
			return nil, false
		}
		lit := f.lit
		if x, ok := lit.(float64); ok {
			lit = json.Number(strconv.FormatFloat(x, 'f', -1, 64))
		}
		return map[string]any{f.p.a.Name: lit}, true
	case andFilter:
		l, ok1 := eqTerms(f.l)
		r, ok2 := eqTerms(f.r)
		if !ok1 || !ok2 {
			return nil, false
		}
		for k, v := range r {
			l[k] = v
		}
		return l, true
	}
	return nil, false
}
