package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The generated reference docs, relative to this package's directory:
// man pages and a markdown command reference, made from the command tree
// by `make docs` (UPDATE_DOCS=1 and this test).
var (
	manDir = filepath.Join("..", "..", "docs", "man")
	refDir = filepath.Join("..", "..", "docs", "cli")
)

// docsDate is the date the man pages carry. It is fixed so that the pages
// depend only on the command tree, not on the day they were made: the
// staleness test compares them byte for byte.
var docsDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// genDocs writes the man pages into man and the markdown reference into
// ref, for every command and help topic of the tree.
func genDocs(man, ref string) error {
	streams, _, _, _ := testIO(false)
	root := newRootCmd(newFactory(streams, func(string) (string, bool) { return "", false }))
	root.DisableAutoGenTag = true
	for _, d := range []string{man, ref} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	header := &doc.GenManHeader{Section: "1", Source: "orgctl", Manual: "orgctl manual", Date: &docsDate}
	if err := doc.GenManTree(root, header, man); err != nil {
		return err
	}
	if err := doc.GenMarkdownTree(root, ref); err != nil {
		return err
	}
	// The help topics (exit-codes, environment, findings) are no commands,
	// which the tree generators skip; they are reference all the same.
	for _, c := range root.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		c.DisableAutoGenTag = true
		// Showing the topic once writes a Long that is made on demand
		// (findings).
		c.SetOut(io.Discard)
		if err := c.Help(); err != nil {
			return err
		}
		if err := genFile(filepath.Join(ref, "orgctl_"+c.Name()+".md"), c, doc.GenMarkdown); err != nil {
			return err
		}
		h := *header
		if err := genFile(filepath.Join(man, "orgctl-"+c.Name()+".1"), c, func(c *cobra.Command, w io.Writer) error { return doc.GenMan(c, &h, w) }); err != nil {
			return err
		}
	}
	return nil
}

func genFile(path string, c *cobra.Command, gen func(*cobra.Command, io.Writer) error) error {
	var b bytes.Buffer
	if err := gen(c, &b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// TestGeneratedDocs holds that docs/man and docs/cli are what the command
// tree generates; with UPDATE_DOCS=1 (make docs) it rewrites them.
func TestGeneratedDocs(t *testing.T) {
	if os.Getenv("UPDATE_DOCS") != "" {
		for _, d := range []string{manDir, refDir} {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := genDocs(manDir, refDir); err != nil {
			t.Fatal(err)
		}
		return
	}
	tmp := t.TempDir()
	man, ref := filepath.Join(tmp, "man"), filepath.Join(tmp, "cli")
	if err := genDocs(man, ref); err != nil {
		t.Fatal(err)
	}
	// Generated twice, the docs are the same: nothing depends on the day
	// or the machine.
	man2, ref2 := filepath.Join(tmp, "man2"), filepath.Join(tmp, "cli2")
	if err := genDocs(man2, ref2); err != nil {
		t.Fatal(err)
	}
	compareDirs(t, man2, man, "")
	compareDirs(t, ref2, ref, "")
	compareDirs(t, man, manDir, "the man pages in docs/man are stale: run 'make docs'")
	compareDirs(t, ref, refDir, "the command reference in docs/cli is stale: run 'make docs'")
}

// compareDirs reports every file that differs between want and got.
func compareDirs(t *testing.T, want, got, hint string) {
	t.Helper()
	names := func(dir string) []string {
		entries, _ := os.ReadDir(dir)
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	wantNames, gotNames := names(want), names(got)
	stale := false
	for _, n := range wantNames {
		w, _ := os.ReadFile(filepath.Join(want, n))
		g, err := os.ReadFile(filepath.Join(got, n))
		switch {
		case err != nil:
			t.Errorf("%s: missing", filepath.Join(got, n))
			stale = true
		case !bytes.Equal(w, g):
			t.Errorf("%s: differs from what the command tree generates", filepath.Join(got, n))
			stale = true
		}
	}
	for _, n := range gotNames {
		if !slices.Contains(wantNames, n) {
			t.Errorf("%s: not generated from the command tree any more", filepath.Join(got, n))
			stale = true
		}
	}
	if stale && hint != "" {
		t.Error(hint)
	}
}
