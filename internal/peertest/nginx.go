package peertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Site is one virtual host of an nginx started by StartNginx.
type Site struct {
	// Name is the server_name and the Host (and, over TLS, the SNI name) that reaches the site,
	// e.g. "crlf.web.test". Case and a final dot do not matter, to nginx either.
	Name string
	// Files are written, byte for byte, below the site's root: "logmein-verification-code.txt" →
	// its content. Names are slash-separated and may name subdirectories.
	Files map[string]string
	// Config is added verbatim inside the site's server { }, e.g.
	// `location = /x { return 301 http://a.test/; }` or `location / { echo_sleep 30; echo hi; }`.
	Config string
}

// NginxOptions configures StartNginx.
type NginxOptions struct {
	// TLS has every site listen with ssl too, on a second port, with a self-signed certificate
	// made at start for the sites' names and 127.0.0.1.
	TLS bool
	// Extra is added verbatim inside http { }.
	Extra string
}

// Nginx is a running nginx serving the sites' files as virtual hosts.
type Nginx struct {
	Addr    string // "127.0.0.1:port", plain HTTP
	TLSAddr string // "127.0.0.1:port" with TLS when NginxOptions.TLS, else ""
	Dir     string // the prefix: nginx.conf, sites/NAME (the roots), logs/, temp/, tls/
	CertPEM []byte // the self-signed certificate served on TLSAddr, when NginxOptions.TLS

	opts  NginxOptions
	sites []Site
	port  int
	tport int
	d     *daemon
}

// echoModule is the dynamic module that gives echo_sleep and echo; tests replace it to see a
// missing module handled.
var echoModule = "/usr/lib/nginx/modules/ngx_http_echo_module.so"

const (
	// nginxProbeHost names no site, so the readiness probe reaches the default server.
	nginxProbeHost = "ready.peertest.invalid"
	// nginxNoSite is the body of the default server's 404, which answers every Host that names
	// no site.
	nginxNoSite = "peertest: no site for this Host\n"
)

// StartNginx runs nginx -e ERRLOG -p DIR -c CONF in the foreground, serving sites on a free port of
// 127.0.0.1 (and, with opts.TLS, on a second one with TLS), and returns once it answers, or fails
// the test. It is stopped in t.Cleanup.
//
// A default server answers 404 to any Host that names no site, so a wrong Host never reaches
// another site by accident. Types are set here rather than read from /etc/nginx/mime.types: .txt is
// text/plain (without a charset), .html text/html, anything else application/octet-stream.
//
// nginx runs as a single process (master_process off): SIGTERM ends it at once, even while it holds
// a request open, and on Linux it dies with the test binary, which forked workers would not.
// The echo module is loaded when it is installed; a site whose Config uses echo directives without
// it skips the test (fails it under CI=true), as Need does.
func StartNginx(t testing.TB, opts NginxOptions, sites ...Site) *Nginx {
	t.Helper()
	bin := Need(t, "nginx")
	needEcho(t, opts, sites)
	dir := t.TempDir()
	if strings.Contains(dir, "$") {
		// nginx reads $ in root paths as a variable and has no way to escape it.
		t.Fatalf("peertest: StartNginx: directory %q holds a $, which nginx cannot take in a path; rename the test", dir)
	}
	n := &Nginx{Dir: dir, opts: opts}
	seen := map[string]bool{}
	for _, s := range sites {
		if !validSiteName.MatchString(s.Name) {
			t.Fatalf("peertest: StartNginx: site name %q: want a host name such as crlf.web.test", s.Name)
		}
		s.Name = strings.TrimSuffix(strings.ToLower(s.Name), ".")
		if seen[s.Name] {
			t.Fatalf("peertest: StartNginx: site %s given twice", s.Name)
		}
		seen[s.Name] = true
		n.writeSite(t, s)
		n.sites = append(n.sites, s)
	}
	for _, sub := range []string{"logs", "temp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("peertest: %v", err)
		}
	}
	if opts.TLS {
		n.writeCert(t)
	}
	conf := filepath.Join(dir, "nginx.conf")
	// nginx writes its error log itself; its stdout and stderr (the same messages again, and
	// anything before the configuration is read) go to the same file, so the daemon's output is
	// all nginx has to say.
	errLog := filepath.Join(dir, "logs", "error.log")
	n.d = &daemon{
		name: "nginx",
		bin:  bin,
		args: []string{"-e", errLog, "-p", dir, "-c", conf},
		dir:  dir,
		out:  errLog,
		logs: []string{filepath.Join(dir, "logs", "access.log")},

		portInUse: nginxPortInUse,
	}
	n.d.cleanupOnEnd(t, func() string { return n.Addr })

	began := time.Now()
	n.Addr = n.d.launch(t, "StartNginx", func(port int, addr string) {
		n.port, n.Addr = port, addr
		if opts.TLS {
			tport, err := pickPort()
			if err != nil {
				t.Fatalf("peertest: StartNginx: %v", err)
			}
			n.tport, n.TLSAddr = tport, net.JoinHostPort("127.0.0.1", strconv.Itoa(tport))
		}
		writeFile(t, conf, n.config())
	}, func() error {
		if err := n.d.start(); err != nil {
			t.Fatalf("peertest: StartNginx: %v", err)
		}
		return n.d.waitReady(n.probe)
	})
	if n.TLSAddr != "" {
		t.Logf("peertest: nginx on %s (TLS on %s) answered for %d site(s) in %v", n.Addr, n.TLSAddr, len(n.sites), time.Since(began).Round(time.Millisecond))
	} else {
		t.Logf("peertest: nginx on %s answered for %d site(s) in %v", n.Addr, len(n.sites), time.Since(began).Round(time.Millisecond))
	}
	return n
}

