package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// TestSyncFromStdin holds that `scim sync -` syncs a source read from
// stdin (which the cycle reads twice: it is kept in a temporary file until
// the cycle ends), and that a re-run of the same stdin writes nothing.
func TestSyncFromStdin(t *testing.T) {
	srv, env := scimEnv(t, scimtest.Options{})
	var csv strings.Builder
	csv.WriteString("userName,externalId,groups\n")
	const n = 1500 // more than a batch
	for i := range n {
		fmt.Fprintf(&csv, "user%04d@main.test,e%d,Team %d\n", i, i, i%3)
	}
	run := func() (int, string, string) {
		t.Helper()
		io, in, out, errOut := testIO(false)
		in.WriteString(csv.String())
		f := newFactory(io, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		code := executeWith(context.Background(), f, []string{"scim", "sync", "-", "--verified-domain", "main.test", "-o", "json"})
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run()
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errOut)
	}
	if want := fmt.Sprintf(`"created": %d`, n); !strings.Contains(out, want) {
		t.Errorf("first run: want %s in\n%s", want, out)
	}
	if got := len(srv.Users()); got != n+3 { // and the three scimEnv adds
		t.Errorf("%d users at the server, want %d", got, n+3)
	}
	code, out, errOut = run()
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, `"writes": 0`) || !strings.Contains(out, fmt.Sprintf(`"unchanged": %d`, n+3)) { // the users and the 3 groups
		t.Errorf("second run: want 0 writes and %d unchanged in\n%s", n+3, out)
	}
}
