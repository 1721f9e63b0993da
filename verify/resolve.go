package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// target is one authoritative server address.
type target struct {
	host string // NS name, or "" for --nameserver
	addr string // ip:port
}

// servers finds the zone of name and the addresses of its authoritative
// servers; ok is false when they cannot be found (findings say why).
// Deep (Diagnose) goes past a DNSSEC failure to show what the
// authoritative servers hold.
func (c *Checker) servers(ctx context.Context, res *Result, name string, deep bool) (zone string, targets []target, ok bool) {
	zone, skipped, err := c.zoneOf(ctx, name, deep)
	// failure is why the resolvers could not name the zone, or a SERVFAIL
	// they gave below the zone they named, which may then be a parent's.
	failure := cmp.Or(err, skipped)
	cd := false
	if failure != nil && deep && findingFor(failure) == "dns.servfail" {
		// A validating resolver that answers with checking disabled
		// fails DNSSEC validation: name it, and go on with CD=1.
		if z, _, cdErr := c.findZone(ctx, name, true); cdErr == nil && (err != nil || z != zone) {
			c.bogus(ctx, res, failure, name, z)
			cd, zone, err = true, z, nil
		}
	}
	if !cd && failure != nil && deep && len(c.Nameservers) == 0 && ctxErr(ctx) == nil {
		// Past resolvers that fail, the zone's own servers are found by
		// following referrals, never its parent's asked in their place.
		// The walk starts where the resolvers could still answer: at the
		// zone they named, else above the name they failed on.
		start := zone
		if err != nil {
			off, end := dns.NextLabel(dns.CanonicalName(name), 0)
			start = "."
			if !end {
				start = dns.CanonicalName(name)[off:]
			}
		}
		if d, ok := c.walk(ctx, name, start); ok && (err != nil || d.zone != zone) {
			f := resolverFailure(failure, d)
			if f.Server == "" && len(c.Resolvers) == 1 {
				f.Server = c.Resolvers[0] // a timeout names no server
			}
			res.add(f)
			return d.zone, d.targets, true
		}
	}
	if err != nil && len(c.Nameservers) > 0 && ctxErr(ctx) == nil {
		// The given servers are asked whatever the zone: not knowing it
		// only costs the SOA serials.
		res.add(Finding{Code: findingFor(err), Severity: SeverityWarning, Message: err.Error() + "; asking the given name servers anyway"})
		for _, ns := range c.Nameservers {
			targets = append(targets, target{addr: ns})
		}
		return "", targets, true
	}
	if err != nil {
		// A resolver that times out is often waiting on the zone's own
		// dead name servers: Diagnose walks the delegation to tell.
		fix := "check that the resolvers are reachable (--resolver); if they are, the zone's own name servers may not answer them: orgctl diagnose follows the delegation to find out"
		switch findingFor(err) {
		case "dns.ns_unreachable":
			fix = "check that the name servers answer on UDP and TCP port 53 (--nameserver)"
		case "dns.servfail":
			fix = "the resolvers cannot resolve the domain: check its delegation and that its name servers answer; if dig +cd answers, DNSSEC validation fails"
		}
		res.add(Finding{Code: findingFor(err), Severity: SeverityError, Message: err.Error(), Fix: fix})
		return "", nil, false
	}
	if len(c.Nameservers) > 0 {
		for _, ns := range c.Nameservers {
			targets = append(targets, target{addr: ns})
		}
		return zone, targets, true
	}
	if zone == "." {
		// Nothing below the root exists: the resolvers answered NXDOMAIN
		// all the way up.
		return zone, nil, true
	}
	targets, err = c.discover(ctx, res, zone, cd)
	if err != nil {
		res.add(Finding{Code: findingFor(err), Severity: SeverityError, Message: err.Error(),
			Fix: "check the delegation of the zone at its parent and the addresses of its name servers"})
		return zone, nil, false
	}
	return zone, targets, true
}

