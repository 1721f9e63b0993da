package main

import (
	"errors"

	"github.com/orgctl/orgctl/internal/store"
)

// openStore opens the state under --state-dir, once per run: opening
// checks the whole file, and verify needs it for the codes, for what it
// knows of other codes and for the history. What its failure exits with
// is exitCode's state rule; the hint says what to do.
func (f *factory) openStore() (*store.Store, error) {
	if f.store != nil {
		return f.store, nil
	}
	st, err := store.Open(f.opts.StateDir)
	switch {
	case err == nil:
		f.store = st
		return st, nil
	case errors.Is(err, store.ErrLocked):
		return nil, &cliError{code: exitCode(err), err: err, hint: "another orgctl is using the state; retry when it is done"}
	case errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrSchema):
		return nil, &cliError{code: exitCode(err), err: err}
	default:
		return nil, &cliError{code: exitCode(err), err: err, hint: "check --state-dir (ORGCTL_STATE_DIR)"}
	}
}
