package provision

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/orgctl/orgctl/provision/provisiontest"
	"github.com/orgctl/orgctl/scim/scimtest"
)

// writeSource writes a canonical CSV of n users to a file and returns its
// path.
func writeSource(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := provisiontest.WriteCSV(f, provisiontest.Options{Users: n, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// streamed opens path with OpenSource and builds it with BuildStream;
// built reads it whole and builds it with Build, for comparison.
func streamed(t *testing.T, path string) (stream, built *Desired) {
	t.Helper()
	verified, _ := VerifiedDomains(provisiontest.Domain)
	src, err := OpenSource(path, "users.csv", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if stream, err = BuildStream(src, DefaultMapping(), nil, verified); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	whole, err := ReadSource(fh, "users.csv", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if built, err = Build(whole, DefaultMapping(), nil, verified); err != nil {
		t.Fatal(err)
	}
	return stream, built
}

// TestSyncStreamed holds that a cycle from a source read a batch at a time
// (OpenSource, BuildStream) ends in the state a whole source gives, that
// its re-run writes nothing, and that users who left are deactivated (and
// taken out of their groups), the threshold stopping the cycle before any
// write. The groups (about 140 members) are over maxStoredMembers: the
// state keeps only the hash of their members.
func TestSyncStreamed(t *testing.T) {
	defer func(n int) { maxStoredMembers = n }(maxStoredMembers)
	maxStoredMembers = 50
	const n = 2*batchUsers + 150 // batches, and a short last one
	tg := newTarget(t, scimtest.Options{})
	stream, built := streamed(t, writeSource(t, n))
	if stream.Len() != len(built.Users) || len(stream.Groups) != len(built.Groups) || len(stream.Skipped) != len(built.Skipped) {
		t.Fatalf("streamed: %d users, %d groups, %d skipped; whole: %d, %d, %d",
			stream.Len(), len(stream.Groups), len(stream.Skipped), len(built.Users), len(built.Groups), len(built.Skipped))
	}
	ctx := context.Background()
	plan, sum, err := tg.sync(ctx, stream, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg.checkExact(built)
	if sum.Created != len(built.Users) || sum.GroupsCreated != len(built.Groups) || sum.Failed != 0 {
		t.Errorf("summary: created %d, groups %d, failed %d; want %d, %d, 0", sum.Created, sum.GroupsCreated, sum.Failed, len(built.Users), len(built.Groups))
	}
	if plan.Counts.Creates != len(built.Users) {
		t.Errorf("plan counts %d creates, want %d", plan.Counts.Creates, len(built.Users))
	}

	tg.srv.ResetLog()
	if _, sum, err = tg.sync(ctx, stream, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := tg.methods(); len(got) != 0 {
		t.Errorf("re-run of an unchanged source sent %v, want nothing", got)
	}
	if want := len(built.Users) + len(built.Groups); sum.Unchanged != want {
		t.Errorf("re-run: %d unchanged, want %d", sum.Unchanged, want)
	}

	// A source of fewer users: the others are deactivated, unless more
	// than the threshold would be.
	fewer, fewerBuilt := streamed(t, writeSource(t, n-100))
	// Users pushed inactive are not deactivated again when they leave.
	gone := 0
	for _, du := range built.Users[len(fewerBuilt.Users):] {
		if du.User.Active == nil || *du.User.Active {
			gone++
		}
	}
	tg.srv.ResetLog()
	if _, _, err := tg.sync(ctx, fewer, Options{MaxDeletes: gone - 1}, nil); !isThresholdErr(err) {
		t.Fatalf("over the threshold: err = %v, want a *ThresholdError", err)
	}
	if w := writes(tg.methods()); w != 0 {
		t.Errorf("over the threshold: %d writes, want 0", w)
	}
	plan, sum, err = tg.sync(ctx, fewer, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deactivated != gone || plan.Counts.Deactivations != gone {
		t.Errorf("%d deactivated (plan %d), want %d", sum.Deactivated, plan.Counts.Deactivations, gone)
	}
	var goneNames []string
	users := tg.serverUsers()
	for _, du := range built.Users[len(fewerBuilt.Users):] {
		goneNames = append(goneNames, du.User.UserName)
	}
	if len(users) != len(built.Users) {
		t.Errorf("%d users at the server, want %d", len(users), len(built.Users))
	}
	tg.checkExact(fewerBuilt, goneNames...)
}

func isThresholdErr(err error) bool {
	_, ok := err.(*ThresholdError)
	return ok
}

// TestSyncStreamedThroughFaults: a streamed cycle through 429s, 5xx,
// resets and answers lost after the server applied the request ends in the
// exact desired state.
func TestSyncStreamedThroughFaults(t *testing.T) {
	tg := newTarget(t, scimtest.Options{TooManyEvery: 7, RetryAfter: "0", FailEvery: 11, ResetEvery: 13})
	url := resetAfterApply(t, tg.srv.Handler, 9)
	stream, built := streamed(t, writeSource(t, batchUsers+200))
	st, err := OpenState(tg.dir, url)
	if err != nil {
		t.Fatal(err)
	}
	pacer := NewPacer(PacerOptions{MinRate: 1000})
	_, sum, err := Sync(context.Background(), tg.client(url, pacer, nil), st, stream, Options{Pacer: pacer})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	tg.checkExact(built)
	if sum.Retries == 0 || sum.Failed != 0 {
		t.Errorf("summary: %d retries, %d failed; want some retries and no failure: %+v", sum.Retries, sum.Failed, sum.Failures)
	}
}
