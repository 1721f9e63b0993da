package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BINDOptions configures StartBIND.
type BINDOptions struct {
	// MaxUDPSize is BIND's max-udp-size, the largest UDP response it sends; 0 means 1232. Larger
	// responses come back truncated (TC) over UDP, and whole over TCP.
	MaxUDPSize int
	// ExtraOptions is added verbatim inside options { }, e.g. "minimal-responses yes;".
	ExtraOptions string
}

// BIND is a running named serving zones as a primary, authoritatively, without recursion.
type BIND struct {
	Addr string // "127.0.0.1:port", UDP and TCP
	Dir  string // configuration, zone files and named's output (named.out)

	opts  BINDOptions
	port  int
	zones []Zone
	d     *daemon
}

// StartBIND runs named -g -4 -c CONF serving zones on a free port of 127.0.0.1 and returns once it
// answers an authoritative SOA query for every zone, or fails the test. It is stopped in t.Cleanup.
//
// named runs with recursion, DNSSEC validation, NOTIFY and rndc (controls { }) off, so it never
// sends a packet of its own. It runs with -g rather than -f: with -f, errors before the logging
// configuration is read (a port in use, a bad named.conf) go to syslog and are lost.
func StartBIND(t testing.TB, opts BINDOptions, zones ...Zone) *BIND {
	t.Helper()
	bin := Need(t, "named")
	if opts.MaxUDPSize == 0 {
		opts.MaxUDPSize = 1232
	}
	dir := t.TempDir()
	b := &BIND{Dir: dir, opts: opts}
	for _, z := range zones {
		z.Origin = dns.Fqdn(z.Origin)
		for _, have := range b.zones {
			if strings.EqualFold(have.Origin, z.Origin) {
				t.Fatalf("peertest: StartBIND: zone %s given twice", z.Origin)
			}
		}
		if _, err := z.serial(); err != nil {
			t.Fatalf("peertest: StartBIND: %v", err)
		}
		b.writeZone(t, z)
		b.zones = append(b.zones, z)
	}
	conf := filepath.Join(dir, "named.conf")
	b.d = &daemon{
		name: "named",
		bin:  bin,
		args: []string{"-g", "-4", "-c", conf},
		dir:  dir,
		out:  filepath.Join(dir, "named.out"),

		portInUse: bindPortInUse,
		broken:    bindBroken,
	}
	b.d.cleanupOnEnd(t, func() string { return b.Addr })

	began := time.Now()
	b.Addr = b.d.launch(t, "StartBIND", func(port int, addr string) {
		b.port, b.Addr = port, addr
		writeFile(t, conf, b.config())
	}, func() error {
		if err := b.d.start(); err != nil {
			t.Fatalf("peertest: StartBIND: %v", err)
		}
		return b.d.waitReady(b.probe)
	})
	t.Logf("peertest: named on %s answered for %d zone(s) in %v", b.Addr, len(b.zones), time.Since(began).Round(time.Millisecond))
	return b
}

// bindPortInUse recognizes named's words for a port it could not bind: it logs that it cannot
// create the interface and exits, without saying "address in use" in 9.18.
func bindPortInUse(out string) bool {
	return strings.Contains(out, "address in use") ||
		strings.Contains(out, "unable to listen on any configured interfaces")
}

// bindBroken finds the line saying that a zone did not load (named runs on without it) or that a
// reload failed.
func bindBroken(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "not loaded due to errors") || strings.Contains(line, "reloading configuration failed") {
			return line
		}
	}
	return ""
}

