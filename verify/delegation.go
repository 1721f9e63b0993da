package verify

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/internal/english"
)

// rootHints are the IPv4 addresses of the root servers, a.root-servers.net
// to m. (IANA's named.root), in that order.
var rootHints = []string{"198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13", "192.203.230.10",
	"192.5.5.241", "192.112.36.4", "198.97.190.53", "192.36.148.17", "192.58.128.30", "193.0.14.129",
	"199.7.83.42", "202.12.27.33"}

// maxReferrals bounds a delegation walk: no real name is more than a few
// zone cuts deep.
const maxReferrals = 16

// delegation is what a walk down the referrals found: the zone that holds
// the name and the servers it is delegated to.
type delegation struct {
	zone    string
	targets []target
	// answered is whether one of the zone's own servers answered with
	// authority; else they are unreachable, or answer SERVFAIL or REFUSED
	// (replied).
	answered, replied bool
}

// walk finds the zone of name as a resolver would, without one: it asks
// the servers of the closest parent zone that the resolvers can name (else
// Checker.Roots) without recursion, and follows
// their referrals down to the servers that answer for name with authority.
// It is Diagnose's way past resolvers that fail (SERVFAIL, timeouts), so
// that the zone's own servers, not its parent's, are asked and named.
//
// The NS sets are asked from start up: a name the resolvers failed on is
// not asked again, since each failure may cost a timeout.
func (c *Checker) walk(ctx context.Context, name, start string) (delegation, bool) {
	servers, cut := c.walkStart(ctx, start)
	for range maxReferrals {
		m, replied := c.askWalk(ctx, servers, name)
		if m == nil {
			// No server of this level answered: they are the zone's, and
			// the check names each of them when it asks them.
			return delegation{zone: cut, targets: servers, replied: replied}, cut != "."
		}
		if m.Authoritative {
			return delegation{zone: authZone(m, name, cut), targets: servers, answered: true}, true
		}
		child, hosts := referral(m, name, cut)
		if child == "" {
			return delegation{}, false
		}
		servers, cut = c.referralTargets(ctx, m, hosts), child
		if len(servers) == 0 {
			return delegation{zone: cut}, false
		}
	}
	return delegation{}, false
}

// walkStart returns the servers of the closest zone at or above start
// whose NS set the resolvers can give, and that zone; failing that, Roots
// and "." (no servers without Roots).
func (c *Checker) walkStart(ctx context.Context, start string) ([]target, string) {
	if len(c.Resolvers) > 0 {
		for cur := dns.CanonicalName(start); cur != "."; {
			m, _, err := c.ask(ctx, cur, dns.TypeNS, false)
			if err == nil {
				var hosts []string
				for _, rr := range m.Answer {
					if ns, ok := rr.(*dns.NS); ok && strings.EqualFold(ns.Hdr.Name, cur) {
						hosts = append(hosts, dns.CanonicalName(ns.Ns))
					}
				}
				if targets := c.referralTargets(ctx, nil, hosts); len(targets) > 0 {
					return targets, cur
				}
			}
			off, end := dns.NextLabel(cur, 0)
			if end {
				break
			}
			cur = cur[off:]
		}
	}
	var targets []target
	for _, r := range c.Roots {
		targets = append(targets, target{addr: r, host: rootHosts()[r]})
	}
	return targets, "."
}

// RootHints returns the root servers' IPv4 addresses with port 53, for
// Checker.Roots.
func RootHints() []string {
	out := make([]string, len(rootHints))
	for i, ip := range rootHints {
		out[i] = net.JoinHostPort(ip, "53")
	}
	return out
}

// rootHosts names the root servers by their address (built on first
// use, not at every command's start).
var rootHosts = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for i, a := range RootHints() {
		m[a] = fmt.Sprintf("%c.root-servers.net.", 'a'+i)
	}
	return m
})

// askWalk asks the servers in order, without recursion, for name's SOA,
// until one answers other than SERVFAIL or REFUSED; replied is whether
// one answered that way.
func (c *Checker) askWalk(ctx context.Context, servers []target, name string) (m *dns.Msg, replied bool) {
	for _, t := range servers {
		r := c.query(ctx, t.addr, question{name: name, qtype: dns.TypeSOA})
		if r.err != nil || r.tcpErr != nil {
			continue
		}
		if r.msg.Rcode == dns.RcodeServerFailure || r.msg.Rcode == dns.RcodeRefused {
			replied = true
			continue
		}
		return r.msg, true
	}
	return nil, replied
}

// authZone is the zone an authoritative answer for name comes from: the
// owner of its SOA record, else (an alias, answered without SOA) the zone
// whose servers were asked.
func authZone(m *dns.Msg, name, cut string) string {
	for _, rr := range append(slices.Clone(m.Answer), m.Ns...) {
		if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(soa.Hdr.Name, name) {
			return dns.CanonicalName(soa.Hdr.Name)
		}
	}
	return cut
}

