package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

const (
	uuid1 = "668e156b-f5d3-430e-9944-f1d4385d043e"
	uuid2 = "0f8fad5b-d9cb-469f-a165-70867728950e"
	uuid3 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
)

func open(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s
}

func code(domain, uuid string, created time.Time) Code {
	return Code{Domain: domain, Code: uuid, CreatedAt: created, ExpiresAt: created.Add(10 * 24 * time.Hour)}
}

func TestOpenCreatesDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "orgctl")
	s := open(t, dir)
	if want := filepath.Join(dir, FileName); s.Path() != want {
		t.Errorf("Path = %q, want %q", s.Path(), want)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, s.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask can only remove bits.
		if got := fi.Mode(); got&^want != 0 {
			t.Errorf("%s: mode %v, want at most %v", path, got, want)
		}
	}
	// Opening again works and keeps the data.
	if err := s.PutCode(t.Context(), code("main.com", uuid1, t0), false); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, dir).Code(t.Context(), "main.com"); err != nil {
		t.Errorf("Code after reopening: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("no dir", func(t *testing.T) {
		if _, err := Open(t.Context(), ""); err == nil {
			t.Error("Open(\"\") succeeded")
		}
	})
	t.Run("dir is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(t.Context(), f)
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("Open(file) = %v, want an error naming %s", err, f)
		}
	})
	t.Run("state file is a directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := Open(t.Context(), dir)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Open = %v, want an error naming %s", err, path)
		}
	})
}

func TestCodeRoundTrip(t *testing.T) {
	s := open(t, t.TempDir())
	revoked := t0.Add(time.Hour)
	want := Code{
		Domain:     "main.com",
		Code:       uuid1,
		Subdomains: []string{"www.main.com", "eu.shop.main.com"},
		CreatedAt:  t0,
		ExpiresAt:  t0.Add(240 * time.Hour),
		RevokedAt:  &revoked,
		History:    []Check{{At: t0, Method: "dns", Name: "main.com.", Status: "not_found"}},
	}
	if err := s.PutCode(t.Context(), want, false); err != nil {
		t.Fatalf("PutCode: %v", err)
	}
	got, err := s.Code(t.Context(), "main.com")
	if err != nil {
		t.Fatalf("Code: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Code = %+v\nwant %+v", got, want)
	}
	// Keys are lower-cased and trailing dots removed, defensively.
	for _, d := range []string{"MAIN.com", "main.com.", " main.com "} {
		if _, err := s.Code(t.Context(), d); err != nil {
			t.Errorf("Code(%q): %v", d, err)
		}
	}
}

func TestPutCodeCanonicalizes(t *testing.T) {
	s := open(t, t.TempDir())
	c := code("Main.COM.", "logmein-verification-code="+strings.ToUpper(uuid1), t0)
	if err := s.PutCode(t.Context(), c, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.Code(t.Context(), "main.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.Domain != "main.com" || got.Code != uuid1 {
		t.Errorf("stored Domain, Code = %q, %q; want %q, %q", got.Domain, got.Code, "main.com", uuid1)
	}
}

func TestPutCodeErrors(t *testing.T) {
	s := open(t, t.TempDir())
	for _, c := range []Code{
		{Domain: "", Code: uuid1},
		{Domain: " . ", Code: uuid1},
		{Domain: strings.Repeat("a", bbolt.MaxKeySize+1), Code: uuid1},
		{Domain: "main.com", Code: ""},
		{Domain: "main.com", Code: "not-a-uuid"},
	} {
		if err := s.PutCode(t.Context(), c, false); err == nil {
			t.Errorf("PutCode(%+v) succeeded", c)
		}
	}
	codes, err := s.Codes(t.Context())
	if err != nil || len(codes) != 0 {
		t.Errorf("Codes = %v, %v; want none stored", codes, err)
	}
}

func TestCodeNotFound(t *testing.T) {
	s := open(t, t.TempDir())
	_, err := s.Code(t.Context(), "main.com")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Code = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "main.com") {
		t.Errorf("error %q does not name the domain", err)
	}
}

