package scimtest

import (
	"fmt"
	"strconv"
)

// scimError is an error the server answers with a SCIM error response
// (RFC 7644 §3.12).
type scimError struct {
	status   int
	scimType string // "" when the RFC defines none for the case
	detail   string
}

func (e *scimError) Error() string {
	if e.scimType == "" {
		return fmt.Sprintf("%d: %s", e.status, e.detail)
	}
	return fmt.Sprintf("%d %s: %s", e.status, e.scimType, e.detail)
}

// body is e as a SCIM error message; status is a string, as the RFC's
// examples have it.
func (e *scimError) body() map[string]any {
	m := map[string]any{
		"schemas": []string{msgError},
		"status":  strconv.Itoa(e.status),
		"detail":  e.detail,
	}
	if e.scimType != "" {
		m["scimType"] = e.scimType
	}
	return m
}

func errorf(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

// badRequest is a 400 error of the given scimType: invalidFilter,
// invalidSyntax, invalidPath, invalidValue, noTarget, mutability, tooMany.
func badRequest(scimType, format string, args ...any) *scimError {
	return errorf(400, scimType, format, args...)
}

func notFound(format string, args ...any) *scimError {
	return errorf(404, "", format, args...)
}
