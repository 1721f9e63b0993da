package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// keyTags returns the key tags of zone's DS records (at the parent) and of
// its DNSKEY records (at the zone; KSKs, flag SEP, when it has any), asked
// of the resolvers with checking disabled, so that a chain that does not
// validate can still be read.
func (c *Checker) keyTags(ctx context.Context, zone string) (ds, keys []uint16) {
	if m, _, err := c.ask(ctx, zone, dns.TypeDS, true); err == nil {
		for _, rr := range m.Answer {
			if d, ok := rr.(*dns.DS); ok {
				ds = append(ds, d.KeyTag)
			}
		}
	}
	var ksks, all []uint16
	if m, _, err := c.ask(ctx, zone, dns.TypeDNSKEY, true); err == nil {
		for _, rr := range m.Answer {
			if k, ok := rr.(*dns.DNSKEY); ok {
				all = append(all, k.KeyTag())
				if k.Flags&dns.SEP != 0 {
					ksks = append(ksks, k.KeyTag())
				}
			}
		}
	}
	keys = all
	if len(ksks) > 0 {
		keys = ksks
	}
	slices.Sort(ds)
	slices.Sort(keys)
	return slices.Compact(ds), slices.Compact(keys)
}

// staleDS adds to a dns.dnssec_bogus finding what the chain shows when no
// DS record at the parent matches a key of the zone (a key rollover that
// the registrar never heard of): both sets of key tags, and the fix.
func (c *Checker) staleDS(ctx context.Context, f *Finding, zone string) {
	ds, keys := c.keyTags(ctx, zone)
	if len(ds) == 0 || len(keys) == 0 || slices.ContainsFunc(ds, func(t uint16) bool { return slices.Contains(keys, t) }) {
		return
	}
	name := strings.TrimSuffix(zone, ".")
	f.Message += fmt.Sprintf("; the parent zone publishes a DS for %s with %s, but the zone's keys have %s: no DS matches a DNSKEY",
		name, tagList("DS key tag", ds), tagList("key tag", keys))
	f.Fix = fmt.Sprintf("publish the new key's DS (%s) at the registrar of %s, as the last step of the key rollover, and remove the old DS (%s); or remove the DS if the zone is no longer signed",
		tagList("key tag", keys), name, tagList("key tag", ds))
}

// tagList formats key tags: "key tag 12345" or "key tags 1, 2".
func tagList(what string, tags []uint16) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = fmt.Sprint(t)
	}
	if len(tags) > 1 {
		what += "s"
	}
	return what + " " + strings.Join(parts, ", ")
}
