package scimtest_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// faults lists the Fault of each logged request.
func faults(srv *scimtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Fault)
	}
	return out
}

// TestResetAfterApplyEvery: the request is carried out, and its answer is
// lost; a client that creates again blindly makes a second group.
func TestResetAfterApplyEvery(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{ResetAfterApplyEvery: 2})
	c := newClient(t, srv)
	c.do("POST", "/Users", user("first")).want(t, http.StatusCreated)
	if _, err := c.try("POST", "/Users", user("second")); err == nil {
		t.Fatal("the second request got a response")
	}
	if got := len(srv.Users()); got != 2 {
		t.Errorf("%d users, want 2: the request whose answer was lost is carried out", got)
	}
	log := srv.Requests()
	if got := log[1]; got.Status != http.StatusCreated || got.Fault != "reset-after-apply" {
		t.Errorf("logged status %d fault %q, want 201 reset-after-apply", got.Status, got.Fault)
	}

	c.do("POST", "/Groups", group("Staff")).want(t, http.StatusCreated)
	if _, err := c.try("POST", "/Groups", group("Staff")); err == nil {
		t.Fatal("the fourth request got a response")
	}
	want := []scimtest.Duplicate{{Kind: "Group", Attr: "displayName", Value: "Staff", IDs: []string{srv.Groups()[0]["id"].(string), srv.Groups()[1]["id"].(string)}}}
	if got := srv.Duplicates(); !equalJSON(got, want) {
		t.Errorf("Duplicates() = %+v, want %+v", got, want)
	}
	if got, want := faults(srv), []string{"", "reset-after-apply", "", "reset-after-apply"}; !slices.Equal(got, want) {
		t.Errorf("faults %q, want %q", got, want)
	}
}

// TestGoneAfter: after N counted requests every request, exempt paths
// included, is reset and not carried out, until SetOptions.
func TestGoneAfter(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{GoneAfter: 2, ExemptPaths: []string{"/ServiceProviderConfig"}})
	c := newClient(t, srv)
	c.do("GET", "/ServiceProviderConfig", nil).want(t, http.StatusOK) // exempt: not counted
	c.do("POST", "/Users", user("u1")).want(t, http.StatusCreated)    // 1
	c.do("GET", "/Users", nil).want(t, http.StatusOK)                 // 2
	for _, req := range []struct{ method, path string }{{"POST", "/Users"}, {"GET", "/ServiceProviderConfig"}, {"POST", "/Users"}} {
		var body any
		if req.method == "POST" {
			body = user("u2")
		}
		if r, err := c.try(req.method, req.path, body); err == nil {
			t.Errorf("%s %s after the service went away: status %d, want no answer", req.method, req.path, r.status)
		}
	}
	if got := len(srv.Users()); got != 1 {
		t.Errorf("%d users, want 1: a request to a gone service changes nothing", got)
	}
	// GETs may be resent by the transport once: count the gone ones.
	if st := srv.Stats(); st.ByStatus[0] < 3 || st.Faulted != st.ByStatus[0] {
		t.Errorf("stats %+v, want at least 3 requests without an answer, all faulted", st)
	}
	srv.SetOptions(scimtest.Options{})
	c.do("POST", "/Users", user("u2")).want(t, http.StatusCreated)
}

// TestRetryAfterIn: Retry-After is an HTTP date at least RetryAfterIn
// after the response, in whole seconds.
func TestRetryAfterIn(t *testing.T) {
	const in = 1500 * time.Millisecond
	srv := scimtest.Start(t, scimtest.Options{TooManyEvery: 1, RetryAfter: "7", RetryAfterIn: in})
	c := newClient(t, srv)
	before := time.Now()
	r := c.do("GET", "/Users", nil)
	after := time.Now()
	r.wantError(t, http.StatusTooManyRequests, "")
	got, err := http.ParseTime(r.header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After %q is not an HTTP date: %v", r.header.Get("Retry-After"), err)
	}
	// The date is rounded up to a whole second, so never before the
	// response time plus RetryAfterIn.
	if lo, hi := before.Add(in), after.Add(in).Add(time.Second); got.Before(lo) || got.After(hi) {
		t.Errorf("Retry-After %v, want within [%v, %v]", got, lo, hi)
	}
}