func TestCodesSorted(t *testing.T) {
	s := open(t, t.TempDir())
	for _, d := range []string{"zeta.org", "main.com", "alpha.net", "xn--bcher-kva.example", "b.main.com"} {
		if err := s.PutCode(t.Context(), code(d, uuid1, t0), false); err != nil {
			t.Fatal(err)
		}
	}
	codes, err := s.Codes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range codes {
		got = append(got, c.Domain)
	}
	want := []string{"alpha.net", "b.main.com", "main.com", "xn--bcher-kva.example", "zeta.org"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Codes domains = %q, want %q", got, want)
	}
}

func TestCodesEmpty(t *testing.T) {
	codes, err := open(t, t.TempDir()).Codes(t.Context())
	if err != nil || codes != nil {
		t.Errorf("Codes = %v, %v; want nil, nil", codes, err)
	}
}

func TestPutCodeExistsAndReplace(t *testing.T) {
	s := open(t, t.TempDir())
	first := code("main.com", uuid1, t0)
	first.Subdomains = []string{"www.main.com"}
	if err := s.PutCode(t.Context(), first, false); err != nil {
		t.Fatal(err)
	}
	check := Check{At: t0.Add(time.Minute), Method: "dns", Name: "main.com.", Status: "verified"}
	if err := s.RecordCheck(t.Context(), "main.com", check); err != nil {
		t.Fatal(err)
	}

	second := code("main.com", uuid2, t0.Add(time.Hour))
	err := s.PutCode(t.Context(), second, false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("PutCode over an active code = %v, want ErrExists", err)
	}
	if !strings.Contains(err.Error(), "main.com") || !strings.Contains(err.Error(), uuid1) {
		t.Errorf("error %q should name the domain and the stored code", err)
	}
	if got, _ := s.Code(t.Context(), "main.com"); got.Code != uuid1 {
		t.Errorf("after ErrExists the stored code is %s, want %s", got.Code, uuid1)
	}

	if err := s.PutCode(t.Context(), second, true); err != nil {
		t.Fatalf("PutCode(replace): %v", err)
	}
	got, err := s.Code(t.Context(), "main.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != uuid2 {
		t.Errorf("Code = %s, want %s", got.Code, uuid2)
	}
	if want := []Check{check}; !reflect.DeepEqual(got.History, want) {
		t.Errorf("History = %+v, want %+v (kept)", got.History, want)
	}
	wantPrev := []Code{{Domain: "main.com", Code: uuid1, Subdomains: []string{"www.main.com"}, CreatedAt: t0, ExpiresAt: first.ExpiresAt}}
	if !reflect.DeepEqual(got.Previous, wantPrev) {
		t.Errorf("Previous = %+v\nwant %+v", got.Previous, wantPrev)
	}

	// A third code: Previous is newest first and entries have no Previous.
	if err := s.PutCode(t.Context(), code("main.com", uuid3, t0.Add(2*time.Hour)), true); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Code(t.Context(), "main.com")
	var prev []string
	for _, p := range got.Previous {
		prev = append(prev, p.Code)
		if p.Previous != nil || p.History != nil {
			t.Errorf("Previous entry %s has Previous %v, History %v; want none", p.Code, p.Previous, p.History)
		}
	}
	if want := []string{uuid2, uuid1}; !reflect.DeepEqual(prev, want) {
		t.Errorf("Previous codes = %q, want %q", prev, want)
	}
	if len(got.History) != 1 {
		t.Errorf("History has %d checks after two replacements, want 1", len(got.History))
	}
}

func TestPutCodeOverInactive(t *testing.T) {
	for _, tt := range []struct {
		name string
		old  func() Code
	}{
		{"expired", func() Code { return code("main.com", uuid1, t0.Add(-30*24*time.Hour)) }},
		{"revoked", func() Code {
			c := code("main.com", uuid1, t0)
			at := t0
			c.RevokedAt = &at
			return c
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			if err := s.PutCode(t.Context(), tt.old(), false); err != nil {
				t.Fatal(err)
			}
			if err := s.PutCode(t.Context(), code("main.com", uuid2, t0.Add(time.Hour)), false); err != nil {
				t.Fatalf("PutCode over an inactive code: %v", err)
			}
			got, _ := s.Code(t.Context(), "main.com")
			if got.Code != uuid2 || len(got.Previous) != 1 || got.Previous[0].Code != uuid1 {
				t.Errorf("stored %s with Previous %+v; want %s with %s before it", got.Code, got.Previous, uuid2, uuid1)
			}
		})
	}
}

