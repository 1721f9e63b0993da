package peertest

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Stub is a zone that Unbound resolves by asking the given authoritative servers (a stub-zone).
type Stub struct {
	Zone  string   // "example.test." (the final dot is optional)
	Addrs []string // "127.0.0.1:port" of each authoritative server, e.g. a BIND's Addr
}

// UnboundOptions configures StartUnbound.
type UnboundOptions struct {
	// TrustAnchors are DS or DNSKEY records in zone-file text (SignZone's ds), written to a
	// trust-anchor-file. With any, Unbound validates ("validator iterator") and sets AD on
	// answers it could validate; without, it only iterates.
	TrustAnchors []string
	// Extra is added verbatim at the end of the server: clause, one setting a line, e.g.
	// "cache-max-negative-ttl: 5" or "val-bogus-ttl: 1".
	Extra string
}

// Unbound is a running unbound resolver, answering recursive queries from 127.0.0.0/8.
type Unbound struct {
	Addr string // "127.0.0.1:port", UDP and TCP
	Dir  string // configuration, trust anchors and logs (unbound.log, unbound.out)

	port int
	d    *daemon
}

// StartUnbound runs unbound -d -c CONF as a resolver on a free port of 127.0.0.1 that resolves the
// stub zones through their servers, and returns once it answers, or fails the test. It is stopped in
// t.Cleanup.
//
// The readiness probe asks for a name that Unbound answers from its own local data, not one of
// the stub zones: a probe into a stub zone would fill the cache, and for a bogus zone it would use
// up the one answer that carries the extended error's text.
//
// Unbound never queries an address outside 127.0.0.0/8 (do-not-query-address covers the rest),
// and its root hints point at a blocked loopback address, so a name outside every stub zone fails
// at once (SERVFAIL) without a packet leaving the machine.
func StartUnbound(t testing.TB, opts UnboundOptions, stubs ...Stub) *Unbound {
	t.Helper()
	bin := Need(t, "unbound")
	dir := t.TempDir()
	u := &Unbound{Dir: dir}
	for _, s := range stubs {
		if len(s.Addrs) == 0 {
			t.Fatalf("peertest: StartUnbound: stub %s has no addresses", s.Zone)
		}
		for _, a := range s.Addrs {
			if _, _, err := net.SplitHostPort(a); err != nil {
				t.Fatalf("peertest: StartUnbound: stub %s: address %q: %v", s.Zone, a, err)
			}
		}
	}
	writeFile(t, filepath.Join(dir, "root.hints"), []byte(rootHints))
	if len(opts.TrustAnchors) > 0 {
		writeFile(t, filepath.Join(dir, "trust-anchors"), []byte(strings.Join(opts.TrustAnchors, "\n")+"\n"))
	}
	conf := filepath.Join(dir, "unbound.conf")
	u.d = &daemon{
		name: "unbound",
		bin:  bin,
		args: []string{"-d", "-c", conf},
		dir:  dir,
		out:  filepath.Join(dir, "unbound.out"),
		logs: []string{filepath.Join(dir, "unbound.log")},

		portInUse: unboundPortInUse,
	}
	u.d.cleanupOnEnd(t, func() string { return u.Addr })

	began := time.Now()
	u.Addr = u.d.launch(t, "StartUnbound", func(port int, addr string) {
		u.port, u.Addr = port, addr
		writeFile(t, conf, unboundConfig(dir, port, opts, stubs))
	}, u.start)
	t.Logf("peertest: unbound on %s answered in %v", u.Addr, time.Since(began).Round(time.Millisecond))
	return u
}