// lookupError is an error from the resolvers during discovery, with the
// finding code it maps to.
type lookupError struct {
	code string
	msg  string
	// server and ede are, for a SERVFAIL, the last resolver that sent it
	// and the extended errors it carried.
	server string
	ede    []ExtendedError
}

func (e *lookupError) Error() string { return e.msg }

func findingFor(err error) string {
	var le *lookupError
	if errors.As(err, &le) {
		return le.code
	}
	return "dns.servfail"
}

// discoveryServers are the servers used to find zones and NS addresses:
// the resolvers, else the configured nameservers asked without recursion.
func (c *Checker) discoveryServers() ([]string, bool) {
	if len(c.Resolvers) > 0 {
		return c.Resolvers, true
	}
	return c.Nameservers, false
}

// askServers sends a question to the discovery servers in order until one
// answers with something other than SERVFAIL or REFUSED; cd asks with
// checking disabled, past a validating resolver's DNSSEC failure. Checks
// call it through ask (cache.go), which keeps what other names reuse.
func (c *Checker) askServers(ctx context.Context, name string, qtype uint16, cd bool) (*dns.Msg, string, error) {
	servers, rd := c.discoveryServers()
	var failures []string
	var last reply
	var lastAddr string
	for _, addr := range servers {
		r := c.query(ctx, addr, question{name: name, qtype: qtype, rd: rd, cd: cd})
		if r.err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", addr, r.err))
			continue
		}
		if r.msg.Rcode == dns.RcodeServerFailure || r.msg.Rcode == dns.RcodeRefused {
			last, lastAddr = r, addr
			failures = append(failures, fmt.Sprintf("%s: %s%s", addr, dns.RcodeToString[r.msg.Rcode], edeSuffix(edeOf(r.msg))))
			continue
		}
		return r.msg, addr, nil
	}
	if err := ctxErr(ctx); err != nil {
		return nil, "", err
	}
	q := fmt.Sprintf("%s %s", name, dns.TypeToString[qtype])
	if last.msg != nil && last.msg.Rcode == dns.RcodeServerFailure {
		return nil, lastAddr, &lookupError{code: "dns.servfail", server: lastAddr, ede: edeOf(last.msg),
			msg: fmt.Sprintf("no resolver could answer %s (%s)", q, strings.Join(failures, "; "))}
	}
	code := "dns.resolver_unreachable"
	if !rd {
		code = "dns.ns_unreachable"
	}
	return nil, "", &lookupError{code: code, msg: fmt.Sprintf("no server answered %s (%s)", q, strings.Join(failures, "; "))}
}

// findZone walks from name towards the root until an SOA record names the
// zone that holds name; cd as for ask. Skipped is the first SERVFAIL passed
// on the way up, when a zone was found above it.
func (c *Checker) findZone(ctx context.Context, name string, cd bool) (zone string, skipped, err error) {
	cur := dns.CanonicalName(name)
	var first error
	for {
		m, _, err := c.ask(ctx, cur, dns.TypeSOA, cd)
		var le *lookupError
		if errors.As(err, &le) && le.code == "dns.servfail" {
			// A name can fail on its own (a CNAME loop makes resolvers
			// SERVFAIL); its parent may still name the zone. The
			// resolver check reports the SERVFAIL.
			if first == nil {
				first = err
			}
			off, end := dns.NextLabel(cur, 0)
			if end {
				return "", nil, first
			}
			cur = cur[off:]
			continue
		}
		if err != nil {
			return "", nil, err
		}
		for _, rr := range m.Answer {
			if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, cur) {
				return dns.CanonicalName(soa.Hdr.Name), first, nil
			}
		}
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(soa.Hdr.Name, name) {
				return dns.CanonicalName(soa.Hdr.Name), first, nil
			}
		}
		off, end := dns.NextLabel(cur, 0)
		if end {
			if first != nil {
				return "", nil, first
			}
			return ".", nil, nil
		}
		cur = cur[off:]
	}
}

