package provision

import (
	"slices"
	"strings"
	"sync"

	"github.com/agnivade/levenshtein"
)

// Source fields: the names a source's columns (CSV headers, JSON attributes)
// are known by once read. Mapping sources and scoping attributes name them.
const (
	FieldUserName       = "userName"
	FieldExternalID     = "externalId"
	FieldActive         = "active"
	FieldGivenName      = "name.givenName"
	FieldFamilyName     = "name.familyName"
	FieldDepartment     = "department"
	FieldEmployeeNumber = "employeeNumber"
	FieldCostCenter     = "costCenter"
	FieldDivision       = "division"
	FieldEmails         = "emails"
	FieldGroups         = "groups"
)

// canonicalFields are the fields of a canonical source, in the order a
// JSON or JSONL source's records hold them.
var canonicalFields = []string{
	FieldUserName, FieldExternalID, FieldActive, FieldGivenName, FieldFamilyName,
	FieldDepartment, FieldEmployeeNumber, FieldCostCenter, FieldDivision, FieldEmails, FieldGroups,
}

// entraFields maps the columns of Microsoft Entra ID's "bulk download users"
// CSV that have a canonical meaning to their canonical field (DESIGN.md §5).
var entraFields = map[string]string{
	"userPrincipalName": FieldUserName,
	"objectId":          FieldExternalID,
	"employeeId":        FieldEmployeeNumber,
	"givenName":         FieldGivenName,
	"surname":           FieldFamilyName,
	"accountEnabled":    FieldActive,
	"mail":              FieldEmails,
}

// entraOnlyFields are the other columns of Entra's export. They are kept
// under their own names, so that scoping rules and mappings can use them
// (jobTitle, country, userType…), and otherwise ignored.
var entraOnlyFields = []string{
	"displayName", "userType", "jobTitle", "usageLocation", "streetAddress", "state", "country",
	"physicalDeliveryOfficeName", "city", "postalCode", "telephoneNumber", "mobile",
	"authenticationAlternativePhoneNumber", "authenticationEmail", "alternateEmailAddress",
	"ageGroup", "consentProvidedForMinor", "legalAgeGroupClassification", "companyName",
	"creationType", "directorySynced", "invitationState", "identityIssuer", "createdDateTime",
}

// knownFields maps every accepted field name, lowercased, to the name the
// field is kept under: canonical names, their aliases and Entra's columns.
// It and allFieldNames are built on first use, not at package init, which
// every orgctl command pays at start-up (orgctl version included).
var knownFields = sync.OnceValue(func() map[string]string {
	m := map[string]string{"email": FieldEmails}
	for _, f := range canonicalFields {
		m[strings.ToLower(f)] = f
	}
	for e, f := range entraFields {
		m[strings.ToLower(e)] = f
	}
	for _, f := range entraOnlyFields {
		m[strings.ToLower(f)] = f
	}
	return m
})

// fieldName returns the name a field given as name is kept under, and
// whether it is known.
func fieldName(name string) (string, bool) {
	f, ok := knownFields()[strings.ToLower(strings.TrimSpace(name))]
	return f, ok
}

// allFieldNames are the names a person may write, for suggestions.
var allFieldNames = sync.OnceValue(func() []string {
	s := append([]string{"email"}, canonicalFields...)
	for e := range entraFields {
		s = append(s, e)
	}
	s = append(s, entraOnlyFields...)
	slices.Sort(s) // ties in closest are then decided the same way every run
	return s
})

// closest returns the candidate nearest to s (case-insensitively) when it is
// near enough to be what was meant, else "".
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean is "; did you mean X?" for the candidate closest to s, or "".
func didYouMean(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" {
		return "; did you mean " + c + "?"
	}
	return ""
}
