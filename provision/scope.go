package provision

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Scope is a set of scoping rules, as Entra ID's scoping filters (config
// key scim.scope): a user is in scope when every clause of at least one
// rule holds. An empty Scope puts everyone in scope.
//
//   - name: New York engineering
//     clauses:
//   - {attribute: department, operator: EQUALS, value: Engineering}
//   - {attribute: employeeNumber, operator: GREATER_THAN_OR_EQUALS, value: "1000000"}
//   - {attribute: jobTitle, operator: IS NOT NULL}
type Scope []Rule

// Rule is one scoping filter: its clauses are AND-ed.
type Rule struct {
	Name    string   `mapstructure:"name" yaml:"name,omitempty" json:"name,omitempty"`
	Clauses []Clause `mapstructure:"clauses" yaml:"clauses" json:"clauses"`
}

// Clause tests one source field of a user. Attribute is a source field as
// Mapping.Source names them (a canonical name or an Entra column); the
// field's value is the source's, before mapping.
type Clause struct {
	Attribute string `mapstructure:"attribute" yaml:"attribute" json:"attribute"`
	// Operator is one of the Op constants, in any case, with spaces or
	// underscores ("NOT EQUALS", "not_equals" and "Greater_Than" are read).
	Operator string `mapstructure:"operator" yaml:"operator" json:"operator"`
	Value    string `mapstructure:"value" yaml:"value,omitempty" json:"value,omitempty"`
}

// Scoping operators, with Entra's semantics ("Scoping users or groups to be
// provisioned with scoping filters"). Every operator but IS NULL is false on
// an empty value. Comparisons are case-sensitive.
const (
	OpEquals    = "EQUALS"     // the value is Value
	OpNotEquals = "NOT EQUALS" // the value is not Value
	OpIsTrue    = "IS TRUE"    // the value is true (any case)
	OpIsFalse   = "IS FALSE"   // the value is false (any case)
	OpIsNull    = "IS NULL"    // the value is empty
	OpIsNotNull = "IS NOT NULL"
	// OpRegexMatch: Value, a regular expression (Go's RE2 syntax), matches
	// somewhere in the value; anchor it with ^…$ to match all of it.
	OpRegexMatch    = "REGEX MATCH"
	OpNotRegexMatch = "NOT REGEX MATCH"
	// OpGreaterThan compares integers: Value must be one, and a value
	// that is not is out of scope.
	OpGreaterThan         = "GREATER_THAN"
	OpGreaterThanOrEquals = "GREATER_THAN_OR_EQUALS"
	OpEndsWith            = "ENDS_WITH"
	// OpIncludes: the value contains Value (as .NET's String.Contains,
	// which Entra's docs cite).
	OpIncludes = "INCLUDES"
)

var operators = []string{
	OpEquals, OpNotEquals, OpIsTrue, OpIsFalse, OpIsNull, OpIsNotNull, OpRegexMatch,
	OpNotRegexMatch, OpGreaterThan, OpGreaterThanOrEquals, OpEndsWith, OpIncludes,
}

// opKey folds an operator's spelling: upper case, '_' as ' ', single spaces.
func opKey(op string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(op, "_", " "))), " ")
}

// Validate checks every rule: known attributes and operators, a value where
// the operator needs one and none where it takes none, regular expressions
// that compile and integers for GREATER_THAN. Its error names each bad
// clause.
func (s Scope) Validate() error {
	_, err := s.compile(nil)
	return err
}

// scoper is a Scope compiled against one source's columns.
type scoper struct {
	rules []compiledRule
}

type compiledRule struct {
	name    string
	clauses []compiledClause
}

type compiledClause struct {
	Clause
	op    string
	col   int
	match func(v string) bool
}

// compile validates s and resolves its attributes to src's columns (nil:
// validation only; a field the source lacks is always empty).
func (s Scope) compile(src *Source) (*scoper, error) {
	var errs []error
	sc := &scoper{}
	for i, r := range s {
		cr := compiledRule{name: r.Name}
		label := fmt.Sprintf("scim.scope rule %d", i+1)
		if r.Name == "" {
			cr.name = fmt.Sprintf("rule %d", i+1)
		} else {
			label += fmt.Sprintf(" (%s)", r.Name)
		}
		if len(r.Clauses) == 0 {
			errs = append(errs, fmt.Errorf("%s: has no clauses", label))
		}
		for j, c := range r.Clauses {
			cc, err := compileClause(c, src)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s, clause %d: %w", label, j+1, err))
				continue
			}
			cr.clauses = append(cr.clauses, cc)
		}
		sc.rules = append(sc.rules, cr)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return sc, nil
}

