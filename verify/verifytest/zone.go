package verifytest

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// defaultTTL is the TTL of records that name none and follow no $TTL line.
// BIND would use the SOA MINIMUM with a warning; a fixed value is easier to
// predict in a test.
const defaultTTL = 3600

// zone is one parsed zone: its apex, its SOA and its records by owner.
type zone struct {
	origin string // canonical: lower case, fully qualified
	soa    *dns.SOA
	neg    *dns.SOA // the SOA for negative answers, TTL = min(TTL, MINIMUM) (RFC 2308 §3)
	nodes  map[string]map[uint16][]dns.RR
	exists map[string]bool // every owner and empty non-terminal, up to the apex
}

// zoneSet holds zones by canonical origin.
type zoneSet map[string]*zone

// parseZones parses zone texts as given to NewServer and SetZones.
func parseZones(texts []string) (zoneSet, error) {
	zs := make(zoneSet, len(texts))
	for i, text := range texts {
		z, err := parseZone(text, "", "")
		if err != nil {
			return nil, fmt.Errorf("verifytest: zone %d: %w", i+1, err)
		}
		if _, dup := zs[z.origin]; dup {
			return nil, fmt.Errorf("verifytest: zone %d: zone %s given twice", i+1, z.origin)
		}
		zs[z.origin] = z
	}
	return zs, nil
}

// parseZone parses zone-file text. The apex is the owner of the SOA record;
// a zone without one gets a synthesised SOA at the first $ORIGIN, or at origin
// (the name implied by the file name) when the text has no $ORIGIN line.
// $INCLUDE is not allowed: zone text may come from an untrusted test fixture.
func parseZone(text, origin, file string) (*zone, error) {
	zp := dns.NewZoneParser(strings.NewReader(text), origin, file)
	zp.SetDefaultTTL(defaultTTL)
	var (
		rrs []dns.RR
		soa *dns.SOA
	)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if s, isSOA := rr.(*dns.SOA); isSOA {
			if soa != nil {
				return nil, fmt.Errorf("more than one SOA record (%s and %s)", soa.Hdr.Name, s.Hdr.Name)
			}
			soa = s
		}
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}

	var apex string
	switch {
	case soa != nil:
		apex = soa.Hdr.Name
	case firstOrigin(text, origin) != "":
		apex = firstOrigin(text, origin)
	case origin != "":
		apex = origin
	default:
		return nil, errors.New("no SOA record and no $ORIGIN line: cannot tell the zone's origin")
	}
	apex = dns.CanonicalName(apex)
	if soa == nil {
		soa = defaultSOA(apex)
		rrs = append([]dns.RR{soa}, rrs...)
	}

	z := &zone{
		origin: apex,
		soa:    soa,
		nodes:  make(map[string]map[uint16][]dns.RR),
		exists: make(map[string]bool),
	}
	z.neg = dns.Copy(soa).(*dns.SOA)
	z.neg.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	for _, rr := range rrs {
		if err := z.add(rr); err != nil {
			return nil, err
		}
	}
	if err := z.check(); err != nil {
		return nil, err
	}
	return z, nil
}

// firstOrigin returns the name on the first $ORIGIN line of text, fully
// qualified against origin, or "".
func firstOrigin(text, origin string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.EqualFold(f[0], "$ORIGIN") {
			continue
		}
		name := f[1]
		switch {
		case dns.IsFqdn(name):
			return name
		case origin == "" || origin == ".":
			return dns.Fqdn(name)
		default:
			return name + "." + origin
		}
	}
	return ""
}

// defaultSOA is the SOA of a zone text that has none. The names under
// .invalid (RFC 6761) make it plain that they are made up.
func defaultSOA(apex string) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: defaultTTL},
		Ns:      "ns.verifytest.invalid.",
		Mbox:    "hostmaster.verifytest.invalid.",
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  60,
	}
}

