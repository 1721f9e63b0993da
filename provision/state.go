package provision

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The per-target state is its own bbolt file, stateDir/scim/<hash>.db,
// rather than buckets in internal/store's orgctl.db: a sync holds its
// target's file open and locked for the whole cycle (the lock is what
// keeps two syncs of one target apart), and writes to it hundreds of times
// a cycle, while internal/store opens orgctl.db for one short transaction
// at a time so that `orgctl verify` and other targets' syncs never wait
// on network work. A file per target also keeps a large directory's state
// (100,000 users) away from the codes, and forgetting a target is
// removing one file.

// stateSchema is the version of the layout below; a newer file is
// refused.
const stateSchema = 1

// Buckets of a target's state file.
const (
	bucketMeta   = "meta"   // "schema", "url", "quarantine"
	bucketUsers  = "users"  // lower-cased userName → UserRecord (JSON)
	bucketGroups = "groups" // group key (see groupKey) → GroupRecord (JSON)
	bucketCycles = "cycles" // cycle id (sortable) → Cycle (JSON)
)

// keepCycles is how many cycle records the state keeps.
const keepCycles = 100

// Batching of user records: a batch is committed when it holds this many
// records or is this old. A user record lost in a crash costs one lookup
// on the next run, never a duplicate (see State).
const (
	batchSize = 200
	batchAge  = 250 * time.Millisecond
)

// releaseEvery is how many user records a sync reads or writes between
// two releases of the state file's mapped pages (releaseMapped): a few
// megabytes of the file resident at most.
const releaseEvery = 1024

// ErrBusy is returned by OpenState when another sync of the same target
// holds its state.
var ErrBusy = errors.New("another sync of this target is running")

// UserRecord is what the state keeps of a user the sync pushed.
type UserRecord struct {
	UserName string `json:"user_name"`
	ID       string `json:"id"`
	// Hash is the hash of the managed attributes last pushed (or found
	// equal at the server); "" after a deactivation.
	Hash string `json:"hash,omitempty"`
	// Inactive is true once the sync deactivated the user, or pushed it
	// with active=false.
	Inactive bool `json:"inactive,omitempty"`
}

// GroupRecord is what the state keeps of a group the sync manages.
type GroupRecord struct {
	DisplayName string `json:"display_name"`
	ExternalID  string `json:"external_id,omitempty"`
	// ID is "" while a create is pending: the intent is recorded before
	// the POST, so that a crash before its answer makes the next run look
	// the group up rather than create a second one.
	ID      string `json:"id,omitempty"`
	Pending bool   `json:"pending,omitempty"`
	Hash    string `json:"hash,omitempty"`
	// Members are the ids of the members the sync last left in the
	// group, sorted, when they are at most maxStoredMembers; a larger
	// group keeps only their hash, MembersHash: a directory of a million
	// users in a few groups would otherwise hold every id twice, in the
	// file and in memory.
	Members     []string `json:"members,omitempty"`
	MembersHash string   `json:"members_hash,omitempty"`
}

// maxStoredMembers is the largest group whose member ids the state keeps
// (a variable for the tests).
var maxStoredMembers = 5000

// setMembers records ids (sorted, distinct) as the group's members.
func (r *GroupRecord) setMembers(ids []string) {
	r.Members, r.MembersHash = nil, ""
	switch {
	case len(ids) > maxStoredMembers:
		r.MembersHash = membersHash(ids)
	case len(ids) > 0:
		r.Members = ids
	}
}

// sameMembers reports whether ids (any order) are the members recorded.
func (r *GroupRecord) sameMembers(ids []string) bool {
	if r.MembersHash != "" {
		return membersHash(sortedSet(ids)) == r.MembersHash
	}
	return sameSet(r.Members, ids)
}

// hasMembers reports whether the group had members when last recorded.
func (r *GroupRecord) hasMembers() bool { return len(r.Members) > 0 || r.MembersHash != "" }

// knownMembers returns the recorded member ids, and false when only
// their hash was kept.
func (r *GroupRecord) knownMembers() ([]string, bool) { return r.Members, r.MembersHash == "" }

