package peertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// toolTimeout bounds each run of dnssec-keygen, dnssec-signzone and dnssec-dsfromkey.
const toolTimeout = 30 * time.Second

// SignOptions configures SignZone.
type SignOptions struct {
	// Inception and Expiration bound the signatures' validity, as YYYYMMDDHHMMSS in UTC (or any
	// form dnssec-signzone's -s and -e take, such as "now-3600" or "+86400"). Empty means
	// dnssec-signzone's defaults: an hour ago, and 30 days after the inception. A past window
	// ("20200101000000" to "20200201000000") gives signatures a validator rejects as expired.
	// With either set, dnssec-signzone's check of its own output (-P) is skipped.
	Inception, Expiration string
}

// SignZone signs z with a fresh ECDSAP256SHA256 key pair, a KSK and a ZSK made by dnssec-keygen,
// using dnssec-signzone (NSEC). It returns the signed zone, to serve with StartBIND, and the KSK's
// DS record (from dnssec-dsfromkey, SHA-256) in zone-file text, to give Unbound as a trust anchor.
func SignZone(t testing.TB, z Zone, opts SignOptions) (signed Zone, ds string) {
	t.Helper()
	keygen := Need(t, "dnssec-keygen")
	signzone := Need(t, "dnssec-signzone")
	dsfromkey := Need(t, "dnssec-dsfromkey")
	origin := dns.Fqdn(z.Origin)
	if _, err := z.serial(); err != nil {
		t.Fatalf("peertest: SignZone: %v", err)
	}
	dir := t.TempDir()
	began := time.Now()

	ksk := strings.TrimSpace(run(t, dir, toolTimeout, keygen, "-q", "-K", dir, "-a", "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE", origin))
	zsk := strings.TrimSpace(run(t, dir, toolTimeout, keygen, "-q", "-K", dir, "-a", "ECDSAP256SHA256", "-n", "ZONE", origin))

	// The DNSKEY records go into the zone text itself, so the zone file needs no $INCLUDE paths.
	text := z.Text + "\n"
	for _, key := range []string{ksk, zsk} {
		data, err := os.ReadFile(filepath.Join(dir, key+".key"))
		if err != nil {
			t.Fatalf("peertest: SignZone: %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, ";") {
				text += line + "\n"
			}
		}
	}
	unsigned := filepath.Join(dir, "zone.db")
	writeFile(t, unsigned, []byte(text))

	out := filepath.Join(dir, "zone.signed")
	args := []string{"-q", "-K", dir, "-o", origin, "-f", out, "-k", ksk + ".key"}
	if opts.Inception != "" {
		args = append(args, "-s", opts.Inception)
	}
	if opts.Expiration != "" {
		args = append(args, "-e", opts.Expiration)
	}
	if opts.Inception != "" || opts.Expiration != "" {
		// dnssec-signzone verifies the zone it wrote against the current time, and rejects
		// signatures outside their window ("No self-signed KSK DNSKEY found"): a deliberately
		// expired zone would never be written.
		args = append(args, "-P")
	}
	args = append(args, unsigned, zsk+".key")
	run(t, dir, toolTimeout, signzone, args...)

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("peertest: SignZone: %v", err)
	}
	ds = strings.TrimSpace(run(t, dir, toolTimeout, dsfromkey, "-2", ksk+".key"))
	t.Logf("peertest: signed %s in %v", origin, time.Since(began).Round(time.Millisecond))
	return Zone{Origin: origin, Text: string(data)}, ds
}
