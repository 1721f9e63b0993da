// Package store keeps orgctl's state under the state directory (--state-dir):
// the verification codes made by `orgctl code new` and the history of checks
// made by `orgctl verify`.
//
//	s, err := store.Open(ctx, stateDir)
//	err = s.PutCode(ctx, store.Code{Domain: "main.com", Code: uuid, CreatedAt: now, ExpiresAt: now.Add(10 * 24 * time.Hour)}, false)
//	c, err := s.Code(ctx, "main.com")           // store.ErrNotFound if there is none
//	err = s.RecordCheck(ctx, "main.com", store.Check{At: now, Method: "dns", Name: "main.com.", Status: "verified"})
//	last, ok, err := s.LastVerified(ctx, "main.com")
//
// # Safety
//
// The state is one file, orgctl.db, a bbolt database (go.etcd.io/bbolt): a
// copy-on-write B+tree whose commits are fsynced and whose two checksummed
// meta pages let a crash at any moment leave the last committed state
// readable. bbolt locks the file (flock) while it is open, so only one process
// writes at a time.
//
// Every method opens the file, runs one transaction and closes it again: the
// lock is never held across network work, and concurrent orgctl processes —
// or several Store values in one process — take turns rather than fail. Each
// read-modify-write (appending a check, replacing a code) happens inside one
// transaction, so no write is lost. An operation waits for the lock until
// the lock timeout (WithLockTimeout, default 10 s) or until its context
// ends, whichever comes first, and then returns an error wrapping ErrLocked
// (not the context's error: the lock, not the network, stopped it). It
// tries the lock once even when its context has ended already.
//
// Readers take a shared lock and open the file read-only. A file that is not a
// bbolt database, or is truncated or damaged, gives an error wrapping
// ErrCorrupt that names the file; it is never written to or replaced, and
// bbolt panics on damaged pages are turned into that error. An empty file, as
// left by a crash before the database was first written, is initialized.
//
// # Format
//
// Buckets "codes" and "checks" map a domain (lowercase, without trailing dot;
// callers normalize with internal/domain) to the JSON encoding of a Code and
// of a []Check. Bucket "meta" holds the schema version; a file written by a
// newer orgctl is refused with an error wrapping ErrSchema.
package store