// referral returns the zone a non-authoritative answer delegates to and
// its NS names, when that zone is below cut and at or above name.
func referral(m *dns.Msg, name, cut string) (string, []string) {
	child := ""
	var hosts []string
	for _, rr := range m.Ns {
		ns, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		owner := dns.CanonicalName(ns.Hdr.Name)
		if owner == cut || !dns.IsSubDomain(owner, name) || !dns.IsSubDomain(cut, owner) {
			continue
		}
		if child != "" && owner != child {
			continue
		}
		child = owner
		hosts = append(hosts, dns.CanonicalName(ns.Ns))
	}
	return child, hosts
}

// isReferral reports whether m is a referral: no authority, no answer,
// and NS records in the authority section.
func isReferral(m *dns.Msg) bool {
	if m == nil || m.Authoritative || len(m.Answer) > 0 || m.Rcode != dns.RcodeSuccess {
		return false
	}
	return slices.ContainsFunc(m.Ns, func(rr dns.RR) bool { _, ok := rr.(*dns.NS); return ok })
}

// referralTargets returns the addresses of hosts: the glue of the
// referral m where it has some, else through the resolvers.
func (c *Checker) referralTargets(ctx context.Context, m *dns.Msg, hosts []string) []target {
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	var targets []target
	add := func(host, ip string) {
		addr := net.JoinHostPort(ip, strconv.Itoa(c.nsPort()))
		if !slices.ContainsFunc(targets, func(t target) bool { return t.addr == addr }) {
			targets = append(targets, target{host: host, addr: addr})
		}
	}
	for _, h := range hosts {
		glued := false
		if m != nil {
			for _, rr := range m.Extra {
				if !strings.EqualFold(rr.Header().Name, h) {
					continue
				}
				switch v := rr.(type) {
				case *dns.A:
					add(h, v.A.String())
					glued = true
				case *dns.AAAA:
					add(h, v.AAAA.String())
					glued = true
				}
			}
		}
		if !glued && len(c.Resolvers) > 0 {
			for _, a := range c.addresses(ctx, h, false) {
				add(h, a)
			}
		}
	}
	return targets
}

// resolverFailure is the finding for the resolvers' failure to find a
// zone that a walk found: its cause is the zone's servers when none of
// them answered, else what the resolver said (its extended error).
func resolverFailure(err error, d delegation) Finding {
	f := Finding{Code: findingFor(err), Severity: SeverityError, Message: err.Error()}
	var ede []ExtendedError
	if le, ok := err.(*lookupError); ok {
		f.Server, ede = le.server, le.ede
	}
	zone := strings.TrimSuffix(d.zone, ".")
	switch {
	case !d.answered && d.replied:
		f.Message += fmt.Sprintf("; the zone %s is delegated to %s, which answer%s SERVFAIL or REFUSED for it", zone, serverNames(d.targets), english.Plural(len(d.targets), "s", ""))
		f.Fix = fmt.Sprintf("make the name servers of %s load and serve the zone (their logs say why they fail), or delegate it at its registrar to servers that serve it", zone)
	case !d.answered:
		f.Message += fmt.Sprintf("; the zone %s is delegated to %s, and none of them answers", zone, serverNames(d.targets))
		f.Fix = fmt.Sprintf("bring the name servers of %s back (they must answer on UDP and TCP port 53), or delegate the zone at its registrar to servers that answer", zone)
	case f.Code == "dns.servfail" && dnssecError(ede):
		f.Message += fmt.Sprintf("; the zone's own servers answer for %s, so the resolvers fail on DNSSEC", zone)
		f.Fix = "the resolvers reject what the zone's servers answer: " + dnssecFix(ede)
	case f.Code == "dns.servfail":
		f.Message += fmt.Sprintf("; the zone's own servers answer for %s, and the resolver names no DNSSEC error (nor answers with checking disabled): the failure is the resolver's, or on its path to them", zone)
		f.Fix = "check the resolver (its logs, its access to the zone's servers), or ask another one (--resolver); the zone itself answers"
	default:
		f.Message += fmt.Sprintf("; the zone's own servers answer for %s", zone)
		f.Fix = "check that the resolvers are reachable (--resolver); the zone itself answers"
	}
	return f
}

// serverNames lists targets for a message: "ns1.main.com (192.0.2.1:53), …".
func serverNames(targets []target) string {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = serverLabel(Server{Host: t.host, Server: t.addr})
	}
	return strings.Join(names, ", ")
}

// dnssecError reports whether an extended error is a DNSSEC one (RFC 8914
// codes 1, 2 and 5 to 12).
func dnssecError(ede []ExtendedError) bool {
	for _, e := range ede {
		if e.Code == 1 || e.Code == 2 || e.Code >= 5 && e.Code <= 12 {
			return true
		}
	}
	return false
}
