package verify

import (
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
	"time"

	"github.com/miekg/dns"
)

// Checker runs verification checks. Fill it and call its methods; the zero
// value of each field selects the default of DESIGN.md §7.
type Checker struct {
	// Resolvers are recursive resolvers (host:port) used to find the zone
	// and its servers, and checked themselves for stale data.
	Resolvers []string
	// Nameservers, when set, are used as the authoritative servers
	// (host:port) instead of discovering them.
	Nameservers []string
	// NSPort is the port of authoritative servers found by discovery.
	NSPort int
	// Timeout and Tries bound each exchange; only timeouts and network
	// errors are retried.
	Timeout time.Duration
	Tries   int
	// UDPSize is the EDNS0 UDP payload size advertised.
	UDPSize uint16
	// Exchanger sends DNS messages; nil sends them over the network.
	Exchanger Exchanger
	// Now returns the current time; nil is time.Now.
	Now func() time.Time
	// Trace, when set, receives a line for every exchange (verbose mode).
	Trace func(format string, args ...any)
	// SystemResolvers are, for Diagnose, the resolvers of this machine
	// (resolv.conf), compared with Resolvers: a system resolver that sees
	// other data than the authoritative servers means split-horizon DNS.
	SystemResolvers []string
	// KnownCode, when set, describes a code found instead of the expected
	// one, by its UUID, e.g. "an earlier code of main.com, generated on
	// 2026-11-01 (27 days ago) and replaced on 2026-11-20 by …"; ok is
	// false for a code it does not know. The wrong_code findings end with
	// it.
	KnownCode func(uuid string) (desc string, ok bool)
	// HTTPOptions configure the HTTP method.
	HTTPOptions
}

// Code is what a check expects to find.
type Code struct {
	// Value is the full string, e.g. logmein-verification-code=668e…
	Value string
	// ExpiresAt, when set, is when the code stops counting; an expired code
	// gives a code.expired finding and at best StatusMismatch.
	ExpiresAt time.Time
	// Subdomains are further names (FQDNs) that must carry the code.
	Subdomains []string
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Checker) nsPort() int {
	if c.NSPort > 0 {
		return c.NSPort
	}
	return DefaultNSPort
}

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

// perName checks domain and each of code.Subdomains with check, and folds
// the subdomains' results into the domain's.
func perName(ctx context.Context, domain string, code Code, check func(ctx context.Context, domain, name string, code Code) *Result) (*Result, error) {
	start := time.Now()
	res := check(ctx, domain, domain, code)
	for _, sub := range code.Subdomains {
		sub = strings.TrimSuffix(sub, ".")
		if strings.EqualFold(sub, domain) {
			continue
		}
		res.merge(check(ctx, domain, sub, code))
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	res.DurationMS = time.Since(start).Milliseconds()
	return res, nil
}

// target is one authoritative server address.
type target struct {
	host string // NS name, or "" for --nameserver
	addr string // ip:port
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

// expiry reports an expired code; it is at best a mismatch.
func (c *Checker) expiry(res *Result, code Code) {
	if code.ExpiresAt.IsZero() || c.now().Before(code.ExpiresAt) {
		return
	}
	res.addf("code.expired", SeverityError,
		"get a new code from the provider (or run orgctl code new) and publish that one",
		"the code expired on %s; the provider no longer accepts it", code.ExpiresAt.UTC().Format(time.RFC3339))
	if res.Status.rank() < StatusMismatch.rank() {
		res.setStatus(StatusMismatch)
	}
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

		zone, targets, ok := c.servers(ctx, res, cur, deep)
		if !ok {
			out.err = StatusError
			return out
		}
		if hop == 0 {
			res.Zone = zone
			out.zone, out.targets = zone, targets
		}
		answers := c.askAll(ctx, targets, cur, want)
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

// servers finds the zone of name and the addresses of its authoritative
// servers; ok is false when they cannot be found (findings say why).
// Deep (Diagnose) goes past a DNSSEC failure to show what the
// authoritative servers hold.
func (c *Checker) servers(ctx context.Context, res *Result, name string, deep bool) (zone string, targets []target, ok bool) {
	zone, err := c.findZone(ctx, name, false)
	cd := false
	if err != nil && deep && findingFor(err) == "dns.servfail" {
		// A validating resolver that answers with checking disabled
		// fails DNSSEC validation: name it, and go on with CD=1.
		if z, cdErr := c.findZone(ctx, name, true); cdErr == nil {
			c.bogus(res, err, name)
			cd, zone, err = true, z, nil
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
		fix := "check that the resolvers are reachable (--resolver)"
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

// ask sends a question to the discovery servers in order until one
// answers with something other than SERVFAIL or REFUSED; cd asks with
// checking disabled, past a validating resolver's DNSSEC failure.
func (c *Checker) ask(ctx context.Context, name string, qtype uint16, cd bool) (*dns.Msg, string, error) {
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
// zone that holds name; cd as for ask.
func (c *Checker) findZone(ctx context.Context, name string, cd bool) (string, error) {
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
				return "", first
			}
			cur = cur[off:]
			continue
		}
		if err != nil {
			return "", err
		}
		for _, rr := range m.Answer {
			if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, cur) {
				return dns.CanonicalName(soa.Hdr.Name), nil
			}
		}
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(soa.Hdr.Name, name) {
				return dns.CanonicalName(soa.Hdr.Name), nil
			}
		}
		off, end := dns.NextLabel(cur, 0)
		if end {
			if first != nil {
				return "", first
			}
			return ".", nil
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = found{host: h, addrs: c.addresses(ctx, h, cd)}
		}()
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

// askAll asks every authoritative address for the TXT records of name,
// in parallel, keeping the order of targets.
func (c *Checker) askAll(ctx context.Context, targets []target, name, want string) []Server {
	out := make([]Server, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.query(ctx, t.addr, question{name: name, qtype: dns.TypeTXT})
			out[i] = c.serverResult(r, t, RoleAuthoritative, name, want)
		}()
	}
	wg.Wait()
	return out
}

func (c *Checker) askResolvers(ctx context.Context, name, want string) []Server {
	out := make([]Server, len(c.Resolvers))
	var wg sync.WaitGroup
	for i, addr := range c.Resolvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.query(ctx, addr, question{name: name, qtype: dns.TypeTXT, rd: true})
			out[i] = c.serverResult(r, target{addr: addr}, RoleResolver, name, want)
		}()
	}
	wg.Wait()
	return out
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.query(ctx, t.addr, question{name: zone, qtype: dns.TypeSOA})
			if r.err != nil || r.msg == nil {
				return
			}
			for _, rr := range r.msg.Answer {
				if soa, ok := rr.(*dns.SOA); ok {
					answers[i].Serial = soa.Serial
				}
			}
		}()
	}
	wg.Wait()
}