// Restart stops Unbound and starts it again on the same address with the same configuration and an
// empty cache: the way to flush it, since unbound-control is off.
func (u *Unbound) Restart(t testing.TB) {
	t.Helper()
	if err := u.d.stop(); err != nil {
		t.Fatalf("peertest: Restart: %v", err)
	}
	began := time.Now()
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		if err = u.start(); err == nil {
			t.Logf("peertest: unbound on %s restarted in %v", u.Addr, time.Since(began).Round(time.Millisecond))
			return
		}
		if stopErr := u.d.stop(); stopErr != nil {
			t.Errorf("peertest: %v", stopErr)
		}
		if !errors.Is(err, errPortInUse) || attempt == startAttempts {
			t.Fatalf("peertest: Restart unbound on %s: %v\n%s", u.Addr, err, u.d.failureReport())
		}
		// The address cannot change: wait for whoever took the port in between to let go.
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop stops Unbound before the test ends. Stopping twice is harmless.
func (u *Unbound) Stop(t testing.TB) {
	t.Helper()
	if err := u.d.stop(); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}

func (u *Unbound) start() error {
	if err := u.d.start(); err != nil {
		return err
	}
	return u.d.waitReady(u.probe)
}

// readyName is answered from Unbound's local data; see StartUnbound.
const readyName = "ready.peertest.invalid."

func (u *Unbound) probe() error {
	r, err := exchange(u.Addr, readyName, dns.TypeTXT, true)
	if err != nil {
		return err
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
		return fmt.Errorf("%s TXT: %s with %d answers", readyName, dns.RcodeToString[r.Rcode], len(r.Answer))
	}
	return nil
}

// unboundPortInUse recognizes "error: bind: address already in use" followed by
// "fatal error: could not open ports".
func unboundPortInUse(out string) bool {
	return strings.Contains(out, "address already in use")
}

// rootHints name a root server at an address that do-not-query-address blocks.
const rootHints = `.                      3600000 NS root.peertest.invalid.
root.peertest.invalid. 3600000 A  127.255.255.254
`

// notLoopback is every IPv4 block but 127.0.0.0/8, and all of IPv6.
var notLoopback = []string{
	"0.0.0.0/2", "64.0.0.0/3", "96.0.0.0/4", "112.0.0.0/5", "120.0.0.0/6",
	"124.0.0.0/7", "126.0.0.0/8", "128.0.0.0/1", "::/0",
}

func unboundConfig(dir string, port int, opts UnboundOptions, stubs []Stub) []byte {
	var c strings.Builder
	fmt.Fprintf(&c, `server:
	verbosity: 1
	interface: 127.0.0.1
	port: %[2]d
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	so-reuseport: no
	num-threads: 1
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	do-not-query-address: 127.255.255.254
	chroot: ""
	username: ""
	directory: %[1]q
	pidfile: %[3]q
	logfile: %[4]q
	use-syslog: no
	log-time-ascii: yes
	log-servfail: yes
	root-hints: %[5]q
	val-log-level: 2
	ede: yes
	trust-anchor-signaling: no
	local-zone: "peertest.invalid." static
	local-data: '%[6]s 0 IN TXT "ready"'
`, dir, port, filepath.Join(dir, "unbound.pid"), filepath.Join(dir, "unbound.log"),
		filepath.Join(dir, "root.hints"), readyName)
	for _, block := range notLoopback {
		fmt.Fprintf(&c, "\tdo-not-query-address: %s\n", block)
	}
	if len(opts.TrustAnchors) > 0 {
		fmt.Fprintf(&c, "\tmodule-config: \"validator iterator\"\n\ttrust-anchor-file: %q\n", filepath.Join(dir, "trust-anchors"))
	} else {
		c.WriteString("\tmodule-config: \"iterator\"\n")
	}
	// A stub zone does not override one of Unbound's default local zones (test., invalid., onion.,
	// the AS112 reverse zones, …) above it, which would answer NXDOMAIN: turn off the default zone
	// at the stub and at each of its parents. For a name that has no default zone, nodefault does
	// nothing.
	seen := map[string]bool{}
	for _, s := range stubs {
		labels := dns.SplitDomainName(dns.Fqdn(s.Zone))
		for i := range labels {
			name := dns.Fqdn(strings.Join(labels[i:], "."))
			if !seen[name] {
				seen[name] = true
				fmt.Fprintf(&c, "\tlocal-zone: %q nodefault\n", name)
			}
		}
	}
	if opts.Extra != "" {
		c.WriteString(opts.Extra)
		c.WriteString("\n")
	}
	for _, s := range stubs {
		fmt.Fprintf(&c, "stub-zone:\n\tname: %q\n", dns.Fqdn(s.Zone))
		for _, a := range s.Addrs {
			host, p, _ := net.SplitHostPort(a)
			fmt.Fprintf(&c, "\tstub-addr: %s@%s\n", host, p)
		}
	}
	return []byte(c.String())
}
