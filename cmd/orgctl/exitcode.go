package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/scim"
)

// Exit codes (DESIGN.md §2). exitCode is the only place that maps errors
// to them, and main the only caller of os.Exit.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitNotVerified = 3
	exitAuth        = 4
	exitSafetyStop  = 5
	exitInterrupted = 130
)

// cliError carries an exit code and an optional hint. A silent one has
// been reported already (the results said it) and prints nothing more.
type cliError struct {
	code   int
	err    error
	hint   string
	silent bool
}

func (e *cliError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *cliError) Unwrap() error { return e.err }

// usageErrorf is a usage or configuration error (exit 2).
func usageErrorf(hint, format string, args ...any) error {
	return &cliError{code: exitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

// usageError wraps err as a usage error.
func usageError(err error, hint string) error {
	return &cliError{code: exitUsage, err: err, hint: hint}
}

// errNotVerified ends a run in which some domain was checked and is not
// verified; the results already say why.
var errNotVerified = &cliError{code: exitNotVerified, silent: true}

// errIndeterminate ends a run in which some check could not be completed.
var errIndeterminate = &cliError{code: exitFailure, silent: true}

// errInterrupted is a run stopped by SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")

// exitCode maps an error returned by a command to the process exit code.
//
// The state rule: state that cannot be used as it is (a damaged file, one
// from a newer orgctl, a state directory that cannot be made, read or
// written) is a configuration error the user must fix, exit 2, found on
// opening or later; a script retrying would fail the same way. A state
// locked by another orgctl for too long is exit 1: retrying later helps.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *cliError
	switch {
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, scim.ErrUnauthorized):
		return exitAuth
	case store.Unusable(err):
		return exitUsage
	case isCobraUsage(err):
		return exitUsage
	default:
		return exitFailure
	}
}

// isCobraUsage recognises the errors cobra returns for a bad command line
// (it has no error types for them).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}

// report prints err the way every orgctl error looks:
//
//	orgctl: error: …
//	orgctl: hint: …
func report(w io.Writer, err error, p palette) {
	var ce *cliError
	if errors.As(err, &ce) && ce.silent {
		return
	}
	fmt.Fprintf(w, "orgctl: %s %s\n", p.red("error:"), err.Error())
	if errors.As(err, &ce) && ce.hint != "" {
		fmt.Fprintf(w, "orgctl: %s %s\n", p.yellow("hint:"), ce.hint)
	}
}
