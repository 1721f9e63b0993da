package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/orgctl/orgctl/internal/store"
)

// TestUnusableStateExit holds the one rule for state that cannot be used
// as it is: a configuration error the user must fix, exit 2, whatever the
// cause, and the file is left alone.
func TestUnusableStateExit(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns --state-dir
		wantErr string
	}{
		{"a file, not a directory", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "state.txt")
			write(t, p, "a file")
			return p
		}, "not a directory"},
		{"a directory that cannot be made", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "state.txt")
			write(t, p, "a file")
			return filepath.Join(p, "orgctl")
		}, "state.txt"},
		{"a garbage state file", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, store.FileName), "this is not a bbolt file")
			return dir
		}, "damaged"},
		{"a state file from a newer orgctl", func(t *testing.T, dir string) string {
			st, err := store.Open(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			db, err := bbolt.Open(st.Path(), 0o600, &bbolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("99")) }); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "newer orgctl"},
		{"the state file is a directory", func(t *testing.T, dir string) string {
			if err := os.Mkdir(filepath.Join(dir, store.FileName), 0o700); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stateDir := tt.setup(t, t.TempDir())
			for _, args := range [][]string{{"code", "list"}, {"code", "new", "main.test"}} {
				env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "ORGCTL_STATE_DIR": stateDir}
				code, _, stderr := runCmd(t, false, env, args...)
				if code != exitUsage || !strings.Contains(stderr, tt.wantErr) {
					t.Errorf("orgctl %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, stderr, tt.wantErr)
				}
			}
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLockedStateEndsAtTimeout: while another orgctl holds the state
// file's lock, a command waits for it only until its --timeout, and then
// says that the state is locked (exit 1), not that the servers did not
// answer.
func TestLockedStateEndsAtTimeout(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	if err := st.PutCode(t.Context(), store.Code{Domain: "main.test", Code: "668e156b-f5d3-430e-9944-f1d4385d043e", CreatedAt: now, ExpiresAt: now.AddDate(0, 0, 10)}, false); err != nil {
		t.Fatal(err)
	}
	// Another orgctl, in the middle of a write.
	db, err := bbolt.Open(st.Path(), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "ORGCTL_STATE_DIR": dir}
	for _, args := range [][]string{
		{"code", "list"},
		{"code", "show", "main.test"},
		{"code", "new", "other.test"},
		{"verify", "dns", "main.test", "--resolver", "127.0.0.1:9"},
		{"verify", "dns", "main.test", "--resolver", "127.0.0.1:9", "--code", "668e156b-f5d3-430e-9944-f1d4385d043e"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			start := time.Now()
			code, _, stderr := runCmd(t, false, env, append(args, "--timeout", "500ms")...)
			took := time.Since(start)
			if code != exitFailure || !strings.Contains(stderr, "state is locked by another orgctl") || !strings.Contains(stderr, "time allowed ran out") {
				t.Errorf("exit %d, stderr %q; want exit 1 and that the state is locked", code, stderr)
			}
			if strings.Contains(stderr, "servers") {
				t.Errorf("stderr %q blames the servers", stderr)
			}
			if took >= store.DefaultLockTimeout/2 {
				t.Errorf("gave up after %s: the wait for the lock did not end at --timeout 500ms", took)
			}
		})
	}
}
