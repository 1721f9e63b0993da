package scimtest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// TestConcurrentWrites runs creates and member adds in parallel (run it
// with -race): every write lands, every id is unique.
func TestConcurrentWrites(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	gid := srv.AddGroup(map[string]any{"displayName": "all"})
	const workers, each = 8, 25

	var wg sync.WaitGroup
	ids := make(chan string, workers*each)
	for w := range workers {
		wg.Go(func() {
			c := newClient(t, srv)
			for i := range each {
				r, err := c.try("POST", "/Users", user(fmt.Sprintf("w%d-u%d", w, i)))
				if err != nil || r.status != http.StatusCreated {
					t.Errorf("create: %v %d %s", err, r.status, r.raw)
					return
				}
				id := r.body["id"].(string)
				ids <- id
				r, err = c.try("PATCH", "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": id}})))
				if err != nil || r.status != http.StatusNoContent {
					t.Errorf("add member: %v %d %s", err, r.status, r.raw)
					return
				}
				// Readers run alongside the writers.
				c.do("GET", "/Users?count=5", nil)
				_ = srv.Users()
				_ = srv.Requests()
			}
		})
	}
	// The same userName from many clients at once: exactly one wins.
	statuses := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			r, err := newClient(t, srv).try("POST", "/Users", user("contended"))
			if err != nil {
				t.Error(err)
				return
			}
			statuses <- r.status
		})
	}
	wg.Wait()
	close(ids)
	close(statuses)

	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("id %s given twice", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d users created, want %d", len(seen), workers*each)
	}
	if n := len(srv.Users()); n != workers*each+1 {
		t.Errorf("%d users stored, want %d", n, workers*each+1)
	}
	if n := len(srv.Groups()[0]["members"].([]any)); n != workers*each {
		t.Errorf("the group has %d members, want %d: member adds were lost", n, workers*each)
	}
	won := 0
	for s := range statuses {
		switch s {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("contended create: status %d", s)
		}
	}
	if won != 1 {
		t.Errorf("%d creates of the same userName succeeded, want 1", won)
	}
}
