//go:build linux

package provision

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestStateReleasesMappedPages reads every user record of a state file
// and checks that the file's pages did not stay resident: without
// releaseMapped, a walk leaves all of them in the process's RSS
// (docs/performance-sync.md).
func TestStateReleasesMappedPages(t *testing.T) {
	const n = 20000
	users := make([]*UserRecord, n)
	for i := range users {
		users[i] = &UserRecord{UserName: fmt.Sprintf("user%06d@main.test", i), ID: fmt.Sprintf("2819c223-7f76-453a-919d-%012d", i), Hash: strings.Repeat("ab", 16)}
	}
	st := planState(t, users, nil)
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	if err := st.eachUser(func(string, *UserRecord) error { seen++; return nil }); err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Fatalf("walked %d user records, want %d", seen, n)
	}
	// A record read again after its page was released is intact.
	for _, i := range []int{0, n / 2, n - 1} {
		if got, want := st.User(users[i].UserName), users[i]; got == nil || *got != *want {
			t.Errorf("User(%s) = %+v, want %+v", want.UserName, got, want)
		}
	}
	fi, err := os.Stat(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	resident := mappedRSS(t, st.Path())
	if resident > fi.Size()/4 {
		t.Errorf("after reading every record, %d KiB of the %d KiB state file are resident, want at most a quarter", resident>>10, fi.Size()>>10)
	}
}

// mappedRSS returns the resident bytes of this process's mappings of path
// (from /proc/self/smaps).
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var total int64
	in, found := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			// A mapping's header: address perms offset dev inode [path].
			in = len(fields) >= 6 && fields[5] == path
			found = found || in
		case in && len(fields) == 3 && fields[0] == "Rss:":
			var kb int64
			fmt.Sscan(fields[1], &kb)
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("%s is not mapped by this process", path)
	}
	return total
}
