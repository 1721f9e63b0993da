package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/orgctl/orgctl"

// goList runs go list in the module's root and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// TestReleaseBinaryDoesNotLinkTesting holds that orgctl's release binary
// links neither the testing package nor, through it, its flags: the
// sandbox's servers come from test-support packages, which must keep their
// testing.TB helpers free of the testing package.
func TestReleaseBinaryDoesNotLinkTesting(t *testing.T) {
	deps := goList(t, "-deps", "./cmd/orgctl")
	if slices.Contains(deps, "testing") {
		why := goList(t, "-f", `{{.ImportPath}}{{range .Imports}}{{if eq . "testing"}}<-testing{{end}}{{end}}`, "-deps", "./cmd/orgctl")
		var culprits []string
		for _, l := range why {
			if p, ok := strings.CutSuffix(l, "<-testing"); ok {
				culprits = append(culprits, p)
			}
		}
		t.Errorf("./cmd/orgctl links the testing package; importers: %v", culprits)
	}
}

// TestLayers holds that packages import only downward (STYLE.md, Layout):
// cmd/orgctl and its sandbox → the libraries (verify, provision → scim,
// config) → the bottom helpers (codegen, internal/domain, internal/store);
// and that no release package but the sandbox imports a test-support
// package.
func TestLayers(t *testing.T) {
	rank := map[string]int{
		"codegen": 0, "internal/domain": 0, "internal/english": 0, "internal/store": 1,
		"config": 2, "verify": 2, "scim": 2, "provision": 3,
		"verify/verifytest": 3, "scim/scimtest": 3, "internal/peertest": 4, "provision/provisiontest": 4,
		"cmd/orgctl/internal/sandbox": 4, "cmd/orgctl": 5, "scripts/cobraviper": 5, "scripts/barelookup": 5,
		// Benchmark tools (scripts/bench-sync.sh), test support too.
		"provision/provisiontest/nullscim": 4, "provision/provisiontest/gensource": 5,
	}
	testSupport := []string{"verify/verifytest", "scim/scimtest", "internal/peertest", "provision/provisiontest",
		"provision/provisiontest/nullscim", "provision/provisiontest/gensource"}
	lines := goList(t, "-f", `{{.ImportPath}}={{join .Imports ","}}`, "./...")
	for _, l := range lines {
		pkg, imports, _ := strings.Cut(l, "=")
		p := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		r, ok := rank[p]
		if !ok {
			t.Errorf("package %s has no layer in TestLayers: place it", pkg)
			continue
		}
		for _, imp := range strings.Split(imports, ",") {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			q := strings.TrimPrefix(imp, module+"/")
			if rank[q] >= r {
				t.Errorf("%s imports %s, which is not below it", p, q)
			}
			if slices.Contains(testSupport, q) && !slices.Contains(testSupport, p) && p != "cmd/orgctl/internal/sandbox" {
				t.Errorf("%s imports the test-support package %s; only the sandbox may", p, q)
			}
		}
	}
}
