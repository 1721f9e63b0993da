package scimtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// seedUsers adds n users named u000, u001, … in that order.
func seedUsers(srv *scimtest.Server, n int) {
	for i := range n {
		srv.AddUser(map[string]any{"userName": fmt.Sprintf("u%03d", i)})
	}
}

// page is one ListResponse, decoded.
type page struct {
	total, start, items int
	names               []string
}

func getPage(t *testing.T, c *client, query string) page {
	t.Helper()
	r := c.do("GET", "/Users"+query, nil).want(t, http.StatusOK)
	num := func(k string) int {
		n, err := r.body[k].(json.Number).Int64()
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return int(n)
	}
	return page{num("totalResults"), num("startIndex"), num("itemsPerPage"), userNames(r.body)}
}

// walk pages through all users the way a client that trusts the server
// does: the next startIndex is this one plus itemsPerPage.
func walk(t *testing.T, c *client, count int) (names []string, pages int) {
	t.Helper()
	for start := 1; pages < 20; pages++ {
		p := getPage(t, c, fmt.Sprintf("?startIndex=%d&count=%d", start, count))
		names = append(names, p.names...)
		if p.items == 0 || start+p.items > p.total {
			return names, pages + 1
		}
		start += p.items
	}
	t.Fatalf("no end after %d pages", pages)
	return nil, 0
}

func TestPaging(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	seedUsers(srv, 250)

	names, pages := walk(t, c, 100)
	if len(names) != 250 || pages != 3 {
		t.Fatalf("walked %d users in %d pages, want 250 in 3", len(names), pages)
	}
	for i, n := range names {
		if want := fmt.Sprintf("u%03d", i); n != want {
			t.Fatalf("user %d is %s, want %s (creation order)", i, n, want)
		}
	}

	tests := []struct {
		query string
		want  page
	}{
		{"", page{250, 1, 100, nil}},                           // default count 100
		{"?startIndex=201&count=100", page{250, 201, 50, nil}}, // the last page is short
		{"?startIndex=0&count=2", page{250, 1, 2, []string{"u000", "u001"}}},
		{"?startIndex=-5&count=1", page{250, 1, 1, []string{"u000"}}},
		{"?count=0", page{250, 1, 0, nil}},
		{"?count=-3", page{250, 1, 0, nil}},
		{"?startIndex=251", page{250, 251, 0, nil}},
		{"?count=1000", page{250, 1, 200, nil}}, // clamped to the default maximum
	}
	for _, tt := range tests {
		got := getPage(t, c, tt.query)
		if tt.want.names == nil {
			got.names = nil
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q: got %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestPagingFaults(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	seedUsers(srv, 250)

	t.Run("MaxCount", func(t *testing.T) {
		srv.SetOptions(scimtest.Options{MaxCount: 30})
		p := getPage(t, c, "?count=100")
		if p.items != 30 || len(p.names) != 30 {
			t.Errorf("itemsPerPage %d with %d resources, want 30", p.items, len(p.names))
		}
		if p := getPage(t, c, ""); p.items != 30 {
			t.Errorf("default count gives %d, want MaxCount 30", p.items)
		}
		// A client that follows itemsPerPage still gets everyone.
		if names, pages := walk(t, c, 100); len(names) != 250 || pages != 9 {
			t.Errorf("walked %d users in %d pages, want 250 in 9", len(names), pages)
		}
	})

	t.Run("MisreportItemsPerPage", func(t *testing.T) {
		srv.SetOptions(scimtest.Options{MaxCount: 30, MisreportItemsPerPage: true})
		p := getPage(t, c, "?count=100")
		if p.items != 100 || len(p.names) != 30 {
			t.Errorf("itemsPerPage %d with %d resources, want 100 with 30", p.items, len(p.names))
		}
		// A client that trusts itemsPerPage skips users.
		if names, _ := walk(t, c, 100); len(names) != 90 {
			t.Errorf("a trusting walk got %d users, want 90 of 250", len(names))
		}
		if p := getPage(t, c, "?startIndex=241&count=100"); p.items != 100 || len(p.names) != 10 {
			t.Errorf("last page: itemsPerPage %d with %d resources", p.items, len(p.names))
		}
	})

	t.Run("IgnoreStartIndex", func(t *testing.T) {
		srv.SetOptions(scimtest.Options{IgnoreStartIndex: true})
		p := getPage(t, c, "?startIndex=101&count=100")
		if p.start != 101 || p.names[0] != "u000" {
			t.Errorf("startIndex %d, first user %s: want 101 echoed and u000 served", p.start, p.names[0])
		}
		names, _ := walk(t, c, 100)
		seen := map[string]int{}
		for _, n := range names {
			seen[n]++
		}
		if len(seen) != 100 || seen["u000"] != 3 {
			t.Errorf("a walk saw %d distinct users, u000 %d times; want 100 and 3", len(seen), seen["u000"])
		}
	})
}
