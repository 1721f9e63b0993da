// Package sandbox runs orgctl's offline playground: a directory of zone
// files served on loopback by an authoritative server and by a resolver
// that answers from the same data, and a web root served over HTTP, so
// that codes can be published and verified without touching the internet.
//
//	sb, err := sandbox.Start(sandbox.Options{Dir: dir})
//	defer sb.Close()
//	fmt.Println(sb.Flags()) // --resolver 127.0.0.1:40001 --ns-port 40002 --connect-to :80::40003
//
// Editing a zone file takes effect at the next query (the servers watch
// the directory), which is how the demo "publishes" a record. The web
// root holds a directory per host name (web/example.test/…); the sandbox
// zone's names resolve to 127.0.0.1, and --connect-to sends their port 80
// to the sandbox's web server. An in-memory SCIM 2.0 service (scimtest's)
// takes users and groups, so that provisioning can be tried too.
package sandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/orgctl/orgctl/scim/scimtest"
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
	// WebRoot holds a directory per host name whose files are served
	// over HTTP; empty is Dir/web. Web is its listen address.
	WebRoot string
	Web     string
	// SCIM is the listen address of the in-memory SCIM service.
	SCIM string
}

// Sandbox is a running sandbox.
type Sandbox struct {
	Dir      string
	Resolver *verifytest.Server // answers RD queries, chases CNAMEs
	Auth     *verifytest.Server // authoritative (AA=1), like BIND
	WebRoot  string
	WebAddr  string // 127.0.0.1:port of the web server
	// SCIMURL is the in-memory SCIM service's base URL
	// (http://127.0.0.1:port/scim/v2), and SCIMToken the bearer token it
	// wants: made up for this run, it guards nothing but the sandbox.
	SCIMURL   string
	SCIMToken string
	SCIM      *scimtest.Handler
	web       *http.Server
	scim      *http.Server
}

// ExampleZone is the zone written to an empty sandbox directory. Its name
// servers have the loopback address; orgctl reaches them with --ns-port.
const ExampleZone = `$ORIGIN example.test.
$TTL 60
@       IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 60 )
@       IN NS  ns1.example.test.
ns1     IN A   127.0.0.1
@       IN TXT "v=spf1 -all"
@       IN A   127.0.0.1
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
	for _, a := range []string{o.Resolver, o.Authoritative, o.Web, o.SCIM} {
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
	sb.WebRoot = o.WebRoot
	if sb.WebRoot == "" {
		sb.WebRoot = filepath.Join(o.Dir, "web")
	}
	if err := sb.serveWeb(o.Web); err != nil {
		sb.Resolver.Close()
		sb.Auth.Close()
		return nil, err
	}
	if err := sb.serveSCIM(o.SCIM); err != nil {
		sb.web.Close()
		sb.Resolver.Close()
		sb.Auth.Close()
		return nil, err
	}
	return sb, nil
}

// serveSCIM serves an in-memory SCIM service on addr, empty at start.
func (s *Sandbox) serveSCIM(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listening on %s: %w", addr, err)
	}
	s.SCIMToken = "sandbox-" + rand.Text()
	s.SCIM = scimtest.NewHandler(scimtest.Options{Token: s.SCIMToken})
	s.SCIMURL = "http://" + ln.Addr().String() + scimtest.BasePath
	s.scim = &http.Server{Handler: s.SCIM, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.scim.Serve(ln) }()
	return nil
}

// serveWeb serves WebRoot/<host>/<path> on addr.
func (s *Sandbox) serveWeb(addr string) error {
	if err := os.MkdirAll(filepath.Join(s.WebRoot, "example.test"), 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listening on %s: %w", addr, err)
	}
	s.WebAddr = ln.Addr().String()
	s.web = &http.Server{Handler: WebRoot(s.WebRoot), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.web.Serve(ln) }()
	return nil
}

// WebRoot serves root as virtual hosts: GET and HEAD get the file at
// root/<host>/<path>, 200 with its exact bytes, or 404. Directories are
// not listed and nothing outside root is served.
func WebRoot(root string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveFile(root, w, r) })
}

func serveFile(root string, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	clean := path.Clean("/" + r.URL.Path)
	if host == "" || strings.ContainsAny(host, `/\`) || strings.HasPrefix(host, ".") {
		http.NotFound(w, r)
		return
	}
	name := filepath.Join(root, host, filepath.FromSlash(clean))
	fi, err := os.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	data, err := os.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(clean))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
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

// ConnectTo is the --connect-to rule that sends HTTP requests on port 80,
// for any host, to the sandbox's web server; the host name is still
// resolved through the sandbox resolver.
func (s *Sandbox) ConnectTo() string {
	_, p, _ := net.SplitHostPort(s.WebAddr)
	return ":80::" + p
}

// Flags are the orgctl flags that point at the sandbox.
func (s *Sandbox) Flags() string {
	return fmt.Sprintf("--resolver %s --ns-port %s --connect-to %s", s.Resolver.Addr, s.NSPort(), s.ConnectTo())
}

// Env are the environment assignments equivalent to Flags, one a line.
func (s *Sandbox) Env() string {
	return strings.Join([]string{
		"ORGCTL_RESOLVER=" + s.Resolver.Addr,
		"ORGCTL_NS_PORT=" + s.NSPort(),
		"ORGCTL_CONNECT_TO=" + s.ConnectTo(),
		"ORGCTL_SCIM_URL=" + s.SCIMURL,
		"ORGCTL_SCIM_TOKEN=" + s.SCIMToken,
		// The sandbox's zones exist only here: diagnose has no other
		// view to compare with, and must not ask the system's resolvers.
		"ORGCTL_SYSTEM_RESOLVER=none",
	}, "\n") + "\n"
}

// Close stops the servers.
func (s *Sandbox) Close() error {
	return errors.Join(s.scim.Close(), s.web.Close(), s.Resolver.Close(), s.Auth.Close())
}
