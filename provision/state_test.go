package provision

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The planner walks the state's users (to name the members it removes)
// while it holds a reader of the state. The walk must see the records not
// committed yet, in key order, and must neither flush nor open a
// transaction of its own: bbolt cannot grow its file while a reader is
// open, and lets no new reader in while a commit waits to, so either
// waited forever (orgctl scim sync hung when a user left a group).
func TestEachUserBesideAReader(t *testing.T) {
	st := planState(t, nil, nil)
	var want []string
	for i := range 3000 {
		u := &UserRecord{UserName: fmt.Sprintf("user%05d@main.test", i), ID: fmt.Sprintf("id-%05d", i), Hash: strings.Repeat("ab", 64)}
		if err := st.putUser(u.UserName, u); err != nil {
			t.Fatal(err)
		}
		want = append(want, strings.ToLower(u.UserName))
		if i == 999 {
			if err := st.Flush(); err != nil { // some committed, the rest pending
				t.Fatal(err)
			}
		}
	}
	if err := st.putUser("user00005@main.test", nil); err != nil { // a pending removal
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(k string) bool { return k == "user00005@main.test" })

	rd, err := st.userReader()
	if err != nil {
		t.Fatal(err)
	}
	// The background committer may start a commit now: it must grow the
	// file, so it waits for rd to close, and bbolt lets no new reader in
	// meanwhile. The walk must not need one.
	flushed := make(chan error, 1)
	go func() { flushed <- st.Flush() }()
	time.Sleep(50 * time.Millisecond) // let the commit start waiting; a later start is the easy case
	done := make(chan []string, 1)
	go func() {
		var got []string
		if err := rd.each(func(key string, _ *UserRecord) error { got = append(got, key); return nil }); err != nil {
			t.Error(err)
		}
		done <- got
	}()
	select {
	case got := <-done:
		if !slices.Equal(got, want) {
			t.Errorf("walked %d records (first %q), want %d in key order", len(got), got[:min(3, len(got))], len(want))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the walk did not return beside a waiting commit: it opened a transaction of its own")
	}
	rd.close()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	// Committed now, and walked the same without a reader.
	var again []string
	if err := st.eachUser(func(key string, _ *UserRecord) error { again = append(again, key); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, want) {
		t.Errorf("after the commit: walked %d records, want %d", len(again), len(want))
	}
	// With no reader left, the committed records leave memory.
	st.mu.Lock()
	n := len(st.users)
	st.mu.Unlock()
	if n != 0 {
		t.Errorf("%d committed user records still held in memory, want 0", n)
	}
}