func TestPreviousCapped(t *testing.T) {
	s := open(t, t.TempDir())
	var last string
	for i := 0; i < MaxPrevious+5; i++ {
		last = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if err := s.PutCode(t.Context(), code("main.com", last, t0.Add(time.Duration(i)*time.Hour)), true); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Code(t.Context(), "main.com")
	if got.Code != last {
		t.Errorf("Code = %s, want %s", got.Code, last)
	}
	if len(got.Previous) != MaxPrevious {
		t.Fatalf("len(Previous) = %d, want %d", len(got.Previous), MaxPrevious)
	}
	n := MaxPrevious + 5 - 2 // the newest replaced code
	if want := fmt.Sprintf("00000000-0000-4000-8000-%012d", n); got.Previous[0].Code != want {
		t.Errorf("Previous[0] = %s, want %s", got.Previous[0].Code, want)
	}
}

func TestRevoke(t *testing.T) {
	s := open(t, t.TempDir())
	if err := s.Revoke(t.Context(), "main.com", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke of a missing code = %v, want ErrNotFound", err)
	}
	if err := s.PutCode(t.Context(), code("main.com", uuid1, t0), false); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	if err := s.Revoke(t.Context(), "Main.COM", at); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if err := s.Revoke(t.Context(), "main.com", at.Add(time.Hour)); err != nil {
		t.Fatalf("Revoke again: %v", err)
	}
	got, _ := s.Code(t.Context(), "main.com")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
		t.Errorf("RevokedAt = %v, want %v (the first revocation)", got.RevokedAt, at)
	}
	if got.Active(t0) {
		t.Error("a revoked code is active")
	}
	// A revoked code can be replaced without replace.
	if err := s.PutCode(t.Context(), code("main.com", uuid2, t0.Add(2*time.Hour)), false); err != nil {
		t.Errorf("PutCode after Revoke: %v", err)
	}
}

func TestExpiredActive(t *testing.T) {
	revoked := t0
	tests := []struct {
		name            string
		c               Code
		now             time.Time
		expired, active bool
	}{
		{"fresh", code("a.com", uuid1, t0), t0, false, true},
		{"just before expiry", code("a.com", uuid1, t0), t0.Add(240*time.Hour - time.Nanosecond), false, true},
		{"at expiry", code("a.com", uuid1, t0), t0.Add(240 * time.Hour), true, false},
		{"after expiry", code("a.com", uuid1, t0), t0.Add(241 * time.Hour), true, false},
		{"no expiry", Code{Domain: "a.com", Code: uuid1, CreatedAt: t0}, t0.Add(1e6 * time.Hour), false, true},
		{"revoked", Code{Domain: "a.com", Code: uuid1, CreatedAt: t0, RevokedAt: &revoked}, t0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Expired(tt.now); got != tt.expired {
				t.Errorf("Expired = %v, want %v", got, tt.expired)
			}
			if got := tt.c.Active(tt.now); got != tt.active {
				t.Errorf("Active = %v, want %v", got, tt.active)
			}
		})
	}
}

