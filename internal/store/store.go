package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the state file in the state directory.
const FileName = "orgctl.db"

// SchemaVersion is the version of the data layout this package writes. Files
// with a newer version are refused.
const SchemaVersion = 1

// DefaultLockTimeout is how long an operation waits for another process to
// release the state file, when its context allows as much.
const DefaultLockTimeout = 10 * time.Second

// lockRetry is how often a wait for the file lock tries again (bbolt's
// own step).
const lockRetry = 50 * time.Millisecond

// Errors that callers may test for with errors.Is.
var (
	// ErrNotFound means that no code is stored for the domain.
	ErrNotFound = errors.New("no code stored")
	// ErrExists means that an active code is already stored for the domain.
	ErrExists = errors.New("an active code is already stored")
	// ErrLocked means that another process held the state file for longer
	// than the lock timeout, or until the operation's context ended.
	ErrLocked = errors.New("state is locked by another orgctl process")
	// ErrCorrupt means that the state file is damaged or is not orgctl's.
	ErrCorrupt = errors.New("state file is damaged or not an orgctl state file")
	// ErrSchema means that the state file was written by a newer orgctl.
	ErrSchema = errors.New("state file is from a newer orgctl")
)

// Unusable reports whether err means that the state cannot be used until
// someone fixes it: a damaged file, one from a newer orgctl, a state
// directory or file that cannot be made, read or written. Its opposite is a
// failure that retrying may cure, such as ErrLocked. The CLI makes the
// first a configuration error.
func Unusable(err error) bool {
	var u *unusableError
	return errors.As(err, &u) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrSchema) || errors.Is(err, fs.ErrPermission)
}

// unusableError marks a state directory or file that cannot be used.
type unusableError struct{ err error }

func unusable(err error) error         { return &unusableError{err} }
func (e *unusableError) Error() string { return e.err.Error() }
func (e *unusableError) Unwrap() error { return e.err }

// Bucket and key names.
const (
	bucketMeta   = "meta"
	bucketCodes  = "codes"
	bucketChecks = "checks"
	keySchema    = "schema"
)

// Store is the state in one state directory. Its methods may be called from
// several goroutines, and several Store values, in one or several processes,
// may share a directory.
type Store struct {
	path    string
	timeout time.Duration
}

// Option configures a Store.
type Option func(*Store)

// WithLockTimeout sets how long each operation waits for the file lock held
// by another process or Store (default DefaultLockTimeout); the wait ends
// earlier when the operation's context ends. Zero means wait as long as
// the context allows; a negative duration means try once.
func WithLockTimeout(d time.Duration) Option {
	return func(s *Store) { s.timeout = d }
}

// Open returns the Store in dir. It creates dir (mode 0700) and the state
// file (mode 0600) if they do not exist, and checks that the file is a
// readable orgctl state file of a schema version it understands. ctx bounds
// the wait for the file lock, as every operation's ctx does (see Safety in
// the package documentation).
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, unusable(errors.New("opening state: no state directory given"))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, unusable(fmt.Errorf("creating state directory: %w", err))
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, unusable(fmt.Errorf("opening state directory: %w", err))
	}
	if !fi.IsDir() {
		return nil, unusable(fmt.Errorf("opening state directory %s: not a directory", dir))
	}
	s := &Store{path: filepath.Join(dir, FileName), timeout: DefaultLockTimeout}
	for _, o := range opts {
		o(s)
	}
	if fi, err := os.Stat(s.path); err == nil && !fi.Mode().IsRegular() {
		return nil, unusable(fmt.Errorf("opening state file %s: not a regular file", s.path))
	} else if err == nil && fi.Size() > 0 {
		// Validate with a read-only pass first: nothing is written to a file
		// that turns out to be damaged.
		var ready bool
		err := s.run(ctx, false, func(tx *bbolt.Tx) error {
			ok, err := s.schema(tx)
			if err != nil {
				return err
			}
			ready = ok
			return s.scan(tx)
		})
		if err != nil {
			return nil, err
		}
		if ready {
			return s, nil
		}
	}
	if err := s.update(ctx, func(*bbolt.Tx) error { return nil }); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the path of the state file.
func (s *Store) Path() string { return s.path }

