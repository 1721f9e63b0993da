package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// MethodDNS is the Method of DNS results.
const MethodDNS = "dns"

// DNS checks the TXT record of domain (and of code.Subdomains). Domain must
// be normalized already. A returned error means the check could not be run
// (empty code, cancelled context); every DNS outcome, failures to reach
// servers included, is a Result.
func (c *Checker) DNS(ctx context.Context, domain string, code Code) (*Result, error) {
	return c.dns(ctx, domain, code, false)
}

// dns is DNS, with every probe when deep (Diagnose).
func (c *Checker) dns(ctx context.Context, domain string, code Code, deep bool) (*Result, error) {
	if code.Value == "" {
		return nil, errors.New("verify: no code to look for")
	}
	if len(c.Resolvers) == 0 && len(c.Nameservers) == 0 {
		return nil, errors.New("verify: no resolvers and no nameservers configured")
	}
	return perName(ctx, domain, code, func(ctx context.Context, domain, name string, code Code) *Result {
		return c.checkName(ctx, domain, name, code, deep)
	})
}

// checkName checks one owner name; deep (Diagnose) runs every probe, not
// only those the verdict needs.
func (c *Checker) checkName(ctx context.Context, domain, name string, code Code, deep bool) *Result {
	start := time.Now()
	fqdn := dns.CanonicalName(name)
	res := &Result{Domain: domain, Method: MethodDNS, Expected: code.Value, Name: fqdn,
		CheckedAt: c.now().UTC().Truncate(time.Second), Servers: []Server{}, Findings: []Finding{}}
	defer func() { res.DurationMS = time.Since(start).Milliseconds() }()

	auth := c.authoritative(ctx, res, fqdn, code.Value, deep)
	var resolvers []Server
	if len(c.Resolvers) > 0 {
		resolvers = c.askResolvers(ctx, fqdn, code.Value)
		if deep {
			// Before the answers are copied into res.Servers, so that
			// each entry carries its CDRcode.
			c.recheckServfail(ctx, resolvers)
		}
		res.Servers = append(res.Servers, resolvers...)
	}
	c.decide(res, auth, resolvers)
	if deep {
		c.probe(ctx, res, domain, auth)
	}
	c.describeCodes(res)
	c.expiry(res, code)
	return res
}

// authOutcome is what the authoritative servers said about the final name
// of the alias chain.
type authOutcome struct {
	servers []Server // the answers for the final name
	err     Status   // StatusError when no authoritative answer could be had
	loop    bool
	// zone and targets are the zone of the name asked (before any alias
	// was followed) and the addresses of its servers.
	zone    string
	targets []target
}

// authoritative asks every authoritative server of name's zone, following
// CNAMEs into other zones; it records every exchange in res. Deep as for
// servers.
func (c *Checker) authoritative(ctx context.Context, res *Result, name, want string, deep bool) authOutcome {
	seen := map[string]bool{}
	cur := name
	var out authOutcome
	for hop := 0; ; hop++ {
		if seen[cur] {
			res.addf("dns.cname_loop", SeverityError, "point the alias at a name that holds the TXT record, or replace the CNAME with the TXT record itself",
				"the CNAME chain from %s loops back to %s", name, cur)
			out.loop = true
			return out
		}
		if hop > MaxCNAMEHops {
			res.addf("dns.cname_loop", SeverityError, "shorten the alias chain",
				"the CNAME chain from %s is longer than %d hops", name, MaxCNAMEHops)
			out.loop = true
			return out
		}
		seen[cur] = true

		found := len(res.Findings)
		zone, targets, ok := c.servers(ctx, res, cur, deep)
		if !ok {
			out.err = StatusError
			return out
		}
		answers := c.askAll(ctx, targets, cur, want)
		if c.Cache != nil && !deep && len(c.Nameservers) == 0 && unsure(answers) {
			// The zone may have come from the Cache (zoneguess.go):
			// find it again, with the findings of that search only.
			res.Findings = res.Findings[:found]
			if zone, targets, ok = c.uncached().servers(ctx, res, cur, deep); !ok {
				out.err = StatusError
				return out
			}
			answers = c.askAll(ctx, targets, cur, want)
		}
		if hop == 0 {
			res.Zone = zone
			out.zone, out.targets = zone, targets
		}
		if disagree(answers) {
			c.fillSerials(ctx, zone, targets, answers)
		}
		res.Servers = append(res.Servers, answers...)

		// Follow an alias that leaves the zone: the authoritative answer
		// only holds the CNAME (RFC 1034 §4.3.2).
		var next string
		for _, a := range answers {
			if len(a.CNAMEs) == 0 {
				continue
			}
			chain := append([]string{cur}, a.CNAMEs...)
			if dup := firstRepeat(chain); dup != "" {
				res.addf("dns.cname_loop", SeverityError, "point the alias at a name that holds the TXT record, or replace the CNAME with the TXT record itself",
					"the CNAME chain from %s loops back to %s (%s)", name, dup, strings.Join(chain, " → "))
				out.loop = true
				return out
			}
			res.addf("dns.cname", SeverityInfo, "",
				"%s is an alias: %s; the TXT record is looked up at %s", cur, strings.Join(chain, " → "), chain[len(chain)-1])
			end := chain[len(chain)-1]
			if len(a.Found) == 0 && !a.negative && a.Rcode == "NOERROR" && !dns.IsSubDomain(zone, end) {
				next = end
			}
			break
		}
		if next == "" {
			out.servers = answers
			return out
		}
		cur = next
	}
}

