package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// packages maps each peer binary to the Debian package that ships it.
var packages = map[string]string{
	"named":             "bind9",
	"named-checkconf":   "bind9-utils",
	"named-checkzone":   "bind9-utils",
	"dnssec-keygen":     "bind9-utils",
	"dnssec-signzone":   "bind9-utils",
	"dnssec-dsfromkey":  "bind9-utils",
	"dig":               "bind9-dnsutils",
	"delv":              "bind9-dnsutils",
	"unbound":           "unbound",
	"unbound-checkconf": "unbound",
	"nginx":             "nginx",
	"node":              "nodejs",
	"npm":               "npm",
}

// sbinDirs are searched after PATH: a non-root shell often lacks them, yet named, unbound and nginx
// live there and run fine as any user on a high port.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin"}

// Need returns the path of the peer binary bin (named, unbound, dnssec-signzone, …). When it is
// missing, the test is skipped locally and fails under CI=true, where a missing server is a failure
// and not a reason to skip.
func Need(t testing.TB, bin string) string {
	t.Helper()
	if p, err := lookPath(bin); err == nil {
		return p
	}
	pkg := packages[bin]
	if pkg == "" {
		pkg = "bind9 bind9-utils bind9-dnsutils unbound"
	}
	missing(t, fmt.Sprintf("%s not found in PATH or %v", bin, sbinDirs), aptHint(pkg))
	return ""
}

// missing skips the test because what it needs (said by what) is not installed, or fails it under
// CI=true; how says how to install it.
func missing(t testing.TB, what, how string) {
	t.Helper()
	msg := fmt.Sprintf("peertest: %s; %s", what, how)
	if inCI() {
		t.Fatalf("%s [CI=true: a missing server is a failure]", msg)
		return
	}
	t.Skipf("%s", msg)
}

// aptHint says how to install a Debian package.
func aptHint(pkg string) string {
	return fmt.Sprintf("install with: sudo scripts/deps.sh (or apt-get install %s)", pkg)
}

func lookPath(bin string) (string, error) {
	p, err := exec.LookPath(bin)
	if err == nil {
		return p, nil
	}
	for _, dir := range sbinDirs {
		c := filepath.Join(dir, bin)
		if fi, statErr := os.Stat(c); statErr == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", err
}

func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}
