//go:build !linux

package provision

import "go.etcd.io/bbolt"

// releaseMapped does nothing here: the memory map's pages are released
// only on Linux (see state_release_linux.go).
func releaseMapped(*bbolt.DB, *bbolt.Tx) {}