// TestStats counts requests by method, endpoint, kind and status, and
// starts again at ResetStats.
func TestStats(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{TooManyEvery: 7})
	c := newClient(t, srv)
	c.do("GET", "/ServiceProviderConfig", nil).want(t, 200)                             // 1
	id := c.do("POST", "/Users", user("s1")).want(t, 201).body["id"].(string)           // 2
	c.do("POST", "/Users", user("S1")).want(t, 409)                                     // 3
	c.do("GET", "/Users"+filterQuery(`userName eq "s1"`), nil).want(t, 200)             // 4
	c.do("GET", "/Users/"+id, nil).want(t, 200)                                         // 5
	c.do("PATCH", "/Users/"+id, patchBody(op("replace", "active", false))).want(t, 200) // 6
	c.do("POST", "/Groups", group("g", id)).want(t, 429)                                // 7
	gid := c.do("POST", "/Groups", group("g", id)).want(t, 201).body["id"].(string)     // 8
	c.do("PATCH", "/Groups/"+gid, patchBody(op("remove", "members", nil))).want(t, 204) // 9
	c.do("DELETE", "/Users/"+id, nil).want(t, 204)                                      // 10
	c.do("GET", "/Nope", nil).want(t, 404)                                              // 11
	want := scimtest.Stats{
		Requests: 11, Reads: 2, Writes: 7, Faulted: 1,
		ByMethod: map[string]int{"GET": 4, "POST": 4, "PATCH": 2, "DELETE": 1},
		ByEndpoint: map[string]int{
			"GET /ServiceProviderConfig": 1, "POST /Users": 2, "GET /Users": 1, "GET /Users/{id}": 1,
			"PATCH /Users/{id}": 1, "POST /Groups": 2, "PATCH /Groups/{id}": 1, "DELETE /Users/{id}": 1, "GET other": 1,
		},
		ByStatus: map[int]int{200: 4, 201: 2, 204: 2, 404: 1, 409: 1, 429: 1},
	}
	got := srv.Stats()
	if !equalJSON(got, want) {
		t.Errorf("Stats() =\n%+v\nwant\n%+v", got, want)
	}
	got.ByMethod["GET"] = 100 // a copy
	if srv.Stats().ByMethod["GET"] != 4 {
		t.Error("Stats shares its maps with the handler")
	}
	srv.ResetStats()
	c.do("GET", "/Groups", nil).want(t, 200)
	want = scimtest.Stats{Requests: 1, Reads: 1, ByMethod: map[string]int{"GET": 1}, ByEndpoint: map[string]int{"GET /Groups": 1}, ByStatus: map[int]int{200: 1}}
	if got := srv.Stats(); !equalJSON(got, want) {
		t.Errorf("after ResetStats: %+v, want %+v", got, want)
	}
}

// TestFaultsConcurrent: the faults follow the request count whatever the
// order of concurrent clients, and Stats keeps up.
func TestFaultsConcurrent(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{TooManyEvery: 7, ResetAfterApplyEvery: 5})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := newClient(t, srv)
			for i := range each {
				c.try("POST", "/Users", user(fmt.Sprintf("w%d-%d", w, i))) // errors are the point
			}
		})
	}
	wg.Wait()
	const n = workers * each
	tooMany, lost := n/7, n/5-n/35
	if got := len(srv.Users()); got != n-tooMany {
		t.Errorf("%d users, want %d: all but the %d answered 429", got, n-tooMany, tooMany)
	}
	st := srv.Stats()
	if st.Requests != n || st.Writes != n || st.Faulted != tooMany+lost || st.ByStatus[429] != tooMany || st.ByStatus[201] != n-tooMany {
		t.Errorf("stats %+v, want %d writes, %d faulted, %d 429s, %d 201s", st, n, tooMany+lost, tooMany, n-tooMany)
	}
}

// TestDuplicateMemberOnAdd: as on elimity-com/scim, adding a member that is
// there already lists it twice; by default it is kept once.
func TestDuplicateMemberOnAdd(t *testing.T) {
	for _, dup := range []bool{false, true} {
		srv := scimtest.Start(t, scimtest.Options{DuplicateMemberOnAdd: dup})
		c := newClient(t, srv)
		uid := srv.AddUser(map[string]any{"userName": "m"})
		gid := srv.AddGroup(map[string]any{"displayName": "G", "members": []any{map[string]any{"value": uid}}})
		c.do("PATCH", "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": uid}}))).want(t, http.StatusNoContent)
		var members []string
		for _, m := range srv.Groups()[0]["members"].([]any) {
			members = append(members, m.(map[string]any)["value"].(string))
		}
		var wantMembers []string
		var wantDup []scimtest.Duplicate
		if wantMembers = []string{uid}; dup {
			wantMembers = []string{uid, uid}
			wantDup = []scimtest.Duplicate{{Kind: "Group", Attr: "members", Value: uid, IDs: []string{gid}}}
		}
		if !slices.Equal(members, wantMembers) {
			t.Errorf("DuplicateMemberOnAdd %v: members %q, want %q", dup, members, wantMembers)
		}
		if got := srv.Duplicates(); !equalJSON(got, wantDup) {
			t.Errorf("DuplicateMemberOnAdd %v: Duplicates() = %+v, want %+v", dup, got, wantDup)
		}
		// Removing by path removes every copy.
		c.do("PATCH", "/Groups/"+gid, patchBody(op("remove", `members[value eq "`+uid+`"]`, nil))).want(t, http.StatusNoContent)
		if got := srv.Groups()[0]["members"]; got != nil {
			t.Errorf("DuplicateMemberOnAdd %v: members %v after the remove", dup, got)
		}
	}
}