func TestChecksAndLastVerified(t *testing.T) {
	s := open(t, t.TempDir())
	if h, err := s.Checks(t.Context(), "main.com"); err != nil || h != nil {
		t.Errorf("Checks of an unknown domain = %v, %v; want nil, nil", h, err)
	}
	if _, ok, err := s.LastVerified(t.Context(), "main.com"); ok || err != nil {
		t.Errorf("LastVerified of an unknown domain = %v, %v; want false, nil", ok, err)
	}

	// Verified with --code: no stored code.
	c1 := Check{At: t0, Method: "dns", Name: "main.com.", Status: "not_found"}
	c2 := Check{At: t0.Add(time.Minute), Method: "http", Name: "http://main.com/logmein-verification-code.txt", Status: "verified"}
	for _, c := range []Check{c1, c2} {
		if err := s.RecordCheck(t.Context(), "main.com", c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Code(t.Context(), "main.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordCheck created a code: %v", err)
	}
	// Then a code is stored and checked.
	if err := s.PutCode(t.Context(), code("main.com", uuid1, t0.Add(2*time.Minute)), false); err != nil {
		t.Fatal(err)
	}
	c3 := Check{At: t0.Add(3 * time.Minute), Method: "dns", Name: "main.com.", Status: "verified"}
	c4 := Check{At: t0.Add(4 * time.Minute), Method: "dns", Name: "main.com.", Status: "mismatch"}
	for _, c := range []Check{c3, c4} {
		if err := s.RecordCheck(t.Context(), "main.com", c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Checks(t.Context(), "MAIN.COM")
	if err != nil {
		t.Fatal(err)
	}
	if want := []Check{c1, c2, c3, c4}; !reflect.DeepEqual(got, want) {
		t.Errorf("Checks = %+v\nwant %+v", got, want)
	}
	last, ok, err := s.LastVerified(t.Context(), "main.com")
	if err != nil || !ok || !reflect.DeepEqual(last, c3) {
		t.Errorf("LastVerified = %+v, %v, %v; want %+v", last, ok, err, c3)
	}
	// Other domains are unaffected.
	if h, _ := s.Checks(t.Context(), "other.org"); h != nil {
		t.Errorf("Checks(other.org) = %+v", h)
	}
}

func TestRecordCheckSetsTime(t *testing.T) {
	s := open(t, t.TempDir())
	before := time.Now()
	if err := s.RecordCheck(t.Context(), "main.com", Check{Method: "dns", Status: "verified"}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Checks(t.Context(), "main.com")
	if len(h) != 1 || h[0].At.Before(before.Add(-time.Second)) {
		t.Errorf("Checks = %+v, want one check timed now", h)
	}
}

func TestHistoryCapped(t *testing.T) {
	for _, withCode := range []bool{false, true} {
		t.Run(fmt.Sprintf("code=%v", withCode), func(t *testing.T) {
			s := open(t, t.TempDir())
			if withCode {
				if err := s.PutCode(t.Context(), code("main.com", uuid1, t0), false); err != nil {
					t.Fatal(err)
				}
			}
			const n = MaxHistory + 30
			for i := 0; i < n; i++ {
				c := Check{At: t0.Add(time.Duration(i) * time.Second), Method: "dns", Name: strconv.Itoa(i), Status: "not_found"}
				if err := s.RecordCheck(t.Context(), "main.com", c); err != nil {
					t.Fatal(err)
				}
			}
			h, err := s.Checks(t.Context(), "main.com")
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != MaxHistory {
				t.Fatalf("len(Checks) = %d, want %d", len(h), MaxHistory)
			}
			if h[0].Name != strconv.Itoa(n-MaxHistory) || h[len(h)-1].Name != strconv.Itoa(n-1) {
				t.Errorf("kept checks %s..%s, want the newest %d..%d", h[0].Name, h[len(h)-1].Name, n-MaxHistory, n-1)
			}
		})
	}
}

// TestConcurrentGoroutines has 8 goroutines, each with its own Store on one
// directory, record 25 checks each; none may be lost.
func TestConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	setup := open(t, dir)
	// Half the domains have a code, so both places history is kept are used.
	for i := 0; i < 2; i++ {
		if err := setup.PutCode(t.Context(), code(fmt.Sprintf("d%d.example", i), uuid1, t0), false); err != nil {
			t.Fatal(err)
		}
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(t.Context(), dir, WithLockTimeout(time.Minute))
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < each; i++ {
				c := Check{At: t0.Add(time.Duration(i) * time.Second), Method: "dns", Name: fmt.Sprintf("w%d-%d", w, i), Status: "verified"}
				if err := s.RecordCheck(t.Context(), fmt.Sprintf("d%d.example", w%4), c); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for d := 0; d < 4; d++ {
		h, err := setup.Checks(t.Context(), fmt.Sprintf("d%d.example", d))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range h {
			if seen[c.Name] {
				t.Errorf("check %s recorded twice", c.Name)
			}
			seen[c.Name] = true
		}
	}
	if len(seen) != workers*each {
		t.Errorf("%d checks recorded, want %d", len(seen), workers*each)
	}
}

const (
	helperDirEnv = "ORGCTL_STORE_TEST_HELPER_DIR"
	helperIDEnv  = "ORGCTL_STORE_TEST_HELPER_ID"
	perProcess   = 25
)

// TestHelperProcess is not a test: TestConcurrentProcesses runs the test
// binary with it as a child process that appends checks.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper for TestConcurrentProcesses")
	}
	id := os.Getenv(helperIDEnv)
	s, err := Open(t.Context(), dir, WithLockTimeout(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < perProcess; i++ {
		c := Check{At: time.Now(), Method: "http", Name: fmt.Sprintf("p%s-%d", id, i), Status: "verified"}
		if err := s.RecordCheck(t.Context(), "p"+id+".example", c); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordCheck(t.Context(), "shared.example", c); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentProcesses runs 4 processes that append to one state
// directory at once; no write may be lost.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperIDEnv+"="+strconv.Itoa(i))
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
	s := open(t, dir)
	shared, err := s.Checks(t.Context(), "shared.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(shared) != procs*perProcess {
		t.Errorf("shared.example has %d checks, want %d", len(shared), procs*perProcess)
	}
	for i := 0; i < procs; i++ {
		h, err := s.Checks(t.Context(), fmt.Sprintf("p%d.example", i))
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != perProcess {
			t.Errorf("p%d.example has %d checks, want %d", i, len(h), perProcess)
		}
	}
}

func TestLockTimeout(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, WithLockTimeout(100*time.Millisecond))
	// Another holder of the lock, as another orgctl process would be.
	db, err := bbolt.Open(s.Path(), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	for name, op := range map[string]func() error{
		"RecordCheck": func() error { return s.RecordCheck(t.Context(), "main.com", Check{Status: "verified"}) },
		"Code":        func() error { _, err := s.Code(t.Context(), "main.com"); return err },
		"Open":        func() error { _, err := Open(t.Context(), dir, WithLockTimeout(100*time.Millisecond)); return err },
	} {
		start := time.Now()
		err := op()
		if !errors.Is(err, ErrLocked) {
			t.Errorf("%s with the lock held = %v, want ErrLocked", name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "state is locked by another orgctl process") || !strings.Contains(msg, s.Path()) {
			t.Errorf("%s error = %q, want it to say the state is locked and name %s", name, msg, s.Path())
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v to give up", name, d)
		}
	}

	// Released, the lock is taken again.
	db.Close()
	if err := s.RecordCheck(t.Context(), "main.com", Check{Status: "verified"}); err != nil {
		t.Errorf("RecordCheck after the lock was released: %v", err)
	}
}

// TestLockWaitEndsWithContext: the wait for a lock held by another process
// ends when the operation's context does, well before the lock timeout,
// with ErrLocked rather than the context's error; a context already ended
// still gets one try, so a free file is used.
func TestLockWaitEndsWithContext(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir) // DefaultLockTimeout: 10 s
	db, err := bbolt.Open(s.Path(), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ops := map[string]func(context.Context) error{
		"Code":         func(ctx context.Context) error { _, err := s.Code(ctx, "main.com"); return err },
		"Codes":        func(ctx context.Context) error { _, err := s.Codes(ctx); return err },
		"RecordChecks": func(ctx context.Context) error { return s.RecordChecks(ctx, []DomainCheck{{Domain: "main.com"}}) },
		"Open":         func(ctx context.Context) error { _, err := Open(ctx, dir); return err },
	}
	for name, op := range ops {
		for _, end := range []string{"deadline", "cancel"} {
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			if end == "cancel" {
				ctx, cancel = context.WithCancel(t.Context())
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			start := time.Now()
			err := op(ctx)
			took := time.Since(start)
			cancel()
			if !errors.Is(err, ErrLocked) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				t.Errorf("%s, lock held, context ended by %s: %v; want ErrLocked, and not the context's error", name, end, err)
				continue
			}
			if !strings.Contains(err.Error(), "locked by another orgctl") || !strings.Contains(err.Error(), s.Path()) {
				t.Errorf("%s: error %q does not say the state is locked, or name the file", name, err)
			}
			if end == "deadline" && !strings.Contains(err.Error(), "time allowed ran out") {
				t.Errorf("%s: error %q does not say the time allowed ran out", name, err)
			}
			if took >= DefaultLockTimeout/2 {
				t.Errorf("%s, context ended by %s after 200ms: gave up after %s, as if by the lock timeout", name, end, took)
			}
		}
	}

	ended, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Code(ended, "main.com"); !errors.Is(err, ErrLocked) {
		t.Errorf("Code with an ended context, lock held: %v, want ErrLocked", err)
	}
	db.Close()
	for name, op := range ops {
		if err := op(ended); err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s with an ended context, lock free: %v, want it done", name, err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.PutCode(t.Context(), code("main.com", uuid1, t0), false); err != nil {
		t.Fatal(err)
	}
	setSchema(t, s.Path(), "2")
	before := readFile(t, s.Path())

	if _, err := Open(t.Context(), dir); !errors.Is(err, ErrSchema) {
		t.Errorf("Open = %v, want ErrSchema", err)
	} else if !strings.Contains(err.Error(), "schema version 2") || !strings.Contains(err.Error(), s.Path()) {
		t.Errorf("Open error = %q, want it to give the version and the path", err)
	}
	// A Store opened before the upgrade refuses too, for reading and writing.
	if _, err := s.Code(t.Context(), "main.com"); !errors.Is(err, ErrSchema) {
		t.Errorf("Code = %v, want ErrSchema", err)
	}
	if err := s.RecordCheck(t.Context(), "main.com", Check{Status: "verified"}); !errors.Is(err, ErrSchema) {
		t.Errorf("RecordCheck = %v, want ErrSchema", err)
	}
	if !bytes.Equal(readFile(t, s.Path()), before) {
		t.Error("the file of a newer schema was modified")
	}
}

func setSchema(t *testing.T, path, v string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keySchema), []byte(v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validDB returns the bytes of a state file with some content.
func validDB(t *testing.T, codes int) []byte {
	t.Helper()
	s := open(t, t.TempDir())
	for i := 0; i < codes; i++ {
		c := code(fmt.Sprintf("domain%04d.example", i), uuid1, t0)
		c.Subdomains = []string{strings.Repeat("x", 50) + ".example"}
		if err := s.PutCode(t.Context(), c, false); err != nil {
			t.Fatal(err)
		}
	}
	return readFile(t, s.Path())
}

// dataSize returns the size that the meta page of a state file gives.
func dataSize(t *testing.T, data []byte) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int64
	_ = db.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })
	return int(size)
}

// TestOneMetaPageDamaged checks that bbolt's second meta page saves a file
// whose first is damaged, as after a crash while writing it.
func TestOneMetaPageDamaged(t *testing.T) {
	valid := validDB(t, 10)
	page := os.Getpagesize()
	for _, off := range []int{33, page + 33} {
		dir := t.TempDir()
		data := bytes.Clone(valid)
		data[off] ^= 0xff
		if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := open(t, dir)
		codes, err := s.Codes(t.Context())
		if err != nil || len(codes) == 0 {
			t.Errorf("byte %d damaged: Codes = %d codes, %v; want the codes of a committed state", off, len(codes), err)
		}
	}
}

func TestDamagedFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	valid := validDB(t, 300)
	page := os.Getpagesize()
	if len(valid) < 16*page {
		t.Fatalf("test database is only %d bytes", len(valid))
	}
	garbled := func(seed uint64) []byte {
		b := bytes.Clone(valid)
		r := rand.New(rand.NewPCG(seed, seed))
		for i := 2 * page; i < len(b); i++ {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	size := dataSize(t, valid)
	flipped := bytes.Clone(valid)
	flipped[33] ^= 0xff // the root bucket's page, in meta page 0
	flipped[page+33] ^= 0xff
	foreign := func() []byte { // a bbolt file of another program
		path := filepath.Join(t.TempDir(), "other.db")
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucket([]byte("widgets"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		return readFile(t, path)
	}
	badSchema := func(v string) []byte {
		dir := t.TempDir()
		s := open(t, dir)
		setSchema(t, s.Path(), v)
		return readFile(t, s.Path())
	}
	badJSON := func() []byte {
		dir := t.TempDir()
		s := open(t, dir)
		db, err := bbolt.Open(s.Path(), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte(bucketCodes)).Put([]byte("main.com"), []byte(`{"domain":`))
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		return readFile(t, s.Path())
	}

	tests := []struct {
		name string
		data []byte
	}{
		{"random bytes", random(64 << 10)},
		{"a few random bytes", random(100)},
		{"one page of random bytes", random(page)},
		{"text", []byte("domain,code\nmain.com," + uuid1 + "\n")},
		{"zeros", make([]byte, 32<<10)},
		{"truncated to half", valid[:len(valid)/2]},
		{"truncated to the meta pages", valid[:2*page]},
		{"truncated to 3 pages", valid[:3*page]},
		{"truncated by one page", valid[:size-page]},
		{"truncated by one byte", valid[:size-1]},
		{"truncated inside meta page 1", valid[:page+page/2]},
		{"meta pages damaged", flipped},
		{"data pages garbled 1", garbled(1)},
		{"data pages garbled 2", garbled(2)},
		{"data pages garbled 3", garbled(3)},
		{"another program's bbolt file", foreign()},
		{"bad schema version", badSchema("one")},
		{"schema version 0", badSchema("0")},
		{"record not JSON", badJSON()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(t.Context(), dir, WithLockTimeout(time.Second))
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("Open error = %q, want it to name %s", err, path)
			}
			t.Logf("Open: %v", err)
			if !bytes.Equal(readFile(t, path), tt.data) {
				t.Error("the damaged file was modified")
			}
		})
	}
}

// TestDamagedAfterOpen damages the file under an open Store: operations fail
// with ErrCorrupt, leave the file alone, and do not leave it locked.
func TestDamagedAfterOpen(t *testing.T) {
	valid := validDB(t, 300)
	page := os.Getpagesize()
	for _, size := range []int{2 * page, 3 * page, len(valid) / 2, dataSize(t, valid) - page} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, WithLockTimeout(time.Second))
			if err := os.WriteFile(s.Path(), valid[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			ops := map[string]func() error{
				"RecordCheck": func() error { return s.RecordCheck(t.Context(), "main.com", Check{Status: "verified"}) },
				"PutCode":     func() error { return s.PutCode(t.Context(), code("new.example", uuid2, t0), false) },
				"Revoke":      func() error { return s.Revoke(t.Context(), "domain0001.example", t0) },
				"Code":        func() error { _, err := s.Code(t.Context(), "domain0001.example"); return err },
				"Codes":       func() error { _, err := s.Codes(t.Context()); return err },
				"Checks":      func() error { _, err := s.Checks(t.Context(), "domain0001.example"); return err },
			}
			for name, op := range ops {
				err := op()
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.Path()) {
					t.Errorf("%s = %v, want ErrCorrupt naming the file", name, err)
				}
			}
			if !bytes.Equal(readFile(t, s.Path()), valid[:size]) {
				t.Error("the damaged file was modified")
			}
			// The lock was released: another opener gets it at once.
			db, err := bbolt.Open(s.Path(), 0o600, &bbolt.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatalf("opening the file after the failures: %v", err)
			}
			db.Close()
		})
	}
}

func TestEmptyFileIsInitialized(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	if err := s.PutCode(t.Context(), code("main.com", uuid1, t0), false); err != nil {
		t.Fatalf("PutCode: %v", err)
	}
	if _, err := open(t, dir).Code(t.Context(), "main.com"); err != nil {
		t.Errorf("Code: %v", err)
	}
}

func TestFileRemovedAfterOpen(t *testing.T) {
	s := open(t, t.TempDir())
	if err := os.Remove(s.Path()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Code(t.Context(), "main.com"); err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("Code = %v, want an error that the file is missing", err)
	}
	// A write recreates it.
	if err := s.RecordCheck(t.Context(), "main.com", Check{Status: "verified"}); err != nil {
		t.Errorf("RecordCheck: %v", err)
	}
}

func TestRecordChecksBatch(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	if err := s.PutCode(t.Context(), Code{Domain: "a.test", Code: "668e156b-f5d3-430e-9944-f1d4385d043e", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}, false); err != nil {
		t.Fatal(err)
	}
	batch := []DomainCheck{
		{Domain: "a.test", Check: Check{At: at, Method: "dns", Name: "a.test", Status: "verified"}},
		{Domain: "b.test", Check: Check{At: at, Method: "dns", Name: "b.test", Status: "not_found"}},
		{Domain: "a.test", Check: Check{At: at.Add(time.Second), Method: "dns", Name: "www.a.test", Status: "not_found"}},
	}
	if err := s.RecordChecks(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Checks(t.Context(), "a.test")
	b, _ := s.Checks(t.Context(), "b.test")
	if len(a) != 2 || a[1].Name != "www.a.test" || len(b) != 1 || b[0].Status != "not_found" {
		t.Errorf("a %v, b %v", a, b)
	}
	if err := s.RecordChecks(t.Context(), []DomainCheck{{Domain: "ok.test"}, {Domain: " "}}); err == nil {
		t.Error("a batch with an empty domain was accepted")
	}
	if c, _ := s.Checks(t.Context(), "ok.test"); len(c) != 0 {
		t.Errorf("a rejected batch recorded %v", c)
	}
}

const crashEnv = "ORGCTL_STORE_TEST_CRASH_DIR"

// TestHelperCrashWriter writes codes and checks as fast as it can until
// it is killed.
func TestHelperCrashWriter(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper for TestCrashLeavesStateReadable")
	}
	s, err := Open(t.Context(), dir, WithLockTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for i := 0; ; i++ {
		d := fmt.Sprintf("d%d.example", i%50)
		c := Code{Domain: d, Code: "668e156b-f5d3-430e-9944-f1d4385d043e", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := s.PutCode(t.Context(), c, true); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordCheck(t.Context(), d, Check{At: at, Method: "dns", Name: d, Status: "verified"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashLeavesStateReadable kills a writing process (SIGKILL, as a
// crash or an OOM kill would) at various moments; every time, the state
// opens, every record decodes, and writing goes on.
func TestCrashLeavesStateReadable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	for round, after := range []time.Duration{30, 55, 80, 120, 170, 250} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.Success() {
			t.Fatalf("round %d: writer ended on its own (%v):\n%s", round, err, out.String())
		}
		s, err := Open(t.Context(), dir)
		if err != nil {
			t.Fatalf("round %d: after a kill at %v the state does not open: %v", round, after, err)
		}
		codes, err := s.Codes(t.Context())
		if err != nil {
			t.Fatalf("round %d: reading codes: %v", round, err)
		}
		for _, c := range codes {
			if _, err := s.Checks(t.Context(), c.Domain); err != nil {
				t.Fatalf("round %d: reading history of %s: %v", round, c.Domain, err)
			}
		}
		if err := s.RecordCheck(t.Context(), "after.example", Check{Method: "dns", Name: "after.example", Status: "verified"}); err != nil {
			t.Fatalf("round %d: writing after the crash: %v", round, err)
		}
	}
	s := open(t, dir)
	if h, _ := s.Checks(t.Context(), "after.example"); len(h) != 6 {
		t.Errorf("after.example has %d checks, want one per round (6)", len(h))
	}
	if codes, _ := s.Codes(t.Context()); len(codes) == 0 {
		t.Error("the writers wrote nothing before being killed: the test proved nothing")
	}
}

func TestUnusable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := t.TempDir()
	if err := os.WriteFile(filepath.Join(garbage, FileName), []byte("not bbolt"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want bool
	}{
		{"no directory given", "", true},
		{"a file as directory", file, true},
		{"below a file", filepath.Join(file, "sub"), true},
		{"a garbage file", garbage, true},
	}
	for _, tt := range tests {
		_, err := Open(t.Context(), tt.dir)
		if err == nil || Unusable(err) != tt.want {
			t.Errorf("%s: Open = %v, Unusable %v, want an error and %v", tt.name, err, err != nil && Unusable(err), tt.want)
		}
	}
	for _, err := range []error{ErrLocked, errors.New("disk on fire"), nil} {
		if Unusable(err) {
			t.Errorf("Unusable(%v) = true, want false", err)
		}
	}
}
