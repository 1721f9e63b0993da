package main

import (
	"context"
	"errors"

	"github.com/orgctl/orgctl/internal/store"
)

// openStore opens the state under --state-dir, once per run: opening
// checks the whole file, and verify needs it for the codes, for what it
// knows of other codes and for the history. What its failure exits with
// is exitCode's state rule; the hint says what to do. ctx (the command's,
// with --timeout's deadline) bounds the wait for another orgctl's lock,
// here and in every use of the store.
func (f *factory) openStore(ctx context.Context) (*store.Store, error) {
	if f.store != nil {
		return f.store, nil
	}
	st, err := store.Open(ctx, f.opts.StateDir)
	switch {
	case err == nil:
		f.store = st
		return st, nil
	case errors.Is(err, store.ErrLocked):
		hint := "another orgctl is using the state; retry when it is done"
		if ctx.Err() != nil {
			hint += ", or allow more time (--timeout)"
		}
		return nil, &cliError{code: exitCode(err), err: err, hint: hint}
	case errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrSchema):
		return nil, &cliError{code: exitCode(err), err: err}
	default:
		return nil, &cliError{code: exitCode(err), err: err, hint: "check --state-dir (ORGCTL_STATE_DIR)"}
	}
}