// discover returns every address of every NS of zone; cd as for ask.
func (c *Checker) discover(ctx context.Context, res *Result, zone string, cd bool) ([]target, error) {
	m, _, err := c.ask(ctx, zone, dns.TypeNS, cd)
	if err != nil {
		return nil, err
	}
	var hosts []string
	for _, rr := range m.Answer {
		if ns, ok := rr.(*dns.NS); ok && strings.EqualFold(ns.Hdr.Name, zone) {
			hosts = append(hosts, dns.CanonicalName(ns.Ns))
		}
	}
	if len(hosts) == 0 {
		return nil, &lookupError{code: "dns.lame", msg: fmt.Sprintf("the zone %s has no NS records", zone)}
	}
	sort.Strings(hosts)
	hosts = slices.Compact(hosts)

	type found struct {
		host  string
		addrs []string
	}
	out := make([]found, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			out[i] = found{host: h, addrs: c.addresses(ctx, h, cd)}
		})
	}
	wg.Wait()

	var targets []target
	for _, f := range out {
		if len(f.addrs) == 0 {
			res.add(Finding{Code: "dns.ns_unreachable", Severity: SeverityWarning, Server: f.host,
				Message: fmt.Sprintf("the name server %s of %s has no address (no A or AAAA record)", f.host, zone),
				Fix:     fmt.Sprintf("add A/AAAA records for %s or remove it from the zone's NS set", f.host)})
			continue
		}
		for _, a := range f.addrs {
			addr := net.JoinHostPort(a, strconv.Itoa(c.nsPort()))
			// Two NS names may share an address: ask it once.
			if !slices.ContainsFunc(targets, func(t target) bool { return t.addr == addr }) {
				targets = append(targets, target{host: f.host, addr: addr})
			}
		}
	}
	if len(targets) == 0 {
		return nil, &lookupError{code: "dns.ns_unreachable", msg: fmt.Sprintf("no name server of %s has an address", zone)}
	}
	return targets, nil
}

// addresses resolves the A and AAAA records of host, sorted; a host that
// cannot be resolved has none.
func (c *Checker) addresses(ctx context.Context, host string, cd bool) []string {
	ips, _ := c.resolveHost(ctx, host, cd)
	slices.SortFunc(ips, netip.Addr.Compare)
	var addrs []string
	for _, ip := range slices.Compact(ips) {
		addrs = append(addrs, ip.String())
	}
	return addrs
}

// resolveHost returns the A and AAAA addresses of host, through the same
// servers as the DNS check, IPv6 first. An NXDOMAIN or NODATA answer is no
// address and no error. cd as for ask.
func (c *Checker) resolveHost(ctx context.Context, host string, cd bool) ([]netip.Addr, error) {
	var ips []netip.Addr
	var errs []error
	for _, t := range []uint16{dns.TypeAAAA, dns.TypeA} {
		name := dns.CanonicalName(host)
		// A CNAME that the server did not chase (an authoritative server
		// asked with --nameserver) is followed here.
		for hop := 0; hop <= MaxCNAMEHops; hop++ {
			m, _, err := c.ask(ctx, name, t, cd)
			if err != nil {
				errs = append(errs, err)
				break
			}
			found, target := false, ""
			for _, rr := range m.Answer {
				switch v := rr.(type) {
				case *dns.A:
					if ip, ok := netip.AddrFromSlice(v.A.To4()); ok {
						ips, found = append(ips, ip), true
					}
				case *dns.AAAA:
					if ip, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
						ips, found = append(ips, ip), true
					}
				case *dns.CNAME:
					target = dns.CanonicalName(v.Target)
				}
			}
			if found || target == "" || target == name {
				break
			}
			name = target
		}
	}
	if len(ips) == 0 && len(errs) > 0 {
		return nil, errs[0]
	}
	return slices.Compact(ips), nil
}
