// Package sandbox runs orgctl's offline playground: a directory of zone
// files served on loopback by an authoritative server and by a resolver
// that answers from the same data, so that codes can be published and
// verified without touching the internet.
//
//	sb, err := sandbox.Start(sandbox.Options{Dir: dir})
//	defer sb.Close()
//	fmt.Println(sb.Flags()) // --resolver 127.0.0.1:40001 --ns-port 40002
//
// Editing a zone file takes effect at the next query (the servers watch
// the directory), which is how the demo "publishes" a record.
package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/orgctl/orgctl/verify/verifytest"
)

// Options configure a sandbox.
type Options struct {
	// Dir holds the zone files (*.zone, *.db). When it has none, an
	// example zone is written there.
	Dir string
	// Resolver and Authoritative are the listen addresses (loopback only);
	// empty picks free ports on 127.0.0.1.
	Resolver      string
	Authoritative string
	// OnReload, when set, hears of every re-reading of Dir after an edit,
	// with the reason the new files could not be served (nil: served).
	OnReload func(err error)
}

// Sandbox is a running sandbox.
type Sandbox struct {
	Dir      string
	Resolver *verifytest.Server // answers RD queries, chases CNAMEs
	Auth     *verifytest.Server // authoritative (AA=1), like BIND
}

// ExampleZone is the zone written to an empty sandbox directory. Its name
// servers have the loopback address; orgctl reaches them with --ns-port.
const ExampleZone = `$ORIGIN example.test.
$TTL 60
@       IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 60 )
@       IN NS  ns1.example.test.
ns1     IN A   127.0.0.1
@       IN TXT "v=spf1 -all"
www     IN A   127.0.0.1
`

// Start serves the zone files of o.Dir.
func Start(o Options) (*Sandbox, error) {
	if o.Dir == "" {
		return nil, errors.New("sandbox: no zone directory")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := seed(o.Dir); err != nil {
		return nil, err
	}
	for _, a := range []string{o.Resolver, o.Authoritative} {
		if a != "" {
			if err := loopback(a); err != nil {
				return nil, err
			}
		}
	}
	sb := &Sandbox{Dir: o.Dir}
	var err error
	// The authoritative server reports reloads; the resolver reads the
	// same files.
	if sb.Auth, err = start(o.Authoritative, verifytest.Options{OnReload: o.OnReload}, o.Dir); err != nil {
		return nil, err
	}
	if sb.Resolver, err = start(o.Resolver, verifytest.Options{Recursive: true}, o.Dir); err != nil {
		sb.Auth.Close()
		return nil, err
	}
	return sb, nil
}

func start(addr string, opts verifytest.Options, dir string) (*verifytest.Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s, err := verifytest.NewServerAt(addr, opts)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listening on %s: %w", addr, err)
	}
	if err := s.LoadDir(dir); err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return s, nil
}

// seed writes ExampleZone into dir when dir holds no zone file.
func seed(dir string) error {
	for _, pat := range []string{"*.zone", "*.db"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return err
		}
		if len(m) > 0 {
			return nil
		}
	}
	return os.WriteFile(filepath.Join(dir, "example.test.zone"), []byte(ExampleZone), 0o644)
}

// loopback refuses listen addresses that are not on loopback: the sandbox
// must never be reachable from other machines.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sandbox: invalid listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sandbox: listen address %q is not a loopback address", addr)
	}
	return nil
}

// NSPort is the port of the authoritative server.
func (s *Sandbox) NSPort() string {
	_, p, _ := net.SplitHostPort(s.Auth.Addr)
	return p
}

// Flags are the orgctl flags that point at the sandbox.
func (s *Sandbox) Flags() string {
	return fmt.Sprintf("--resolver %s --ns-port %s", s.Resolver.Addr, s.NSPort())
}

// Env are the environment assignments equivalent to Flags, one a line.
func (s *Sandbox) Env() string {
	return strings.Join([]string{
		"ORGCTL_RESOLVER=" + s.Resolver.Addr,
		"ORGCTL_NS_PORT=" + s.NSPort(),
	}, "\n") + "\n"
}

// Close stops both servers.
func (s *Sandbox) Close() error {
	return errors.Join(s.Resolver.Close(), s.Auth.Close())
}