// membersHash hashes sorted member ids.
func membersHash(sorted []string) string {
	h := sha256.New()
	for _, id := range sorted {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Cycle is the record of one provisioning cycle.
type Cycle struct {
	ID         string    `json:"id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end,omitzero"`
	Summary    *Summary  `json:"summary,omitempty"`
	Error      string    `json:"error,omitempty"`
	Quarantine string    `json:"quarantine,omitempty"`
}

// Quarantine is the reason a target's sync stopped, kept until a later run
// passes the connection test.
type Quarantine struct {
	Reason  string    `json:"reason"`
	Since   time.Time `json:"since"`
	CycleID string    `json:"cycle_id,omitempty"`
}

// State is the stored state of one target: the SCIM ids of the users and
// groups the sync pushed, the hash of the attributes last pushed, group
// memberships, cycle records and the quarantine. OpenState loads it whole
// and locks it; Close releases it. Its methods are safe for concurrent
// use.
//
// Group records are committed before the call that records them returns (a
// group create's intent before the POST). User records are committed in
// small batches, in the background: a crash may lose the last batch, and the next run then looks
// those users up by userName, which the server keeps unique, and adopts
// them: never a second user.
type State struct {
	db   *bbolt.DB
	url  string
	path string

	mu sync.Mutex
	// users holds the user records written and not yet committed (nil: a
	// deletion), by lower-cased userName; the others are read from the
	// file when needed, so that a directory of a million users does not
	// live in memory (DESIGN.md §5, docs/performance-sync.md).
	users  map[string]*UserRecord
	nusers int // user records in the file
	// readers counts the read transactions open for a walk or a
	// userReader. While one is, committed records stay in users
	// (committed lists them): its snapshot of the file predates them.
	readers    int
	committed  map[string]*UserRecord
	groups     map[string]*GroupRecord // groupKey →
	quarantine *Quarantine
	pending    []pendingWrite
	lastCommit time.Time
	err        error // the first failed commit; later writes fail with it

	// touched counts the records read or written through the file's
	// memory map since its pages were last released (see maybeRelease).
	touched atomic.Int64

	commitMu sync.Mutex    // orders commits
	kick     chan struct{} // asks the committer to commit a batch
	done     chan struct{} // closed when the committer has stopped
}

type pendingWrite struct {
	bucket, key string
	value       any // nil deletes
}

// StateFile returns the path of the state file of the target with base
// URL rawURL under stateDir.
func StateFile(stateDir, rawURL string) (string, error) {
	key, err := TargetKey(rawURL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(stateDir, "scim", hex.EncodeToString(sum[:12])+".db"), nil
}

// TargetKey normalizes a base URL into the key of a target's state: scheme
// and host lower-cased, the default port and trailing slashes dropped.
func TargetKey(rawURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("target URL %q: not an absolute URL", rawURL)
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// OpenState opens (creating it if needed) and locks the state of the
// target rawURL under stateDir. When another process, or another State in
// this one, holds it, the error wraps ErrBusy.
func OpenState(stateDir, rawURL string) (*State, error) {
	if stateDir == "" {
		return nil, errors.New("opening sync state: no state directory given")
	}
	key, err := TargetKey(rawURL)
	if err != nil {
		return nil, err
	}
	path, _ := StateFile(stateDir, rawURL)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the sync state directory: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 100 * time.Millisecond})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (its state %s is locked); wait for it to finish", ErrBusy, key, path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening sync state %s of %s: %w (move it aside to start over: the next sync then re-matches by userName)", path, key, err)
	}
	s := &State{db: db, url: key, path: path, users: map[string]*UserRecord{}, groups: map[string]*GroupRecord{}, lastCommit: time.Now(),
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	go s.committer()
	return s, nil
}

// load checks the schema and target, and reads every record.
func (s *State) load() error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
		if err != nil {
			return fmt.Errorf("initializing sync state %s: %w", s.path, err)
		}
		switch v := string(meta.Get([]byte("schema"))); v {
		case "":
			if err := meta.Put([]byte("schema"), fmt.Appendf(nil, "%d", stateSchema)); err != nil {
				return err
			}
			if err := meta.Put([]byte("url"), []byte(s.url)); err != nil {
				return err
			}
		case fmt.Sprint(stateSchema):
			if u := string(meta.Get([]byte("url"))); u != s.url {
				return fmt.Errorf("sync state %s belongs to %s, not %s", s.path, u, s.url)
			}
		default:
			return fmt.Errorf("sync state %s has schema version %s, this orgctl understands %d: upgrade orgctl", s.path, v, stateSchema)
		}
		if q := meta.Get([]byte("quarantine")); q != nil {
			s.quarantine = new(Quarantine)
			if err := json.Unmarshal(q, s.quarantine); err != nil {
				return s.corrupt("quarantine", err)
			}
		}
		for _, name := range []string{bucketUsers, bucketGroups, bucketCycles} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		// Counted with a cursor rather than Bucket.Stats, so that the
		// pages read are released as the walk goes (maybeRelease).
		s.nusers = 0
		cur := tx.Bucket([]byte(bucketUsers)).Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			s.nusers++
			s.maybeRelease(tx, 1)
		}
		return tx.Bucket([]byte(bucketGroups)).ForEach(func(k, v []byte) error {
			r := new(GroupRecord)
			if err := json.Unmarshal(v, r); err != nil {
				return s.corrupt("group "+string(k), err)
			}
			s.groups[string(k)] = r
			return nil
		})
	})
}