// SetZone replaces the zone with z's origin (or adds z when the server has no such zone yet),
// reloads named with SIGHUP and waits until the new SOA serial is served. The serial must differ
// from the one served now: it is how SetZone knows named loaded the new text.
func (b *BIND) SetZone(t testing.TB, z Zone) {
	t.Helper()
	z.Origin = dns.Fqdn(z.Origin)
	serial, err := z.serial()
	if err != nil {
		t.Fatalf("peertest: SetZone: %v", err)
	}
	i := -1
	for j, have := range b.zones {
		if strings.EqualFold(have.Origin, z.Origin) {
			i = j
		}
	}
	if i >= 0 {
		if old, _ := b.zones[i].serial(); old == serial {
			t.Fatalf("peertest: SetZone %s: serial %d is the one served now; change it so the reload can be seen", z.Origin, serial)
		}
		b.zones[i] = z
	} else {
		b.zones = append(b.zones, z)
	}
	b.writeZone(t, z)
	writeFile(t, filepath.Join(b.Dir, "named.conf"), b.config())

	if !b.d.running() {
		t.Fatalf("peertest: SetZone %s: named is not running\n%s", z.Origin, b.d.failureReport())
	}
	began := time.Now()
	deadline := began.Add(startTimeout)
	from := b.d.outputSize()
	var lastHUP time.Time
	for {
		// A reload can miss a file written within the same instant as the previous load; a
		// second SIGHUP a moment later catches it.
		if time.Since(lastHUP) > time.Second {
			if err := signalProcess(b.d.p.cmd, sigHup); err != nil {
				t.Fatalf("peertest: SetZone %s: reload named: %v", z.Origin, err)
			}
			lastHUP = time.Now()
		}
		err := b.probeZone(z.Origin, serial)
		if err == nil {
			break
		}
		if line := bindBroken(b.d.outputFrom(from)); line != "" {
			t.Fatalf("peertest: SetZone %s: %s\n%s", z.Origin, line, b.d.failureReport())
		}
		if !b.d.running() || time.Now().After(deadline) {
			t.Fatalf("peertest: SetZone %s: named did not serve serial %d within %v: %v\n%s",
				z.Origin, serial, startTimeout, err, b.d.failureReport())
		}
		time.Sleep(pollInterval)
	}
	t.Logf("peertest: named on %s serves %s serial %d after %v", b.Addr, z.Origin, serial, time.Since(began).Round(time.Millisecond))
}

// Stop stops named before the test ends, e.g. to see how a client copes with a server that is
// gone. The port stays unused by this package. Stopping twice is harmless.
func (b *BIND) Stop(t testing.TB) {
	t.Helper()
	if err := b.d.stop(); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}

// probe checks that every zone is served with its current serial.
func (b *BIND) probe() error {
	if len(b.zones) == 0 {
		// Nothing to ask for: any answer (REFUSED) shows named is up.
		_, err := exchange(b.Addr, ".", dns.TypeSOA, false)
		return err
	}
	for _, z := range b.zones {
		serial, _ := z.serial()
		if err := b.probeZone(z.Origin, serial); err != nil {
			return err
		}
	}
	return nil
}

// probeZone checks that named answers origin SOA authoritatively with the given serial.
func (b *BIND) probeZone(origin string, serial uint32) error {
	r, err := exchange(b.Addr, origin, dns.TypeSOA, false)
	if err != nil {
		return err
	}
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
		return fmt.Errorf("%s SOA: %s, aa=%v", origin, dns.RcodeToString[r.Rcode], r.Authoritative)
	}
	for _, rr := range r.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			if soa.Serial != serial {
				return fmt.Errorf("%s SOA: serial %d, want %d", origin, soa.Serial, serial)
			}
			return nil
		}
	}
	return fmt.Errorf("%s SOA: no SOA in the answer", origin)
}

// writeZone writes z's file atomically, so a reload never reads half of it.
func (b *BIND) writeZone(t testing.TB, z Zone) {
	t.Helper()
	path := filepath.Join(b.Dir, "db."+fileName(z.Origin))
	tmp := path + ".tmp"
	writeFile(t, tmp, []byte(z.Text+"\n"))
	if err := os.Rename(tmp, path); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}

func (b *BIND) config() []byte {
	var c strings.Builder
	fmt.Fprintf(&c, `options {
	directory %[1]q;
	pid-file %[2]q;
	session-keyfile %[3]q;
	managed-keys-directory %[1]q;
	listen-on port %[4]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	reuseport no;
	max-udp-size %[5]d;
%[6]s
};
controls { };
`, b.Dir, filepath.Join(b.Dir, "named.pid"), filepath.Join(b.Dir, "session.key"),
		b.port, b.opts.MaxUDPSize, b.opts.ExtraOptions)
	for _, z := range b.zones {
		fmt.Fprintf(&c, "zone %q { type primary; file %q; };\n", z.Origin, "db."+fileName(z.Origin))
	}
	return []byte(c.String())
}

// exchange sends one query over UDP with a short timeout, for the readiness probes.
func exchange(addr, name string, qtype uint16, rd bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = rd
	c := &dns.Client{Net: "udp", Timeout: 250 * time.Millisecond}
	r, _, err := c.Exchange(m, addr)
	return r, err
}