// Stop stops nginx before the test ends, e.g. to see how a client copes with a server that is
// gone. Stopping twice is harmless.
func (n *Nginx) Stop(t testing.TB) {
	t.Helper()
	if err := n.d.stop(); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}

// validSiteName accepts host names, with a leading "*." for nginx's wildcard names. It keeps
// a name usable as a directory name under sites/.
var validSiteName = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$`)

// usesEcho finds an echo module directive (echo, echo_sleep, echo_flush, …) in configuration text.
var usesEcho = regexp.MustCompile(`(^|[\s;{}])echo(_[a-z_]+)?[\s;]`)

// needEcho skips the test, or fails it under CI=true, when the configuration uses the echo module
// and it is not installed: nginx would only say "unknown directive".
func needEcho(t testing.TB, opts NginxOptions, sites []Site) {
	t.Helper()
	if _, err := os.Stat(echoModule); err == nil {
		return
	}
	texts := []string{opts.Extra}
	for _, s := range sites {
		texts = append(texts, s.Config)
	}
	for _, text := range texts {
		if m := usesEcho.FindString(text); m != "" {
			missing(t, fmt.Sprintf("nginx's echo module (%s), which %q needs, is not installed", echoModule, strings.TrimSpace(m)),
				aptHint("libnginx-mod-http-echo"))
			return
		}
	}
}

// nginxPortInUse recognizes "bind() to 127.0.0.1:port failed (98: Address already in use)".
func nginxPortInUse(out string) bool {
	return strings.Contains(out, "Address already in use")
}

// writeSite writes s's files below its root.
func (n *Nginx) writeSite(t testing.TB, s Site) {
	t.Helper()
	root := n.root(s)
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("peertest: %v", err)
	}
	for name, content := range s.Files {
		rel := filepath.FromSlash(name)
		if !filepath.IsLocal(rel) {
			t.Fatalf("peertest: StartNginx: site %s: file name %q is not a path inside the root", s.Name, name)
		}
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("peertest: %v", err)
		}
		writeFile(t, path, []byte(content))
	}
}

func (n *Nginx) root(s Site) string {
	return filepath.Join(n.Dir, "sites", s.Name)
}

// writeCert makes a self-signed ECDSA certificate for the sites' names and 127.0.0.1, valid from an
// hour ago for a day, and writes it and its key under tls/.
func (n *Nginx) writeCert(t testing.TB) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("peertest: StartNginx: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("peertest: StartNginx: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "peertest nginx"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	for _, s := range n.sites {
		tmpl.DNSNames = append(tmpl.DNSNames, s.Name)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("peertest: StartNginx: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("peertest: StartNginx: %v", err)
	}
	n.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.MkdirAll(filepath.Join(n.Dir, "tls"), 0o755); err != nil {
		t.Fatalf("peertest: %v", err)
	}
	writeFile(t, filepath.Join(n.Dir, "tls", "cert.pem"), n.CertPEM)
	writeFile(t, filepath.Join(n.Dir, "tls", "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// probe asks the default server for a Host that names no site, over plain HTTP and, with TLS, over
// TLS: the 404 with nginxNoSite shows that nginx has read this configuration and serves both ports.
func (n *Nginx) probe() error {
	if err := probeNoSite("http", n.Addr, nil); err != nil {
		return err
	}
	if n.TLSAddr == "" {
		return nil
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(n.CertPEM) {
		return errors.New("cannot read the certificate made at start")
	}
	// The URL's host is 127.0.0.1: no SNI, and the certificate's IP address is what is checked.
	return probeNoSite("https", n.TLSAddr, &tls.Config{RootCAs: roots})
}

func probeNoSite(scheme, addr string, tlsConf *tls.Config) error {
	c := &http.Client{
		Timeout:   500 * time.Millisecond,
		Transport: &http.Transport{TLSClientConfig: tlsConf, DisableKeepAlives: true},
	}
	req, err := http.NewRequest(http.MethodGet, scheme+"://"+addr+"/", nil)
	if err != nil {
		return err
	}
	req.Host = nginxProbeHost
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNotFound || string(body) != nginxNoSite {
		return fmt.Errorf("%s://%s/ with Host %s: got %s %q, want 404 %q", scheme, addr, nginxProbeHost, resp.Status, body, nginxNoSite)
	}
	return nil
}

// config writes nginx.conf. Every path nginx would otherwise take from its build (/var/lib/nginx,
// /var/log/nginx, /run/nginx.pid, /var/lock) is set under the prefix.
func (n *Nginx) config() []byte {
	path := func(elem ...string) string {
		return strconv.Quote(filepath.Join(append([]string{n.Dir}, elem...)...))
	}
	var c strings.Builder
	c.WriteString("daemon off;\nmaster_process off;\n")
	if os.Geteuid() == 0 {
		c.WriteString("user root root;\n")
	}
	fmt.Fprintf(&c, "pid %s;\nlock_file %s;\nerror_log %s notice;\n", path("nginx.pid"), path("nginx.lock"), path("logs", "error.log"))
	if _, err := os.Stat(echoModule); err == nil {
		fmt.Fprintf(&c, "load_module %s;\n", strconv.Quote(echoModule))
	}
	fmt.Fprintf(&c, `events {
	worker_connections 256;
}
http {
	log_format peertest '$remote_addr "$host" $server_name "$request" $status $body_bytes_sent "$http_user_agent"';
	access_log %s peertest;
	client_body_temp_path %s;
	proxy_temp_path %s;
	fastcgi_temp_path %s;
	uwsgi_temp_path %s;
	scgi_temp_path %s;
	types {
		text/plain txt;
		text/html html;
	}
	default_type application/octet-stream;
	server_tokens off;
`, path("logs", "access.log"), path("temp", "client_body"), path("temp", "proxy"), path("temp", "fastcgi"),
		path("temp", "uwsgi"), path("temp", "scgi"))
	if n.opts.TLS {
		fmt.Fprintf(&c, "\tssl_certificate %s;\n\tssl_certificate_key %s;\n", path("tls", "cert.pem"), path("tls", "key.pem"))
	}
	listen := func(extra string) {
		fmt.Fprintf(&c, "\t\tlisten 127.0.0.1:%d%s;\n", n.port, extra)
		if n.opts.TLS {
			fmt.Fprintf(&c, "\t\tlisten 127.0.0.1:%d ssl%s;\n", n.tport, extra)
		}
	}
	c.WriteString("\tserver {\n")
	listen(" default_server")
	fmt.Fprintf(&c, "\t\tserver_name \"\";\n\t\tdefault_type text/plain;\n\t\treturn 404 %s;\n\t}\n", strconv.Quote(nginxNoSite))
	for _, s := range n.sites {
		c.WriteString("\tserver {\n")
		listen("")
		fmt.Fprintf(&c, "\t\tserver_name %s;\n\t\troot %s;\n", s.Name, strconv.Quote(n.root(s)))
		if s.Config != "" {
			fmt.Fprintf(&c, "%s\n", s.Config)
		}
		c.WriteString("\t}\n")
	}
	if n.opts.Extra != "" {
		fmt.Fprintf(&c, "%s\n", n.opts.Extra)
	}
	c.WriteString("}\n")
	return []byte(c.String())
}