func (s *State) corrupt(what string, err error) error {
	return fmt.Errorf("sync state %s: record %s is damaged: %w (move the file aside to start over)", s.path, what, err)
}

// committer commits batches of user records in the background, so that
// workers do not wait for the disk; its failure is reported by the next
// write or Flush.
func (s *State) committer() {
	defer close(s.done)
	for range s.kick {
		_ = s.Flush()
	}
}

// Close commits what is pending and releases the state.
func (s *State) Close() error {
	close(s.kick)
	<-s.done
	err := s.Flush()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Target returns the normalized base URL the state belongs to.
func (s *State) Target() string { return s.url }

// Path returns the state file's path.
func (s *State) Path() string { return s.path }

// User returns the record of the user userName (any case), or nil.
func (s *State) User(userName string) *UserRecord {
	r, err := s.user(strings.ToLower(userName))
	if err != nil {
		return nil
	}
	return r
}

// user returns a copy of the record of the user key (lower-cased
// userName), or nil: the uncommitted one, else the file's.
func (s *State) user(key string) (*UserRecord, error) {
	s.mu.Lock()
	r, pending := s.users[key]
	s.mu.Unlock()
	if pending {
		if r == nil {
			return nil, nil
		}
		c := *r
		return &c, nil
	}
	var out *UserRecord
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		s.maybeRelease(tx, 1)
		out, err = s.decodeUser(key, tx.Bucket([]byte(bucketUsers)).Get([]byte(key)))
		return err
	})
	return out, err
}

// userReader reads user records in one read transaction: far cheaper
// than a transaction a record when a batch of users is planned.
type userReader struct {
	s  *State
	tx *bbolt.Tx
	b  *bbolt.Bucket
}

func (s *State) userReader() (*userReader, error) {
	tx, err := s.beginRead()
	if err != nil {
		return nil, err
	}
	return &userReader{s: s, tx: tx, b: tx.Bucket([]byte(bucketUsers))}, nil
}

// get returns the record of key (lower-cased userName), or nil.
func (r *userReader) get(key string) (*UserRecord, error) {
	r.s.mu.Lock()
	rec, pending := r.s.users[key]
	r.s.mu.Unlock()
	if pending {
		return rec, nil
	}
	r.s.maybeRelease(r.tx, 1)
	return r.s.decodeUser(key, r.b.Get([]byte(key)))
}

func (r *userReader) close() {
	r.s.maybeRelease(r.tx, releaseEvery)
	r.s.endRead(r.tx)
}

// maybeRelease counts n records read or written in tx (open) and releases
// the mapped pages of the file once releaseEvery have been counted since
// the last release, so that a cycle that reads every record keeps only a
// little of the file resident.
func (s *State) maybeRelease(tx *bbolt.Tx, n int64) {
	if s.touched.Add(n) < releaseEvery {
		return
	}
	s.touched.Store(0)
	releaseMapped(s.db, tx)
}

func (s *State) decodeUser(key string, v []byte) (*UserRecord, error) {
	if v == nil {
		return nil, nil
	}
	r := new(UserRecord)
	if err := json.Unmarshal(v, r); err != nil {
		return nil, s.corrupt("user "+key, err)
	}
	return r, nil
}

// eachUser calls fn with every user record, in key order (lower-cased
// userName), the uncommitted ones included; fn must not call the State.
// An error of fn ends the walk and is returned. It must not be called
// while the same goroutine holds a userReader: use the reader's each.
func (s *State) eachUser(fn func(key string, r *UserRecord) error) error {
	tx, err := s.beginRead()
	if err != nil {
		return err
	}
	defer s.endRead(tx)
	return s.walkUsers(tx, fn)
}

