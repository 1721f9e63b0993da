package provision

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The planner walks the state's users (to name the members it removes)
// while a reader of the same state is open. The walk must see the
// records not committed yet, in key order, and must not wait for a write
// transaction: bbolt cannot grow its file while a read transaction is
// open, so a flush there waited forever (orgctl scim sync hung when a
// user left a group).
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
	defer rd.close()
	done := make(chan []string, 1)
	go func() {
		var got []string
		err := st.eachUser(func(key string, _ *UserRecord) error { got = append(got, key); return nil })
		if err != nil {
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
		t.Fatal("eachUser did not return beside an open reader: a write transaction waits for it")
	}
}