// add adds rr, dropping exact duplicates as BIND does.
func (z *zone) add(rr dns.RR) error {
	h := rr.Header()
	name := dns.CanonicalName(h.Name)
	if !dns.IsSubDomain(z.origin, name) {
		return fmt.Errorf("%s %s is outside the zone %s", h.Name, dns.TypeToString[h.Rrtype], z.origin)
	}
	node := z.nodes[name]
	if node == nil {
		node = make(map[uint16][]dns.RR)
		z.nodes[name] = node
	}
	for _, old := range node[h.Rrtype] {
		if dns.IsDuplicate(old, rr) {
			return nil
		}
	}
	node[h.Rrtype] = append(node[h.Rrtype], rr)
	for n := name; !z.exists[n]; n = parent(n) {
		z.exists[n] = true
		if n == z.origin {
			break
		}
	}
	return nil
}

// check rejects what BIND refuses to load: a CNAME next to other data
// (RFC 1034 §3.6.2; DNSSEC records excepted) or more than one CNAME at a name.
func (z *zone) check() error {
	for _, name := range slices.Sorted(maps.Keys(z.nodes)) {
		node := z.nodes[name]
		cn := node[dns.TypeCNAME]
		if len(cn) == 0 {
			continue
		}
		if len(cn) > 1 {
			return fmt.Errorf("%s has more than one CNAME record", name)
		}
		for t := range node {
			switch t {
			case dns.TypeCNAME, dns.TypeRRSIG, dns.TypeNSEC:
			default:
				return fmt.Errorf("%s has a CNAME record and other data (%s)", name, dns.TypeToString[t])
			}
		}
	}
	return nil
}

// lookup finds the records for name, which must be in z. exists reports
// whether the name exists, directly, as an empty non-terminal (node is nil),
// or through a wildcard (RFC 4592 §3.3.1: the "*" child of the closest
// encloser), in which case wild is true and the records must be re-owned.
func (z *zone) lookup(name string) (node map[uint16][]dns.RR, wild, exists bool) {
	if z.exists[name] {
		return z.nodes[name], false, true
	}
	for ce := parent(name); ; ce = parent(ce) {
		if !z.exists[ce] {
			continue // the apex exists, so this ends there at the latest
		}
		w := "*." + ce
		if ce == "." {
			w = "*."
		}
		if z.exists[w] {
			return z.nodes[w], true, true
		}
		return nil, false, false
	}
}

// cut returns the highest delegation point (an NS RRset below the apex) at
// or above name, or "". A DS query at the cut itself belongs to the parent
// side (RFC 4035 §3.1.4.1), so that cut does not count.
func (z *zone) cut(name string, qtype uint16) string {
	var path []string
	for n := name; n != z.origin; n = parent(n) {
		path = append(path, n)
	}
	for i := len(path) - 1; i >= 0; i-- {
		n := path[i]
		if len(z.nodes[n][dns.TypeNS]) == 0 || (n == name && qtype == dns.TypeDS) {
			continue
		}
		return n
	}
	return ""
}

// glue returns the addresses this zone holds for the targets of ns.
func (z *zone) glue(ns []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range ns {
		t := dns.CanonicalName(rr.(*dns.NS).Ns)
		if !dns.IsSubDomain(z.origin, t) {
			continue
		}
		out = append(out, z.nodes[t][dns.TypeA]...)
		out = append(out, z.nodes[t][dns.TypeAAAA]...)
	}
	return out
}

// find returns the held zone closest to name, or nil.
func (zs zoneSet) find(name string) *zone {
	for n := name; ; n = parent(n) {
		if z, ok := zs[n]; ok {
			return z
		}
		if n == "." {
			return nil
		}
	}
}

// origins returns the held zones' origins, sorted.
func (zs zoneSet) origins() []string {
	return slices.Sorted(maps.Keys(zs))
}

// parent returns name with its first label removed; the parent of the root
// is the root.
func parent(name string) string {
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}