// each is eachUser in the reader's own transaction. A second read
// transaction in the goroutine that holds one can deadlock: a commit
// waiting to grow the file blocks new readers until the first one ends.
func (r *userReader) each(fn func(key string, r *UserRecord) error) error {
	return r.s.walkUsers(r.tx, fn)
}

// walkUsers walks the users of tx merged with the records not committed
// yet, which it never flushes: a flush waits for every open reader when
// bbolt must grow its file.
func (s *State) walkUsers(tx *bbolt.Tx, fn func(key string, r *UserRecord) error) error {
	s.mu.Lock()
	pending := make(map[string]*UserRecord, len(s.users))
	for k, r := range s.users {
		if r != nil {
			c := *r
			r = &c
		}
		pending[k] = r // nil: removed
	}
	s.mu.Unlock()
	keys := slices.Sorted(maps.Keys(pending))
	next := 0
	// emitPending visits the pending records whose keys sort before key
	// ("" for all that are left).
	emitPending := func(key string) error {
		for ; next < len(keys) && (key == "" || keys[next] < key); next++ {
			if r := pending[keys[next]]; r != nil {
				if err := fn(keys[next], r); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := tx.Bucket([]byte(bucketUsers)).ForEach(func(k, v []byte) error {
		s.maybeRelease(tx, 1)
		key := string(k)
		if err := emitPending(key); err != nil {
			return err
		}
		if next < len(keys) && keys[next] == key {
			next++
			if r := pending[key]; r != nil {
				return fn(key, r)
			}
			return nil // removed, not committed yet
		}
		r, err := s.decodeUser(key, v)
		if err != nil {
			return err
		}
		return fn(key, r)
	})
	if err != nil {
		return err
	}
	return emitPending("")
}

// Group returns the record of the group with externalID, else
// displayName (any case), or nil.
func (s *State) Group(externalID, displayName string) *GroupRecord {
	return s.groupByKey(groupKey(externalID, displayName))
}

// groupByKey returns a copy of the group record under key, or nil.
func (s *State) groupByKey(key string) *GroupRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.groups[key]; r != nil {
		c := *r
		c.Members = slices.Clone(r.Members)
		return &c
	}
	return nil
}

// groupRecords returns a copy of the group records, by key.
func (s *State) groupRecords() map[string]*GroupRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*GroupRecord, len(s.groups))
	for k, r := range s.groups {
		c := *r
		c.Members = slices.Clone(r.Members)
		out[k] = &c
	}
	return out
}

// Len returns the number of users and groups recorded.
func (s *State) Len() (users, groups int) {
	_ = s.Flush() // a failure is reported by the next write
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nusers, len(s.groups)
}

// groupKey keys a group by its externalId, which survives a rename, else
// by its displayName.
func groupKey(externalID, displayName string) string {
	if externalID != "" {
		return "x:" + externalID
	}
	return "n:" + strings.ToLower(displayName)
}

// Quarantined returns the quarantine in force, or nil.
func (s *State) Quarantined() *Quarantine {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quarantine == nil {
		return nil
	}
	q := *s.quarantine
	return &q
}

// SetQuarantine records q (nil lifts the quarantine) at once.
func (s *State) SetQuarantine(q *Quarantine) error {
	s.mu.Lock()
	s.quarantine = q
	s.mu.Unlock()
	return s.writeNow(bucketMeta, "quarantine", q)
}

// putUser records r (nil: forgets the user userName); committed with the
// next batch.
func (s *State) putUser(userName string, r *UserRecord) error {
	key := strings.ToLower(userName)
	s.mu.Lock()
	s.users[key] = r
	s.pending = append(s.pending, pendingWrite{bucketUsers, key, valueOrNil(r)})
	due := len(s.pending) >= batchSize || time.Since(s.lastCommit) >= batchAge
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if due {
		select {
		case s.kick <- struct{}{}:
		default: // a commit is already asked for
		}
	}
	return nil
}

// putGroup records r under key (nil: forgets it), committed at once.
func (s *State) putGroup(key string, r *GroupRecord) error {
	s.mu.Lock()
	if r == nil {
		delete(s.groups, key)
	} else {
		s.groups[key] = r
	}
	s.mu.Unlock()
	return s.writeNow(bucketGroups, key, valueOrNil(r))
}

