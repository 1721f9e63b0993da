package verify

import (
	"context"
	"strings"

	"github.com/miekg/dns"
)

// zoneOf is findZone(ctx, name, false), except that in a bulk run (c.Cache set) a name
// below a zone whose NS set the Cache holds is taken to be in that zone
// without asking: the per-name SOA question is most of what a name costs
// the resolvers after the first name of a zone. The guess is checked by
// the zone's servers themselves: authoritative sees a referral or an
// answer without the AA bit and asks again without it (zoneChecked).
// Deep checks (Diagnose) never guess: they look for zone cuts.
func (c *Checker) zoneOf(ctx context.Context, name string, deep bool) (zone string, skipped, err error) {
	if c.Cache != nil && !deep {
		if z, ok := c.Cache.zone(name); ok {
			return z, nil, nil
		}
	}
	return c.findZone(ctx, name, false)
}

// zone returns the closest ancestor of name (or name itself) whose NS set
// is kept, and whether there is one.
func (k *Cache) zone(name string) (string, bool) {
	cur := dns.CanonicalName(name)
	for {
		if e, ok := k.get(cacheKey{cur, dns.TypeNS, false}); ok {
			for _, rr := range e.msg.Answer {
				if ns, ok := rr.(*dns.NS); ok && strings.EqualFold(ns.Hdr.Name, cur) {
					return cur, true
				}
			}
		}
		off, end := dns.NextLabel(cur, 0)
		if end {
			return "", false
		}
		cur = cur[off:]
	}
}

// unsure reports whether answers cast doubt on a zone taken from the
// Cache: a reachable server that did not answer authoritatively (a
// referral to a child zone, or a lame server). Then the zone is looked up
// again; for a lame server that costs one discovery and changes nothing.
func unsure(answers []Server) bool {
	for _, a := range answers {
		if a.Error == "" && !a.AA {
			return true
		}
	}
	return false
}

// uncached is c without its Cache, to check a name whose zone the Cache
// may have guessed wrong.
func (c *Checker) uncached() *Checker {
	u := *c
	u.Cache = nil
	return &u
}
