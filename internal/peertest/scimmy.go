package peertest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// SCIMMY is a running SCIM 2.0 service written by others: the scimmy and scimmy-routers npm packages
// under Node, with Users (and the enterprise extension) and Groups kept in memory. The service is
// testdata/scimmy/server.js; what it works around in scimmy is written down there.
type SCIMMY struct {
	URL   string // SCIM base URL, "http://127.0.0.1:port/scim/v2"
	Token string // bearer token that every request needs
	Dir   string // the service's output (scimmy.out): one line per request

	d *daemon
}

// scimmyModules lists the npm packages server.js imports; each must be in node_modules.
var scimmyModules = []string{"scimmy", "scimmy-routers", "express"}

// StartSCIMMY runs the SCIM service on a free port of 127.0.0.1 with a random token and returns once
// it answers GET /ServiceProviderConfig, or fails the test. It is stopped in t.Cleanup.
//
// It needs node and the service's npm packages, which `make deps` installs (npm ci in
// internal/peertest/testdata/scimmy); without them the test is skipped, or fails under CI=true.
func StartSCIMMY(t testing.TB) *SCIMMY {
	t.Helper()
	node := Need(t, "node")
	src, err := scimmySource()
	if err != nil {
		t.Fatalf("peertest: StartSCIMMY: %v", err)
	}
	for _, m := range scimmyModules {
		if _, err := os.Stat(filepath.Join(src, "node_modules", m, "package.json")); err != nil {
			missing(t, fmt.Sprintf("npm package %s not installed in %s", m, filepath.Join(src, "node_modules")),
				"run make deps (or npm ci --prefix internal/peertest/testdata/scimmy)")
			return nil
		}
	}

	dir := t.TempDir()
	s := &SCIMMY{Dir: dir, Token: rand.Text()}
	s.d = &daemon{
		name: "scimmy",
		bin:  node,
		dir:  dir,
		out:  filepath.Join(dir, "scimmy.out"),
		env:  []string{"SCIM_TOKEN=" + s.Token},

		portInUse: func(out string) bool { return strings.Contains(out, "EADDRINUSE") },
	}
	s.d.cleanupOnEnd(t, func() string { return s.URL })

	began := time.Now()
	s.d.launch(t, "StartSCIMMY", func(port int, addr string) {
		s.d.args = []string{filepath.Join(src, "server.js"), strconv.Itoa(port)}
		s.URL = "http://" + addr + "/scim/v2"
	}, func() error {
		if err := s.d.start(); err != nil {
			t.Fatalf("peertest: StartSCIMMY: %v", err)
		}
		return s.d.waitReady(s.probe)
	})
	t.Logf("peertest: scimmy on %s answered in %v", s.URL, time.Since(began).Round(time.Millisecond))
	return s
}

// Stop stops the service before the test ends. Stopping twice is harmless.
func (s *SCIMMY) Stop(t testing.TB) {
	t.Helper()
	if err := s.d.stop(); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}

// probe asks for the ServiceProviderConfig with the token, on a connection of its own.
func (s *SCIMMY) probe() error {
	req, err := http.NewRequest(http.MethodGet, s.URL+"/ServiceProviderConfig", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	c := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /ServiceProviderConfig: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var spc struct {
		Schemas []string `json:"schemas"`
	}
	if err := json.Unmarshal(body, &spc); err != nil || len(spc.Schemas) == 0 {
		return fmt.Errorf("GET /ServiceProviderConfig: not a SCIM resource: %.200s", body)
	}
	return nil
}

// SCIMMYState is what the service holds and has counted, read without SCIM: the resources as
// stored, in the order of creation (users with id, meta and their attributes, the enterprise
// extension under its URN; groups with members as value, type, display and $ref), and the counts of
// SCIM requests since the start or ResetStats, in scimtest's terms (Faulted is always 0).
type SCIMMYState struct {
	Users  []map[string]any `json:"users"`
	Groups []map[string]any `json:"groups"`
	Stats  scimtest.Stats   `json:"stats"`
}

// Duplicates returns what the state holds more than once, as scimtest.FindDuplicates finds it.
func (st SCIMMYState) Duplicates() []scimtest.Duplicate {
	return scimtest.FindDuplicates(st.Users, st.Groups)
}

// State reads the service's whole state (GET /__state), or fails the test.
func (s *SCIMMY) State(t testing.TB) SCIMMYState {
	t.Helper()
	var st SCIMMYState
	body := s.inspect(t, http.MethodGet, "/__state", http.StatusOK)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("peertest: scimmy state: %v", err)
	}
	return st
}

// ResetStats sets the service's request counts to zero (DELETE /__stats), or fails the test.
func (s *SCIMMY) ResetStats(t testing.TB) {
	t.Helper()
	s.inspect(t, http.MethodDelete, "/__stats", http.StatusNoContent)
}

// inspect sends a request to one of the service's test endpoints, outside the SCIM base URL.
func (s *SCIMMY) inspect(t testing.TB, method, path string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL, "/scim/v2")+path, nil)
	if err != nil {
		t.Fatalf("peertest: scimmy %s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("peertest: scimmy %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("%s: %.300s", resp.Status, body)
	}
	if err != nil {
		t.Fatalf("peertest: scimmy %s %s: %v", method, path, err)
	}
	return body
}

// scimmySource returns the directory of server.js: next to this file when the source is there (the
// path runtime.Caller reports is absolute unless built with -trimpath), else found from the module
// root above the working directory, which is a package directory under go test.
func scimmySource() (string, error) {
	const rel = "internal/peertest/testdata/scimmy"
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Join(filepath.Dir(file), "testdata", "scimmy")
		if _, err := os.Stat(filepath.Join(dir, "server.js")); err == nil {
			return dir, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, filepath.FromSlash(rel))
			if _, err := os.Stat(filepath.Join(dir, "server.js")); err != nil {
				return "", fmt.Errorf("no %s/server.js in the module at %s: %w", rel, d, err)
			}
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("cannot find " + rel + ": no go.mod above " + wd)
		}
	}
}
