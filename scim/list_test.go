package scim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// pager serves n users (ids u0001…) as pages, misbehaving as told.
type pager struct {
	n             int
	clamp         int  // largest count served; 0: as asked
	ignoreStart   bool // every page starts at the first user
	ignoreCount   bool // every page holds all users from the start index
	itemsPerPage  int  // reported instead of the truth, when set
	totalResults  int  // reported instead of n, when set (-1: left out)
	endless       bool // every page holds new users and no total
	sawCounts     []int
	sawStartIndex []int
}

func (p *pager) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startIndex"))
	count, _ := strconv.Atoi(q.Get("count"))
	p.sawCounts, p.sawStartIndex = append(p.sawCounts, count), append(p.sawStartIndex, start)
	if p.clamp > 0 {
		count = min(count, p.clamp)
	}
	if p.ignoreStart {
		start = 1
	}
	if p.ignoreCount {
		count = p.n
	}
	var res []string
	for i := start; i < start+count && (i <= p.n || p.endless); i++ {
		res = append(res, fmt.Sprintf(`{"id":"u%04d","userName":"user%d@main.com"}`, i, i))
	}
	total := fmt.Sprintf(`"totalResults":%d,`, p.n)
	switch {
	case p.endless || p.totalResults < 0:
		total = ""
	case p.totalResults > 0:
		total = fmt.Sprintf(`"totalResults":"%d",`, p.totalResults) // a string, as some servers send
	}
	items := len(res)
	if p.itemsPerPage > 0 {
		items = p.itemsPerPage
	}
	reply(w, 200, fmt.Sprintf(`{"schemas":["%s"],%s"itemsPerPage":%d,"startIndex":%d,"Resources":[%s]}`,
		SchemaListResponse, total, items, start, strings.Join(res, ",")))
}

func TestListPagination(t *testing.T) {
	tests := []struct {
		name     string
		p        pager
		cfg      Config
		requests int
		err      string
	}{
		{name: "compliant", p: pager{n: 250}, requests: 3},
		{name: "exact pages", p: pager{n: 200}, requests: 2},
		{name: "empty", p: pager{n: 0}, requests: 1},
		{name: "clamps count", p: pager{n: 250, clamp: 37}, requests: 7},
		{name: "misreports itemsPerPage", p: pager{n: 250, clamp: 50, itemsPerPage: 100}, requests: 5},
		{name: "no totalResults: stops on an empty page", p: pager{n: 250, totalResults: -1}, requests: 4},
		{name: "totalResults too high", p: pager{n: 250, totalResults: 300}, requests: 4},
		{name: "ignores startIndex and count: one page of all", p: pager{n: 250, ignoreStart: true, ignoreCount: true}, requests: 1},
		{name: "ignores startIndex", p: pager{n: 250, ignoreStart: true}, requests: 2,
			err: "scim: incomplete list: GET /scim/v2/Users: the page at startIndex=101 holds only users already read: the server ignores startIndex (100 read, totalResults 250)"},
		{name: "ignores startIndex, no total", p: pager{n: 250, ignoreStart: true, totalResults: -1}, requests: 2,
			err: "scim: incomplete list: GET /scim/v2/Users: the page at startIndex=101 holds only users already read: the server ignores startIndex (100 read, totalResults 0)"},
		{name: "endless", p: pager{endless: true}, cfg: Config{MaxPages: 5}, requests: 5,
			err: "scim: incomplete list: GET /scim/v2/Users: no end after 5 pages (500 users read, totalResults 0); raise MaxPages"},
		{name: "page size", p: pager{n: 250}, cfg: Config{PageSize: 120}, requests: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			s := newServer(t, p.serve)
			c, _ := newClient(t, s, tt.cfg)
			users, err := c.ListUsers(context.Background(), ListOptions{})
			if n := len(s.requests()); n != tt.requests {
				t.Errorf("%d requests (startIndex %v), want %d", n, p.sawStartIndex, tt.requests)
			}
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrPagination) || users != nil {
					t.Errorf("got %d users, error %v\nwant error %s", len(users), err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != p.n {
				t.Fatalf("%d users, want %d", len(users), p.n)
			}
			for i, u := range users {
				if want := fmt.Sprintf("u%04d", i+1); u.ID != want {
					t.Fatalf("user %d is %s, want %s", i, u.ID, want)
				}
			}
			want := cmp.Or(tt.cfg.PageSize, DefaultPageSize)
			for _, c := range p.sawCounts {
				if c != want {
					t.Errorf("count=%d asked, want %d", c, want)
				}
			}
		})
	}
}

func TestListQueryAndMaxResults(t *testing.T) {
	p := &pager{n: 120}
	s := newServer(t, p.serve)
	s.spc = strings.Replace(spcJSON, `"maxResults":200`, `"maxResults":"50"`, 1)
	c, _ := newClient(t, s, Config{})
	groups, err := c.ListGroups(context.Background(), ListOptions{Filter: Eq("displayName", "Eng"), ExcludedAttributes: []string{"members"}})
	if err != nil || len(groups) != 120 {
		t.Fatalf("%d groups, %v", len(groups), err)
	}
	r := s.requests()[1]
	if want := "count=50&excludedAttributes=members&filter=displayName%20eq%20%22Eng%22&startIndex=51"; r.RawQuery != want || r.Path != "/Groups" {
		t.Errorf("%s?%s\nwant /Groups?%s", r.Path, r.RawQuery, want)
	}
}
