package peertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Zone is a DNS zone as zone-file text. Names in Text are relative to Origin unless they end in a dot.
type Zone struct {
	Origin string // "example.test." (the final dot is optional)
	Text   string
}

// records parses the zone text.
func (z Zone) records() ([]dns.RR, error) {
	origin := dns.Fqdn(z.Origin)
	zp := dns.NewZoneParser(strings.NewReader(z.Text), origin, origin)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("zone %s: %w", origin, err)
	}
	return rrs, nil
}

// serial returns the serial of the zone's SOA record.
func (z Zone) serial() (uint32, error) {
	rrs, err := z.records()
	if err != nil {
		return 0, err
	}
	origin := dns.Fqdn(z.Origin)
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, origin) {
			return soa.Serial, nil
		}
	}
	return 0, fmt.Errorf("zone %s: no SOA record at the origin", origin)
}

// AlterTXT returns a copy of z in which every TXT record at name (relative to the origin, or absolute
// with a final dot) holds value instead, and everything else, RRSIGs included, is unchanged. Applied
// to a zone from SignZone, it makes that TXT RRset bogus: a validating resolver answers SERVFAIL.
// The zone is rendered one record a line, with absolute names.
func AlterTXT(t testing.TB, z Zone, name, value string) Zone {
	t.Helper()
	rrs, err := z.records()
	if err != nil {
		t.Fatalf("peertest: %v", err)
	}
	origin := dns.Fqdn(z.Origin)
	owner := absName(name, origin)
	var b strings.Builder
	altered := 0
	for _, rr := range rrs {
		if txt, ok := rr.(*dns.TXT); ok && strings.EqualFold(txt.Hdr.Name, owner) {
			txt.Txt = []string{value}
			altered++
		}
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}
	if altered == 0 {
		t.Fatalf("peertest: AlterTXT: zone %s has no TXT record at %s", origin, owner)
	}
	return Zone{Origin: origin, Text: b.String()}
}

// absName makes name absolute: "@" and "" are the origin, a name with a final dot stays as it is.
func absName(name, origin string) string {
	switch {
	case name == "" || name == "@":
		return origin
	case dns.IsFqdn(name):
		return name
	case origin == ".":
		return name + "."
	default:
		return name + "." + origin
	}
}

// fileName turns a zone origin into a file name: "example.test." gives "example.test", "." gives "root".
func fileName(origin string) string {
	o := strings.TrimSuffix(dns.Fqdn(origin), ".")
	if o == "" {
		return "root"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, o)
}