func compileClause(c Clause, src *Source) (compiledClause, error) {
	cc := compiledClause{Clause: c, col: -1}
	f, ok := fieldName(c.Attribute)
	switch {
	case !ok:
		return cc, fmt.Errorf("unknown attribute %q%s", c.Attribute, didYouMean(c.Attribute, allFieldNames()))
	case f == FieldGroups:
		return cc, errors.New("groups cannot be scoped on: scoping filters do not take multi-valued attributes")
	}
	if src != nil {
		if cc.col = src.column(f); cc.col < 0 {
			cc.col = len(src.fields)
		}
	}
	k := opKey(c.Operator)
	for _, op := range operators {
		if opKey(op) == k {
			cc.op = op
		}
	}
	needsValue := true
	v := c.Value
	switch cc.op {
	case "":
		return cc, fmt.Errorf("unknown operator %q%s", c.Operator, didYouMean(c.Operator, operators))
	case OpEquals:
		cc.match = func(s string) bool { return s == v }
	case OpNotEquals:
		cc.match = func(s string) bool { return s != v }
	case OpIsTrue, OpIsFalse:
		want := strconv.FormatBool(cc.op == OpIsTrue)
		cc.match = func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), want) }
		needsValue = false
	case OpIsNull:
		cc.match = func(s string) bool { return s == "" }
		needsValue = false
	case OpIsNotNull:
		cc.match = func(s string) bool { return s != "" }
		needsValue = false
	case OpRegexMatch, OpNotRegexMatch:
		re, err := regexp.Compile(v)
		if err != nil {
			return cc, fmt.Errorf("invalid regular expression %q: %w", v, err)
		}
		want := cc.op == OpRegexMatch
		cc.match = func(s string) bool { return re.MatchString(s) == want }
	case OpGreaterThan, OpGreaterThanOrEquals:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return cc, fmt.Errorf("%s needs an integer value, not %q", cc.op, v)
		}
		orEqual := cc.op == OpGreaterThanOrEquals
		cc.match = func(s string) bool {
			m, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			return err == nil && (m > n || orEqual && m == n)
		}
	case OpEndsWith:
		cc.match = func(s string) bool { return strings.HasSuffix(s, v) }
	case OpIncludes:
		cc.match = func(s string) bool { return strings.Contains(s, v) }
	}
	switch {
	case needsValue && v == "":
		return cc, fmt.Errorf("%s needs a value", cc.op)
	case !needsValue && v != "":
		return cc, fmt.Errorf("%s takes no value, got %q", cc.op, v)
	}
	return cc, nil
}

// holds reports whether c holds for a user's values (one a column, and one
// more, always empty).
func (c *compiledClause) holds(vals []string) bool {
	v := vals[c.col]
	if v == "" && c.op != OpIsNull {
		return false
	}
	return c.match(v)
}

// inScope reports whether a user with vals is in scope; when not, why.
func (s *scoper) inScope(vals []string) (bool, string) {
	if len(s.rules) == 0 {
		return true, ""
	}
	var why string
	for _, r := range s.rules {
		failed := -1
		for i := range r.clauses {
			if !r.clauses[i].holds(vals) {
				failed = i
				break
			}
		}
		if failed < 0 {
			return true, ""
		}
		if why == "" {
			c := r.clauses[failed]
			// "userType "Guest" fails NOT EQUALS "Guest"": the operator
			// as the rule spells it, never negated twice.
			why = fmt.Sprintf("%s: %s %q fails %s", r.name, c.Attribute, shorten(vals[c.col]), c.op)
			if c.Value != "" {
				why += fmt.Sprintf(" %q", c.Value)
			}
		}
	}
	if len(s.rules) > 1 {
		why = fmt.Sprintf("none of the %d scoping rules holds (%s)", len(s.rules), why)
	}
	return false, why
}
