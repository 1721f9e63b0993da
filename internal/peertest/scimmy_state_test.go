package peertest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// TestSCIMMYState: State reads what the service holds, in creation order, and counts the SCIM
// requests, not its own; ResetStats starts the counts again.
func TestSCIMMYState(t *testing.T) {
	s := StartSCIMMY(t)
	s.ResetStats(t) // StartSCIMMY's probes
	a := scimCreateUser(t, s, scimResource{UserName: "A@example.test", ExternalID: "e1"})
	b := scimCreateUser(t, s, scimResource{UserName: "b@example.test", ExternalID: "e1"})
	scimCall(t, s, http.MethodPost, "/Users", map[string]any{"userName": "a@EXAMPLE.test"}, http.StatusConflict, nil)
	var g1, g2 scimResource
	scimCall(t, s, http.MethodPost, "/Groups", map[string]any{"displayName": "Team", "members": []map[string]string{{"value": a.ID}}}, http.StatusCreated, &g1)
	scimCall(t, s, http.MethodPost, "/Groups", map[string]any{"displayName": "team"}, http.StatusCreated, &g2)
	scimCall(t, s, http.MethodGet, "/Users/"+b.ID, nil, http.StatusOK, nil)
	scimFind(t, s, `userName eq "b@example.test"`)

	st := s.State(t)
	var users, groups []string
	for _, u := range st.Users {
		users = append(users, fmt.Sprint(u["id"], " ", u["userName"]))
	}
	for _, g := range st.Groups {
		groups = append(groups, fmt.Sprint(g["id"], " ", g["displayName"], " ", g["members"]))
	}
	wantUsers := []string{a.ID + " A@example.test", b.ID + " b@example.test"}
	wantGroups := []string{
		fmt.Sprintf("%s Team [map[$ref:%s/Users/%s display:A@example.test type:User value:%s]]", g1.ID, s.URL, a.ID, a.ID),
		g2.ID + " team <nil>",
	}
	if !slices.Equal(users, wantUsers) || !slices.Equal(groups, wantGroups) {
		t.Errorf("state users %q groups %q, want %q and %q", users, groups, wantUsers, wantGroups)
	}
	wantDup := []scimtest.Duplicate{
		{Kind: "Group", Attr: "displayName", Value: "Team", IDs: []string{g1.ID, g2.ID}},
		{Kind: "User", Attr: "externalId", Value: "e1", IDs: []string{a.ID, b.ID}},
	}
	if got := st.Duplicates(); fmt.Sprint(got) != fmt.Sprint(wantDup) {
		t.Errorf("Duplicates() = %+v, want %+v", got, wantDup)
	}
	wantStats := scimtest.Stats{
		Requests: 7, Reads: 2, Writes: 5,
		ByMethod:   map[string]int{"POST": 5, "GET": 2},
		ByEndpoint: map[string]int{"POST /Users": 3, "POST /Groups": 2, "GET /Users/{id}": 1, "GET /Users": 1},
		ByStatus:   map[int]int{201: 4, 409: 1, 200: 2},
	}
	if fmt.Sprint(st.Stats) != fmt.Sprint(wantStats) {
		t.Errorf("stats %+v, want %+v", st.Stats, wantStats)
	}
	s.ResetStats(t)
	if got := s.State(t).Stats; got.Requests != 0 || len(got.ByEndpoint) != 0 {
		t.Errorf("stats after ResetStats: %+v", got)
	}
	// The state endpoint needs the token.
	resp, _ := scimSend(t, &SCIMMY{URL: strings.TrimSuffix(s.URL, "/scim/v2")}, "wrong", http.MethodGet, "/__state", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /__state with a wrong token: %d, want 401", resp.StatusCode)
	}
}