func firstRepeat(names []string) string {
	seen := map[string]bool{}
	for _, n := range names {
		k := dns.CanonicalName(n)
		if seen[k] {
			return n
		}
		seen[k] = true
	}
	return ""
}

// askAll asks every authoritative address for the TXT records of name,
// in parallel, keeping the order of targets.
func (c *Checker) askAll(ctx context.Context, targets []target, name, want string) []Server {
	out := make([]Server, len(targets))
	inParallel(len(targets), func(i int) {
		r := c.query(ctx, targets[i].addr, question{name: name, qtype: dns.TypeTXT})
		out[i] = c.serverResult(r, targets[i], RoleAuthoritative, name, want)
	})
	return out
}

func (c *Checker) askResolvers(ctx context.Context, name, want string) []Server {
	out := make([]Server, len(c.Resolvers))
	inParallel(len(c.Resolvers), func(i int) {
		addr := c.Resolvers[i]
		r := c.query(ctx, addr, question{name: name, qtype: dns.TypeTXT, rd: true})
		out[i] = c.serverResult(r, target{addr: addr}, RoleResolver, name, want)
	})
	return out
}

// inParallel runs fn(0) … fn(n-1) at once and waits for them all. The
// last runs on the calling goroutine: a name with one server to ask (the
// common case, one resolver) starts no goroutine, whose stack would have
// to grow again for every query (a tenth of a bulk run's CPU).
func inParallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n - 1 {
		wg.Go(func() { fn(i) })
	}
	if n > 0 {
		fn(n - 1)
	}
	wg.Wait()
}

// serverResult reads one TXT answer: the alias chain from name, the TXT
// values at its end, and whether one of them is the code.
func (c *Checker) serverResult(r reply, t target, role, name, want string) Server {
	s := Server{Server: t.addr, Host: t.host, Role: role, Name: name, Found: []string{},
		Truncated: r.truncated, Transport: r.transport, RTTMillis: r.rtt.Milliseconds()}
	if r.err != nil {
		s.Error = r.err.Error()
		return s
	}
	if r.tcpErr != nil {
		s.Error = fmt.Sprintf("answer truncated over UDP and TCP failed: %v", r.tcpErr)
		s.Rcode = dns.RcodeToString[r.msg.Rcode]
		return s
	}
	m := r.msg
	s.Rcode = dns.RcodeToString[m.Rcode]
	s.AA = m.Authoritative
	s.EDE = edeOf(m)
	s.referral = isReferral(m)

	cnames := map[string]string{}
	for _, rr := range m.Answer {
		if cn, ok := rr.(*dns.CNAME); ok {
			cnames[dns.CanonicalName(cn.Hdr.Name)] = dns.CanonicalName(cn.Target)
		}
	}
	cur := dns.CanonicalName(name)
	seen := map[string]bool{cur: true}
	for {
		next, ok := cnames[cur]
		if !ok {
			break
		}
		s.CNAMEs = append(s.CNAMEs, next)
		if seen[next] {
			break
		}
		seen[next] = true
		cur = next
	}
	for _, rr := range m.Answer {
		txt, ok := rr.(*dns.TXT)
		if !ok || !strings.EqualFold(dns.CanonicalName(txt.Hdr.Name), cur) {
			continue
		}
		raw := txtStrings(txt)
		v := strings.Join(raw, "")
		s.Found = append(s.Found, v)
		s.strings = append(s.strings, raw)
		s.TTL = txt.Hdr.Ttl
		if v == want {
			s.Match = true
		}
	}
	if len(s.Found) == 0 && (m.Rcode == dns.RcodeSuccess || m.Rcode == dns.RcodeNameError) {
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				s.negative = true
				s.soaZone = dns.CanonicalName(soa.Hdr.Name)
				// A resolver returns its cached negative answer with the
				// SOA's TTL counting down: that, not the SOA minimum, is
				// what it still holds.
				s.TTL = min(soa.Hdr.Ttl, soa.Minttl)
				s.Serial = soa.Serial
			}
		}
	}
	return s
}

// disagree reports whether reachable authoritative servers gave different
// answers, so that their SOA serials are worth showing.
func disagree(answers []Server) bool {
	var first *Server
	for i := range answers {
		a := &answers[i]
		if a.Error != "" {
			continue
		}
		if first == nil {
			first = a
			continue
		}
		if a.Match != first.Match || !slices.Equal(a.Found, first.Found) || a.Rcode != first.Rcode {
			return true
		}
	}
	return false
}

// fillSerials asks each authoritative server for the zone's SOA serial.
func (c *Checker) fillSerials(ctx context.Context, zone string, targets []target, answers []Server) {
	var wg sync.WaitGroup
	for i, t := range targets {
		if answers[i].Error != "" {
			continue
		}
		wg.Go(func() {
			r := c.query(ctx, t.addr, question{name: zone, qtype: dns.TypeSOA})
			if r.err != nil || r.msg == nil {
				return
			}
			for _, rr := range r.msg.Answer {
				if soa, ok := rr.(*dns.SOA); ok {
					answers[i].Serial = soa.Serial
				}
			}
		})
	}
	wg.Wait()
}
