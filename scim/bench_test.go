package scim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

// benchClient serves n users from the in-process service and returns a
// client for it.
func benchClient(b *testing.B, n int) (*scim.Client, *scimtest.Server) {
	b.Helper()
	srv := scimtest.Start(b, scimtest.Options{Token: "bench-t0ken"})
	for i := range n {
		srv.AddUser(map[string]any{"userName": fmt.Sprintf("user%04d@main.test", i), "name": map[string]any{"givenName": "U", "familyName": fmt.Sprint(i)}})
	}
	c, err := scim.New(scim.Config{URL: srv.URL, Token: scim.NewToken("bench-t0ken")})
	if err != nil {
		b.Fatal(err)
	}
	return c, srv
}

// BenchmarkListUsers reads 1000 users: 10 pages of 100 over loopback
// HTTP, decoded.
func BenchmarkListUsers(b *testing.B) {
	c, _ := benchClient(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		users, err := c.ListUsers(ctx, scim.ListOptions{})
		if err != nil || len(users) != 1000 {
			b.Fatalf("%d users, %v", len(users), err)
		}
	}
}

// BenchmarkFindAndPatchUser is one update as `orgctl scim users update`
// makes it: a filter by userName, the diff, the PATCH.
func BenchmarkFindAndPatchUser(b *testing.B) {
	c, _ := benchClient(b, 100)
	ctx := context.Background()
	dept := []string{"Research", "Mathematics"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		have, err := c.FindUser(ctx, "user0042@main.test")
		if err != nil {
			b.Fatal(err)
		}
		want := *have
		want.Enterprise.Department = dept[i%2]
		i++
		if _, err := c.PatchUser(ctx, have.ID, scim.DiffUser(have, &want)); err != nil {
			b.Fatal(err)
		}
	}
}
