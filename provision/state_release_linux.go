//go:build linux

package provision

import (
	"go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapped drops the pages of the state file that the process has
// read through bbolt's memory map from its resident set
// (madvise(MADV_DONTNEED)): a re-sync of a million users reads every user
// record, and without this all of the file stays resident, counted in the
// process's RSS (docs/performance-sync.md). The pages stay in the page
// cache; a later read faults them in again. bbolt maps the file read-only
// and shared and writes with pwrite, so dropping the mapping's pages loses
// nothing. tx must be open: it holds bbolt's mmap lock, so the mapping
// cannot be replaced (and its address reused) during the call.
func releaseMapped(db *bbolt.DB, tx *bbolt.Tx) {
	// Info().Data is the mapping's address; tx.Size() is the size of the
	// file as tx sees it, within the mapping. The call goes through
	// Syscall with the address as it is rather than as a []byte made
	// from a uintptr. An error (none is expected) only leaves the pages
	// resident.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, db.Info().Data, uintptr(tx.Size()), unix.MADV_DONTNEED)
}
