package main

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/provision"
	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/verify"
)

// snakeCase is the shape of every key of orgctl's own JSON (DESIGN.md §2).
var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// jsonKeyProblems walks the JSON form of type t and returns the fields
// whose key is not snake_case, or that have no json tag (encoding/json
// would then use the Go name, as HasServiceProviderConfig once was).
// Types that marshal themselves (SCIM resources, which carry RFC 7643's
// own attribute names) are not walked.
func jsonKeyProblems(t reflect.Type) []string {
	var problems []string
	seen := map[reflect.Type]bool{}
	marshaler := reflect.TypeFor[json.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		if t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler) ||
			t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
			return
		}
		if t.PkgPath() == "time" {
			return
		}
		seen[t] = true
		for f := range fieldsOf(t) {
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			switch {
			case name == "-":
				continue
			case f.Anonymous && name == "":
				walk(f.Type, path)
				continue
			case name == "":
				problems = append(problems, path+t.Name()+"."+f.Name+": no json tag")
			case !snakeCase.MatchString(name):
				problems = append(problems, path+t.Name()+"."+f.Name+": key "+name+" is not snake_case")
			}
			walk(f.Type, path+name+".")
		}
	}
	walk(t, "")
	return problems
}

func fieldsOf(t reflect.Type) func(func(reflect.StructField) bool) {
	return func(yield func(reflect.StructField) bool) {
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && !yield(f) {
				return
			}
		}
	}
}

// The checker itself must be able to fail.
func TestJSONKeyProblemsFindsBadKeys(t *testing.T) {
	type inner struct {
		Good int `json:"good_key"`
		Bad  int
	}
	type outer struct {
		Camel string  `json:"camelCase"`
		In    []inner `json:"in"`
	}
	got := jsonKeyProblems(reflect.TypeFor[outer]())
	if len(got) != 2 {
		t.Fatalf("got %q, want the camelCase key and the untagged field", got)
	}
}

// TestJSONShapes holds every object orgctl prints with -o json to
// snake_case keys (DESIGN.md §2). A new printed type belongs in this list.
// SCIM resources (scim.User, scim.Group) marshal themselves with RFC
// 7643's attribute names and are not orgctl's to rename.
func TestJSONShapes(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[verify.Result](),
		reflect.TypeFor[codeView](),
		reflect.TypeFor[config.Setting](),
		reflect.TypeFor[scimTestView](),
		reflect.TypeFor[scim.TestResult](),
		reflect.TypeFor[scim.MemberChanges](),
		reflect.TypeFor[provision.Skip](),
		reflect.TypeFor[provision.Plan](),
		reflect.TypeFor[provision.Summary](),
	} {
		for _, p := range jsonKeyProblems(typ) {
			t.Errorf("%s: %s", typ, p)
		}
	}
}