// TestSCIMMYSyncLoad runs what an initial sync of 2,000 users in 30 groups sends, four requests at a
// time: a userName lookup in another case before each create, the create, then each group with its
// members added in batches. The service must end in exactly that state: lookups case-insensitive,
// no duplicate, every member once; and list pages must give every user once.
func TestSCIMMYSyncLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 users: not with -short")
	}
	s := StartSCIMMY(t)
	const nUsers, nGroups, workers = 2000, 30, 4
	name := func(i int) string {
		return fmt.Sprintf("Ünïcode.%d, \"Quoted\"@Example.test", i) // mixed case, non-ASCII, comma, quotes
	}
	began := time.Now()
	ids := make([]string, nUsers)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if l := scimFind(t, s, "userName eq "+scimQuote(strings.ToUpper(name(i)))); l.TotalResults != 0 {
					t.Errorf("lookup of %q before its create: %d results", name(i), l.TotalResults)
				}
				ids[i] = scimCreateUser(t, s, scimResource{UserName: name(i), ExternalID: fmt.Sprint("x", i), DisplayName: "Zoë, \"Z\" " + fmt.Sprint(i)}).ID
				if l := scimFind(t, s, "userName eq "+scimQuote(strings.ToLower(name(i)))); l.TotalResults != 1 || l.Resources[0].ID != ids[i] {
					t.Errorf("lookup of %q after its create: %+v, want its id %s", name(i), l, ids[i])
				}
			}
		})
	}
	for i := range nUsers {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	usersDone := time.Since(began)

	// Group g holds the users i with i%nGroups == g, added 100 at a time.
	gids := make([]string, nGroups)
	for g := range nGroups {
		var res scimResource
		scimCall(t, s, http.MethodPost, "/Groups", map[string]any{"displayName": fmt.Sprintf("Gruppe %d, „Ä\"", g), "externalId": fmt.Sprint("g", g)}, http.StatusCreated, &res)
		gids[g] = res.ID
		var batch []map[string]string
		flush := func() {
			if len(batch) > 0 {
				scimCall(t, s, http.MethodPatch, "/Groups/"+res.ID, scimPatch(map[string]any{"op": "add", "path": "members", "value": batch}), http.StatusOK, nil)
				batch = nil
			}
		}
		for i := g; i < nUsers; i += nGroups {
			if batch = append(batch, map[string]string{"value": ids[i]}); len(batch) == 100 {
				flush()
			}
		}
		flush()
	}
	st := s.State(t)
	t.Logf("scimmy: %d users in %v, %d groups with members in %v more; %d requests (%v)",
		nUsers, usersDone.Round(time.Millisecond), nGroups, (time.Since(began) - usersDone).Round(time.Millisecond), st.Stats.Requests, st.Stats.ByEndpoint)

	if len(st.Users) != nUsers || len(st.Groups) != nGroups {
		t.Fatalf("state: %d users and %d groups, want %d and %d", len(st.Users), len(st.Groups), nUsers, nGroups)
	}
	byID := map[string]int{}
	for i, id := range ids {
		byID[id] = i
	}
	for _, u := range st.Users {
		i, ok := byID[u["id"].(string)]
		if !ok || u["userName"] != name(i) || u["externalId"] != fmt.Sprint("x", i) {
			t.Errorf("stored user %v, want the user %d as sent", u, i)
		}
	}
	for g, grp := range st.Groups {
		var got []string
		for _, m := range grp["members"].([]any) {
			got = append(got, m.(map[string]any)["value"].(string))
		}
		var want []string
		for i := g; i < nUsers; i += nGroups {
			want = append(want, ids[i])
		}
		if grp["id"] != gids[g] || !slices.Equal(got, want) {
			t.Errorf("group %d: id %v, %d members, want %s with %d members in order", g, grp["id"], len(got), gids[g], len(want))
		}
	}
	if d := st.Duplicates(); d != nil {
		t.Errorf("duplicates: %+v", d)
	}
	if st.Stats.Writes != nUsers+nGroups*(1+(nUsers/nGroups+99)/100) {
		t.Errorf("%d writes, want one per create and per batch", st.Stats.Writes)
	}

	// Paging: every user once, in creation order of the state.
	var paged []string
	for start := 1; start <= nUsers; start += 200 {
		var l scimList
		scimCall(t, s, http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=500", start), nil, http.StatusOK, &l)
		if l.TotalResults != nUsers || l.StartIndex != start || l.ItemsPerPage != len(l.Resources) || len(l.Resources) != min(200, nUsers-start+1) {
			t.Fatalf("page at %d: total %d, startIndex %d, itemsPerPage %d, %d resources", start, l.TotalResults, l.StartIndex, l.ItemsPerPage, len(l.Resources))
		}
		for _, r := range l.Resources {
			paged = append(paged, r.ID)
		}
	}
	var stored []string
	for _, u := range st.Users {
		stored = append(stored, u["id"].(string))
	}
	if !slices.Equal(paged, stored) {
		t.Errorf("paging gave %d ids, not the %d stored ones in order", len(paged), len(stored))
	}
}

// TestSCIMMYIndexedFilters: filters the index narrows find what a scan finds: userName ignoring
// case, externalId exactly, "or" branches with and without an indexed test, eq null.
func TestSCIMMYIndexedFilters(t *testing.T) {
	s := StartSCIMMY(t)
	a := scimCreateUser(t, s, scimResource{UserName: "Al@Example.test", ExternalID: "X1", DisplayName: "Al"})
	b := scimCreateUser(t, s, scimResource{UserName: "bo@example.test", DisplayName: "Bo"})
	c := scimCreateUser(t, s, scimResource{UserName: "cy@example.test", ExternalID: "x1"})
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "AL@example.TEST"`, []string{a.ID}},
		{`externalId eq "X1"`, []string{a.ID}},
		{`externalId eq "x1"`, []string{c.ID}},
		{`externalId eq "X1" or userName eq "CY@example.test"`, []string{a.ID, c.ID}},
		{`userName eq "cy@example.test" or userName eq "al@example.test"`, []string{a.ID, c.ID}},
		{`userName eq "bo@example.test" or displayName eq "Al"`, []string{a.ID, b.ID}},
		{`userName eq "al@example.test" and displayName eq "Bo"`, nil},
		{`externalId pr`, []string{a.ID, c.ID}},
	} {
		var got []string
		for _, r := range scimFind(t, s, tc.filter).Resources {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ids %q, want %q", tc.filter, got, tc.want)
		}
	}
}
