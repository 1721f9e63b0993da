package verifytest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// reloadEvery is how often a query may make the server look at its LoadDir
// directory.
const reloadEvery = 200 * time.Millisecond

// fileSig is what tells that a file changed.
type fileSig struct {
	size int64
	mod  int64 // UnixNano
}

// LoadDir replaces the served zones with those in the *.zone and *.db files in
// dir (not its subdirectories). A file's origin is its $ORIGIN or the owner of
// its SOA; failing both, the file name without the extension, so
// "example.com.zone" holds example.com.
//
// From then on the server watches dir: a query, at most every 200ms, or a
// call to ReloadIfChanged re-reads it when a file was added, removed, or
// changed size or modification time, so that someone editing a zone file sees
// the change without a restart. When the files do not parse, the server keeps
// serving the old data and LastError (and Options.OnReload) says why. LoadDir
// itself returns that error, but keeps watching dir.
func (s *Server) LoadDir(dir string) error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.dir, s.sig = dir, nil
	_, err := s.reload(true)
	return err
}

// ReloadIfChanged re-reads the LoadDir directory if it changed, reporting
// whether it did and why the new data could not be served. It does nothing
// when no directory is loaded.
func (s *Server) ReloadIfChanged() (bool, error) {
	s.rmu.Lock()
	changed, err := s.reload(false)
	s.rmu.Unlock()
	if changed {
		s.notify(err)
	}
	return changed, err
}

// LastError returns the reason the latest reading of the LoadDir directory
// failed, or nil if it succeeded.
func (s *Server) LastError() error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.lastErr
}

// maybeReload is ReloadIfChanged for the query path, at most every
// reloadEvery.
func (s *Server) maybeReload() {
	s.rmu.Lock()
	if s.dir == "" || time.Since(s.checked) < reloadEvery {
		s.rmu.Unlock()
		return
	}
	changed, err := s.reload(false)
	s.rmu.Unlock()
	if changed {
		s.notify(err)
	}
}

func (s *Server) notify(err error) {
	if f := s.options().OnReload; f != nil {
		f(err)
	}
}

// reload reads the directory if force or if it changed, and reports whether
// it did. s.rmu must be held.
func (s *Server) reload(force bool) (bool, error) {
	if s.dir == "" {
		return false, nil
	}
	s.checked = time.Now()
	sig, err := scanDir(s.dir)
	if err != nil {
		if !force && s.sig == nil && s.lastErr != nil {
			return false, s.lastErr // still broken; said so already
		}
		s.sig, s.lastErr = nil, err
		return true, err
	}
	if !force && maps.Equal(sig, s.sig) {
		return false, nil
	}
	// The files were looked at before they are read, so a write in between
	// shows up as a change at the next check.
	s.sig = sig
	zs, err := loadFiles(s.dir, slices.Sorted(maps.Keys(sig)))
	s.lastErr = err
	if err == nil {
		s.setZones(zs)
	}
	return true, err
}

// scanDir returns the signatures of the zone files in dir by name.
func scanDir(dir string) (map[string]fileSig, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("verifytest: %w", err)
	}
	sig := make(map[string]fileSig)
	for _, e := range ents {
		if e.IsDir() || zoneExt(e.Name()) == "" {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("verifytest: %w", err)
		}
		sig[e.Name()] = fileSig{size: fi.Size(), mod: fi.ModTime().UnixNano()}
	}
	return sig, nil
}

// zoneExt returns the extension of a file LoadDir serves, or "".
func zoneExt(name string) string {
	switch ext := filepath.Ext(name); ext {
	case ".zone", ".db":
		if len(name) > len(ext) {
			return ext
		}
	}
	return ""
}

// loadFiles parses the named files in dir, reporting every file that fails.
func loadFiles(dir string, names []string) (zoneSet, error) {
	zs := make(zoneSet, len(names))
	from := make(map[string]string)
	var errs []error
	for _, name := range names {
		path := filepath.Join(dir, name)
		text, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		origin := dns.Fqdn(strings.TrimSuffix(name, zoneExt(name)))
		if _, ok := dns.IsDomainName(origin); !ok {
			origin = ""
		}
		z, err := parseZone(string(text), origin, path)
		if err != nil {
			if !strings.HasPrefix(err.Error(), path) {
				err = fmt.Errorf("%s: %w", path, err)
			}
			errs = append(errs, err)
			continue
		}
		if other, dup := from[z.origin]; dup {
			errs = append(errs, fmt.Errorf("%s: zone %s is also in %s", path, z.origin, other))
			continue
		}
		zs[z.origin], from[z.origin] = z, path
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("verifytest: %w", err)
	}
	return zs, nil
}