// view runs fn in a read-only transaction on a read-only, shared-locked file,
// after checking the schema version. The buckets are missing from a file that
// was never written to.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	return s.run(ctx, false, func(tx *bbolt.Tx) error {
		if _, err := s.schema(tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// update runs fn in a read-write transaction, after making sure that the file
// is initialized with the current schema.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	return s.run(ctx, true, func(tx *bbolt.Tx) error {
		ok, err := s.schema(tx)
		if err != nil {
			return err
		}
		if !ok {
			if err := s.initialize(tx); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// run opens the file (waiting for its lock as long as ctx and the lock
// timeout allow), runs fn in one transaction and closes the file. It turns
// bbolt's panics on damaged files, and memory faults on truncated ones,
// into errors wrapping ErrCorrupt.
func (s *Store) run(ctx context.Context, write bool, fn func(*bbolt.Tx) error) error {
	// A page beyond the end of a truncated file faults (SIGBUS) when read
	// through the memory map; make that a panic we can recover from.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))

	var file *os.File // the file bbolt opened, to unlock it after a panic
	opts := &bbolt.Options{
		Timeout:  -1, // try once: lock waits for the lock, minding ctx
		ReadOnly: !write,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	}
	db, err := s.lock(ctx, opts)
	var p panicked
	if errors.As(err, &p) {
		abandon(file)
		return s.corrupt(err)
	}
	if err != nil {
		return s.openError(err)
	}
	err = protect(func() error {
		check := func(tx *bbolt.Tx) error {
			if err := s.checkSize(tx); err != nil {
				return err
			}
			return fn(tx)
		}
		if write {
			return db.Update(check)
		}
		return db.View(check)
	})
	if errors.As(err, &p) {
		// bbolt's locks may be held: do not call db.Close.
		abandon(file)
		return s.corrupt(err)
	}
	if cerr := db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing state file %s: %w", s.path, cerr)
	}
	return err
}

// lock opens the state file with opts (which must try the lock once),
// trying again while another process holds the lock: until the lock
// timeout, or until ctx ends, whichever comes first. bbolt's own wait
// (Options.Timeout) cannot see ctx, and a command's --timeout must bound
// the wait as it bounds the rest. lock tries once whatever ctx's state, so
// that a free file is used even after the deadline (the history of a run
// that used all its time). A wait given up returns an error wrapping
// ErrLocked; a panic in bbolt is returned as a panicked.
func (s *Store) lock(ctx context.Context, opts *bbolt.Options) (*bbolt.DB, error) {
	start := time.Now()
	for {
		var db *bbolt.DB
		err := protect(func() error {
			var err error
			db, err = bbolt.Open(s.path, 0o600, opts)
			return err
		})
		if !errors.Is(err, berrors.ErrTimeout) {
			return db, err
		}
		waited := time.Since(start)
		if s.timeout < 0 {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, s.path)
		}
		if s.timeout > 0 && waited >= s.timeout {
			return nil, fmt.Errorf("%w (%s): gave up after %s", ErrLocked, s.path, s.timeout)
		}
		wait := lockRetry
		if s.timeout > 0 {
			wait = min(wait, s.timeout-waited)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			why := "when the time allowed ran out"
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = "when the operation was cancelled"
			}
			// Not wrapping ctx.Err(): the cause is the lock, not the
			// servers a command with a deadline was talking to.
			return nil, fmt.Errorf("%w (%s): gave up after %s, %s", ErrLocked, s.path, waited.Round(time.Millisecond), why)
		case <-t.C:
		}
	}
}

// panicked is a panic in bbolt, which it raises on some damaged files.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprintf("bbolt: %v", p.v) }

// protect calls fn and returns its error, or the panic in it as a panicked.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicked{r}
		}
	}()
	return fn()
}

// abandon releases the lock on, and closes, a file bbolt left open when it
// panicked. The memory map is leaked.
func abandon(f *os.File) {
	if f == nil {
		return
	}
	unlock(f)
	_ = f.Close()
}

// openError explains an error from bbolt.Open.
func (s *Store) openError(err error) error {
	var pathErr *fs.PathError
	var errno syscall.Errno
	switch {
	case errors.Is(err, ErrLocked): // from lock, which says it all
		return err
	case errors.As(err, &pathErr): // names the file
		return fmt.Errorf("opening state file: %w", err)
	case errors.As(err, &errno):
		return fmt.Errorf("opening state file %s: %w", s.path, err)
	default:
		// bbolt's errors for files that are not databases: ErrInvalid,
		// ErrVersionMismatch, ErrChecksum, "file size too small".
		return s.corrupt(err)
	}
}

func (s *Store) corrupt(cause error) error {
	return fmt.Errorf("%w: %s: %w (move it aside to start with an empty state)", ErrCorrupt, s.path, cause)
}

// checkSize refuses a file shorter than its meta page says, which bbolt
// would read past the end of.
func (s *Store) checkSize(tx *bbolt.Tx) error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("reading state file: %w", err)
	}
	if fi.Size() < tx.Size() {
		return s.corrupt(fmt.Errorf("file is %d bytes long, shorter than the %d bytes its header gives (truncated?)", fi.Size(), tx.Size()))
	}
	return nil
}

// schema reports whether the file holds orgctl state of a version this code
// understands (true), or is a new, empty database (false).
func (s *Store) schema(tx *bbolt.Tx) (bool, error) {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil {
		if first, _ := tx.Cursor().First(); first != nil {
			return false, s.corrupt(errors.New("no meta bucket: not an orgctl state file"))
		}
		return false, nil
	}
	raw := meta.Get([]byte(keySchema))
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return false, s.corrupt(fmt.Errorf("bad schema version %q", raw))
	}
	if v > SchemaVersion {
		return false, fmt.Errorf("%w: %s has schema version %d, this orgctl understands up to %d; upgrade orgctl",
			ErrSchema, s.path, v, SchemaVersion)
	}
	return true, nil
}

func (s *Store) initialize(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
	if err != nil {
		return fmt.Errorf("initializing state file %s: %w", s.path, err)
	}
	if err := meta.Put([]byte(keySchema), []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return fmt.Errorf("initializing state file %s: %w", s.path, err)
	}
	for _, name := range []string{bucketCodes, bucketChecks} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("initializing state file %s: %w", s.path, err)
		}
	}
	return nil
}

// scan reads every record, so that damage shows up when the Store is opened
// rather than in the middle of a later command.
func (s *Store) scan(tx *bbolt.Tx) error {
	for _, name := range []string{bucketCodes, bucketChecks} {
		b := tx.Bucket([]byte(name))
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			if !json.Valid(v) {
				return s.corrupt(fmt.Errorf("record %q in %s is not valid JSON", k, name))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