// valueOrNil keeps a typed nil pointer from becoming a non-nil any.
func valueOrNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// writeNow commits what is pending and one more write.
func (s *State) writeNow(bucket, key string, value any) error {
	s.mu.Lock()
	s.pending = append(s.pending, pendingWrite{bucket, key, value})
	s.mu.Unlock()
	return s.Flush()
}

// Flush commits the pending records in one transaction.
func (s *State) Flush() error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	batch := s.pending
	s.pending = nil
	s.lastCommit = time.Now()
	err := s.err
	s.mu.Unlock()
	if err != nil || len(batch) == 0 {
		return err
	}
	nusers := 0
	err = s.db.Update(func(tx *bbolt.Tx) error {
		nusers = 0
		users := tx.Bucket([]byte(bucketUsers))
		users.FillPercent = 0.9 // keys mostly come in order: fuller pages, a smaller file to map
		for _, w := range batch {
			b := tx.Bucket([]byte(w.bucket))
			if w.bucket == bucketUsers {
				switch had := b.Get([]byte(w.key)) != nil; {
				case had && w.value == nil:
					nusers--
				case !had && w.value != nil:
					nusers++
				}
			}
			if w.value == nil {
				if err := b.Delete([]byte(w.key)); err != nil {
					return err
				}
				continue
			}
			v, err := json.Marshal(w.value)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(w.key), v); err != nil {
				return err
			}
		}
		// Writing reads the pages of the keys written through the map
		// too. tx cannot remap the file before it commits.
		s.maybeRelease(tx, int64(len(batch)))
		return nil
	})
	if err != nil {
		err = fmt.Errorf("writing sync state %s: %w", s.path, err)
		s.mu.Lock()
		s.err = cmp.Or(s.err, err)
		s.mu.Unlock()
		return err
	}
	// The file now holds the batch: forget the users of the batch that no
	// later write changed.
	// A reader opened before this commit does not see it: then the users
	// stay until the last reader closes.
	s.mu.Lock()
	for _, w := range batch {
		if w.bucket != bucketUsers {
			continue
		}
		if r, ok := s.users[w.key]; ok && (w.value == nil && r == nil || w.value != nil && w.value == any(r)) {
			if s.committed == nil {
				s.committed = map[string]*UserRecord{}
			}
			s.committed[w.key] = r
		}
	}
	s.nusers += nusers
	s.dropCommitted()
	s.mu.Unlock()
	return nil
}

// dropCommitted forgets the committed users that no later write changed,
// once no reader is open; s.mu is held.
func (s *State) dropCommitted() {
	if s.readers > 0 {
		return
	}
	for k, c := range s.committed {
		if r, ok := s.users[k]; ok && r == c {
			delete(s.users, k)
		}
	}
	clear(s.committed)
}

// beginRead opens a read transaction that walks or reads many users; it
// is counted (see readers) before it begins, so that no commit that it
// cannot see drops the users it needs. endRead closes it.
func (s *State) beginRead() (*bbolt.Tx, error) {
	s.mu.Lock()
	s.readers++
	s.mu.Unlock()
	tx, err := s.db.Begin(false)
	if err != nil {
		s.endRead(nil)
		return nil, fmt.Errorf("reading sync state %s: %w", s.path, err)
	}
	return tx, nil
}

func (s *State) endRead(tx *bbolt.Tx) {
	if tx != nil {
		_ = tx.Rollback()
	}
	s.mu.Lock()
	s.readers--
	s.dropCommitted()
	s.mu.Unlock()
}

// putCycle records c at once and drops the oldest cycles beyond
// keepCycles.
func (s *State) putCycle(c *Cycle) error {
	if err := s.Flush(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCycles))
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(c.ID), v); err != nil {
			return err
		}
		var keys [][]byte
		cur := b.Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			keys = append(keys, slices.Clone(k))
		}
		for _, k := range keys[:max(len(keys)-keepCycles, 0)] {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Cycles returns the recorded cycles, oldest first.
func (s *State) Cycles() ([]Cycle, error) {
	var out []Cycle
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketCycles)).ForEach(func(k, v []byte) error {
			var c Cycle
			if err := json.Unmarshal(v, &c); err != nil {
				return s.corrupt("cycle "+string(k), err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}
