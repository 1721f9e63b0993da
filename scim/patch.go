package scim

import "slices"

// PatchOp is one PATCH operation (RFC 7644 §3.5.2). Op is lowercase
// ("add", "replace", "remove"); a nil Value is left out, as on "remove".
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// The operations.
const (
	OpAdd     = "add"
	OpReplace = "replace"
	OpRemove  = "remove"
)

// patchRequest is the body of a PATCH request.
type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

func patchBody(ops []PatchOp) ([]byte, error) {
	return marshal(patchRequest{[]string{SchemaPatchOp}, ops})
}

// Paths of the enterprise attributes DiffUser manages.
const (
	PathDepartment     = SchemaEnterpriseUser + ":department"
	PathEmployeeNumber = SchemaEnterpriseUser + ":employeeNumber"
	PathCostCenter     = SchemaEnterpriseUser + ":costCenter"
	PathDivision       = SchemaEnterpriseUser + ":division"
)

// DiffUser returns the operations that turn have into want, one per
// changed attribute, in a fixed order, or none when nothing changed. A
// nil have is a user without attributes.
//
// It manages these attributes, which DESIGN.md §5 maps: userName,
// externalId, active, name.givenName, name.familyName, emails, and the
// enterprise department, employeeNumber, costCenter and division (by their
// full URN paths, e.g. PathDepartment). For each string attribute, a value
// that appears is "add"ed, one that changes is "replace"d, and one that
// want leaves empty is "remove"d: copy from have into want whatever the
// caller does not manage. Exceptions: an empty want.UserName changes
// nothing (userName is required), a nil want.Active leaves active alone,
// and a nil want.Emails leaves emails alone (an empty non-nil slice
// removes them). Emails are compared as a set and replaced whole when
// they differ. Other attributes (Extra, name.formatted, manager) are not
// compared.
func DiffUser(have, want *User) []PatchOp {
	if have == nil {
		have = &User{}
	}
	var ops []PatchOp
	str := func(path, old, new string) {
		switch {
		case old == new:
		case new == "":
			ops = append(ops, PatchOp{Op: OpRemove, Path: path})
		case old == "":
			ops = append(ops, PatchOp{Op: OpAdd, Path: path, Value: new})
		default:
			ops = append(ops, PatchOp{Op: OpReplace, Path: path, Value: new})
		}
	}
	if want.UserName != "" {
		str("userName", have.UserName, want.UserName)
	}
	str("externalId", have.ExternalID, want.ExternalID)
	if want.Active != nil && (have.Active == nil || *have.Active != *want.Active) {
		ops = append(ops, PatchOp{Op: OpReplace, Path: "active", Value: *want.Active})
	}
	str("name.givenName", have.Name.GivenName, want.Name.GivenName)
	str("name.familyName", have.Name.FamilyName, want.Name.FamilyName)
	if want.Emails != nil && !sameEmails(have.Emails, want.Emails) {
		if len(want.Emails) == 0 {
			ops = append(ops, PatchOp{Op: OpRemove, Path: "emails"})
		} else {
			ops = append(ops, PatchOp{Op: OpReplace, Path: "emails", Value: want.Emails})
		}
	}
	str(PathDepartment, have.Enterprise.Department, want.Enterprise.Department)
	str(PathEmployeeNumber, have.Enterprise.EmployeeNumber, want.Enterprise.EmployeeNumber)
	str(PathCostCenter, have.Enterprise.CostCenter, want.Enterprise.CostCenter)
	str(PathDivision, have.Enterprise.Division, want.Enterprise.Division)
	return ops
}

func sameEmails(a, b []Email) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Contains(b, a[i]) || !slices.Contains(a, b[i]) {
			return false
		}
	}
	return true
}

// removeMember is the operation that removes one member by a value filter,
// with no value (RFC 7644 §3.5.2.2).
func removeMember(id string) PatchOp {
	return PatchOp{Op: OpRemove, Path: "members[" + Eq("value", id) + "]"}
}