// TestDuplicates: groups may share a displayName and resources an
// externalId, as on real services; Duplicates names them.
func TestDuplicates(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	if got := srv.Duplicates(); got != nil {
		t.Errorf("an empty server has duplicates: %+v", got)
	}
	g1 := c.do("POST", "/Groups", group("Sales")).want(t, http.StatusCreated).body["id"].(string)
	g2 := c.do("POST", "/Groups", group("sales")).want(t, http.StatusCreated).body["id"].(string)
	c.do("POST", "/Groups", group("Other")).want(t, http.StatusCreated)
	u1 := c.do("POST", "/Users", user("a", "externalId", "E1")).want(t, http.StatusCreated).body["id"].(string)
	u2 := c.do("POST", "/Users", user("b", "externalId", "E1")).want(t, http.StatusCreated).body["id"].(string)
	c.do("POST", "/Users", user("c", "externalId", "e1")).want(t, http.StatusCreated) // externalId is caseExact
	c.do("POST", "/Users", user("A")).wantError(t, http.StatusConflict, "uniqueness")
	want := []scimtest.Duplicate{
		{Kind: "Group", Attr: "displayName", Value: "Sales", IDs: []string{g1, g2}},
		{Kind: "User", Attr: "externalId", Value: "E1", IDs: []string{u1, u2}},
	}
	if got := srv.Duplicates(); !equalJSON(got, want) {
		t.Errorf("Duplicates() = %+v, want %+v", got, want)
	}
	c.do("DELETE", "/Groups/"+g1, nil).want(t, http.StatusNoContent)
	c.do("PATCH", "/Users/"+u2, patchBody(op("replace", "externalId", "E2"))).want(t, http.StatusOK)
	if got := srv.Duplicates(); got != nil {
		t.Errorf("Duplicates() = %+v after the delete and the rename, want none", got)
	}
}

// TestIndexedLookups: eq filters on indexed attributes find what a scan
// finds, in the order of creation, whatever renames and deletes did.
func TestIndexedLookups(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{})
	c := newClient(t, srv)
	var ids []string
	for i := range 6 {
		ids = append(ids, srv.AddUser(map[string]any{"userName": fmt.Sprintf("U%d@Example.com", i), "externalId": fmt.Sprintf("x%d", i%3), "active": i%2 == 0}))
	}
	ga := srv.AddGroup(map[string]any{"displayName": "A", "externalId": "ga"})
	gb := srv.AddGroup(map[string]any{"displayName": "B"})
	// Renaming A to b puts it after B in the index; lists keep creation order.
	c.do("PATCH", "/Groups/"+ga, patchBody(op("replace", "displayName", "b"))).want(t, http.StatusNoContent)
	c.do("DELETE", "/Users/"+ids[3], nil).want(t, http.StatusNoContent)

	find := func(endpoint, f string) []string {
		t.Helper()
		var out []string
		for _, r := range c.do("GET", endpoint+filterQuery(f), nil).want(t, 200).body["Resources"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}
	tests := []struct {
		endpoint, filter string
		want             []string
	}{
		{"/Users", `userName eq "u2@example.COM"`, []string{ids[2]}},
		{"/Users", `USERNAME eq "U3@Example.com"`, nil},
		{"/Users", `externalId eq "x0"`, []string{ids[0]}},
		{"/Users", `externalId eq "X1"`, nil},
		{"/Users", `externalId eq "x1"`, []string{ids[1], ids[4]}},
		{"/Users", `externalId eq "x2" and active eq true`, []string{ids[2]}},
		{"/Users", `active eq false and externalId eq "x2"`, []string{ids[5]}},
		{"/Users", `externalId eq "x2" or userName eq "u0@example.com"`, []string{ids[0], ids[2], ids[5]}},
		{"/Groups", `displayName eq "B"`, []string{ga, gb}},
		{"/Groups", `displayName eq "a"`, nil},
		{"/Groups", `externalId eq "ga"`, []string{ga}},
	}
	for _, tt := range tests {
		if got := find(tt.endpoint, tt.filter); !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: ids %q, want %q", tt.endpoint, tt.filter, got, tt.want)
		}
	}

	// Unfiltered pages after a delete.
	var paged []string
	for start := 1; ; start += 2 {
		r := c.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=2", start), nil).want(t, 200)
		if got := r.body["totalResults"]; fmt.Sprint(got) != "5" {
			t.Fatalf("totalResults %v, want 5", got)
		}
		res := r.body["Resources"].([]any)
		if len(res) == 0 {
			break
		}
		for _, u := range res {
			paged = append(paged, u.(map[string]any)["id"].(string))
		}
	}
	if want := slices.Delete(slices.Clone(ids), 3, 4); !slices.Equal(paged, want) {
		t.Errorf("paged %q, want %q", paged, want)
	}
}
