package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/orgctl/orgctl/codegen"
)

// Diagnose checks domain by both methods and runs every probe that can
// explain a failure, not only those the verdict needs: the code looked for
// at the doubled origin, at www and other names users pick, in the parent
// zone above a delegation; a SERVFAIL asked again with checking disabled
// (DNSSEC); each authoritative server over TCP; the system resolvers
// against the configured ones (split horizon). The verdicts are those of
// DNS and HTTP: the probes only add findings, each with the catalogue's
// explanation in Why.
//
// The result has the shape of Any's: the fields of the more favourable
// method, with both results in DNS and HTTP, except that Findings holds
// the findings of both methods (DNS first).
func (c *Checker) Diagnose(ctx context.Context, domain string, code Code) (*Result, error) {
	var d, h *Result
	var derr, herr error
	var wg sync.WaitGroup
	wg.Go(func() { d, derr = c.dns(ctx, domain, code, true) })
	wg.Go(func() { h, herr = c.http(ctx, domain, code, true) })
	wg.Wait()
	if derr != nil {
		return nil, derr
	}
	if herr != nil {
		return nil, herr
	}
	for _, r := range []*Result{d, h} {
		explain(r)
		for _, s := range r.Subdomains {
			explain(s)
		}
	}
	sameCause(d, h)
	res := combine(d, h)
	// A diagnosis lists what both methods found, as its report does;
	// each method's own list stays in DNS and HTTP.
	res.Findings = append(append([]Finding{}, d.Findings...), h.Findings...)
	res.Unused = unusedMethod(res)
	return res, nil
}

// sameCause points the HTTP method's failure to look up the host's
// address at the cause that the DNS method found for the same resolvers'
// failure (name servers that do not answer, DNSSEC), instead of at the
// resolvers.
func sameCause(d, h *Result) {
	i := slices.IndexFunc(d.Findings, func(f Finding) bool {
		return f.Severity == SeverityError && (f.Code == "dns.dnssec_bogus" || f.Code == "dns.ns_unreachable") && f.Fix != ""
	})
	if i < 0 {
		return
	}
	cause := d.Findings[i]
	for j := range h.Findings {
		f := &h.Findings[j]
		if strings.HasPrefix(f.Code, "dns.") && strings.HasPrefix(f.Message, "the address of ") {
			f.Message += fmt.Sprintf("; the cause is the DNS method's (%s)", cause.Code)
			f.Fix = cause.Fix
		}
	}
}

// explain fills in each finding's Why from the catalogue, and its
// ByteDiff from the value it saw.
func explain(r *Result) {
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Why == "" {
			f.Why = Explain(f.Code)
		}
		f.ByteDiff = byteDiff(f.Found, r.Expected, f.Code)
	}
}

// recheckServfail asks each resolver that answered SERVFAIL again with
// checking disabled: an answer then means DNSSEC validation failed.
func (c *Checker) recheckServfail(ctx context.Context, resolvers []Server) {
	var wg sync.WaitGroup
	for i := range resolvers {
		s := &resolvers[i]
		if s.Rcode != "SERVFAIL" {
			continue
		}
		wg.Go(func() {
			r := c.query(ctx, s.Server, question{name: s.Name, qtype: dns.TypeTXT, rd: true, cd: true})
			if r.err == nil && r.tcpErr == nil {
				s.CDRcode = dns.RcodeToString[r.msg.Rcode]
			}
		})
	}
	wg.Wait()
}

// bogus reports a discovery SERVFAIL that went away with CD=1; zone is
// the zone found with CD=1, whose chain of trust it reads.
func (c *Checker) bogus(ctx context.Context, res *Result, err error, name, zone string) {
	le, _ := err.(*lookupError)
	server := ""
	var ede []ExtendedError
	if le != nil {
		server, ede = le.server, le.ede
	}
	f := bogusFinding(server, name+" SOA", "NOERROR", ede)
	c.staleDS(ctx, &f, zone)
	res.add(f)
}

// bogusFinding is the dns.dnssec_bogus finding for a resolver that
// answered SERVFAIL for question, and cdRcode with checking disabled.
func bogusFinding(server, question, cdRcode string, ede []ExtendedError) Finding {
	msg := fmt.Sprintf("the resolver %s answers SERVFAIL for %s, but %s when asked with checking disabled (CD=1): DNSSEC validation fails",
		server, question, cdRcode)
	if len(ede) > 0 {
		msg += "; it says" + edeSuffix(ede)
	} else {
		msg += "; it sent no extended DNS error"
	}
	return Finding{Code: "dns.dnssec_bogus", Severity: SeverityError, Server: server, Message: msg, Fix: dnssecFix(ede)}
}

// dnssecFix is the fix for a validation failure, by its extended error.
func dnssecFix(ede []ExtendedError) string {
	for _, e := range ede {
		switch e.Code {
		case dns.ExtendedErrorCodeSignatureExpired:
			return "re-sign the zone: its RRSIG signatures have expired (check that the signer re-signs automatically)"
		case dns.ExtendedErrorCodeSignatureNotYetValid:
			return "check the signer's clock: the signatures are not valid yet"
		case dns.ExtendedErrorCodeDNSKEYMissing, dns.ExtendedErrorCodeNoZoneKeyBitSet, dns.ExtendedErrorCodeUnsupportedDNSKEYAlgorithm:
			return "make the DS record at the registrar match a DNSKEY the zone publishes, or remove the DS if the zone is no longer signed"
		}
	}
	return "re-sign the zone after every change (its signatures do not match its data), or remove the DS record at the registrar if the zone is no longer signed"
}

// commonNames are the owner names, relative to the name checked, where
// users put the record by mistake.
var commonNames = []string{"www", "_logmein", "logmein", "_logmein-verification", "logmein-verification",
	"logmein-verification-code", "_logmein-verification-code", "_verification", "verification", "txt"}

// probe runs Diagnose's extra DNS probes for one name checked.
func (c *Checker) probe(ctx context.Context, res *Result, domain string, auth authOutcome) {
	var mu sync.Mutex
	add := func(f Finding) {
		mu.Lock()
		defer mu.Unlock()
		res.add(f)
	}
	var found []Server // the system resolvers' answers
	var wg sync.WaitGroup
	wg.Go(func() { c.probeTCP(ctx, auth, add) })
	wg.Go(func() { found = c.probeSystem(ctx, res, add) })
	// Where else the code might be is worth asking only when no
	// authoritative server has it.
	if missed(res.Status) && len(auth.targets) > 0 {
		wg.Go(func() { c.probeNames(ctx, res, domain, auth, add) })
		wg.Go(func() { c.probeCut(ctx, res, domain, add) })
	}
	wg.Wait()
	res.Servers = append(res.Servers, found...)
	if slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Code == "dns.dnssec_bogus" }) {
		// The check ran on with CD=1; a validating resolver fails it all
		// the same.
		res.setStatus(StatusError)
	}
}

// missed reports whether status means that no authoritative server
// serves the code.
func missed(s Status) bool {
	return s == StatusNotFound || s == StatusMismatch || s == StatusError
}

// probeTCP asks each authoritative server that answered over UDP the
// name's SOA again over TCP: any answer shows that TCP works.
func (c *Checker) probeTCP(ctx context.Context, auth authOutcome, add func(Finding)) {
	var wg sync.WaitGroup
	for _, s := range auth.servers {
		if s.Error != "" || s.Transport != "udp" {
			continue
		}
		wg.Go(func() {
			m := new(dns.Msg)
			m.SetQuestion(s.Name, dns.TypeSOA)
			m.RecursionDesired = false
			m.SetEdns0(c.udpSize(), false)
			r := c.exchange(ctx, m, "tcp", s.Server, 0)
			if r.err == nil || ctxErr(ctx) != nil {
				return
			}
			label := serverLabel(s)
			add(Finding{Code: "dns.ns_no_tcp", Severity: SeverityWarning, Server: label,
				Message: fmt.Sprintf("%s answers over UDP but not over TCP (%v): an answer too big for UDP, or a resolver that retries over TCP, gets nothing", label, r.err),
				Fix:     "allow DNS over TCP port 53 to the name server (RFC 7766 makes TCP mandatory); firewalls and load balancers often pass only UDP"})
		})
	}
	wg.Wait()
}

// probeSystem compares the system resolvers' view of the name with the
// authoritative servers': a difference that is not a cache is split
// horizon.
func (c *Checker) probeSystem(ctx context.Context, res *Result, add func(Finding)) []Server {
	authHas := false
	for _, s := range res.Servers {
		if s.Role == RoleAuthoritative && s.Match {
			authHas = true
		}
	}
	var out []Server
	for _, addr := range c.SystemResolvers {
		if slices.Contains(c.Resolvers, addr) {
			continue
		}
		// One try each: a machine's resolver that does not answer at
		// once is worth a note, not a wait.
		r := c.query(ctx, addr, question{name: res.Name, qtype: dns.TypeTXT, rd: true, tries: 1})
		s := c.serverResult(r, target{addr: addr}, RoleResolver, res.Name, res.Expected)
		s.System = true
		out = append(out, s)
		switch {
		case s.Error != "":
			add(Finding{Code: "dns.resolver_unreachable", Severity: SeverityInfo, Server: addr,
				Message: fmt.Sprintf("the system resolver %s did not answer for %s: %s", addr, res.Name, s.Error)})
		case s.Match && !authHas:
			// Not why verification fails (the missing record is), but
			// why dig run here says it should not.
			add(Finding{Code: "dns.resolver_disagrees", Severity: SeverityWarning, Server: addr, Found: res.Expected,
				Message: fmt.Sprintf("this machine's resolver %s serves the code for %s, but the zone's authoritative servers do not: the record is in an internal view of the zone (split-horizon DNS) or an old cache, and the provider sees the public one",
					addr, res.Name),
				Fix: "publish the record in the public zone, on the servers the domain is delegated to"})
		case !s.Match && authHas && viewOf(r, res.Zone):
			add(Finding{Code: "dns.resolver_disagrees", Severity: SeverityWarning, Server: addr,
				Message: fmt.Sprintf("this machine's resolver %s answers %s for %s (%s) while the authoritative servers serve the code: an internal view of the zone (split-horizon DNS) or a cache; the provider sees the public view, but dig run here misleads",
					addr, s.Rcode, res.Name, quoteAll(s.Found)),
				Fix: "nothing to change for the provider; to see the public view here, ask a public resolver"})
		}
	}
	return out
}

// viewOf reports whether a resolver's answer comes from a view of zone:
// data or NODATA, or an NXDOMAIN under zone's own SOA. A resolver that
// cannot see the zone at all (SERVFAIL, or NXDOMAIN from a parent, as for
// a name only some resolvers know) shows no other view of it.
func viewOf(r reply, zone string) bool {
	if r.err != nil || r.msg == nil {
		return false
	}
	switch r.msg.Rcode {
	case dns.RcodeSuccess:
		return true
	case dns.RcodeNameError:
		for _, rr := range r.msg.Ns {
			if soa, ok := rr.(*dns.SOA); ok && zone != "" && strings.EqualFold(dns.CanonicalName(soa.Hdr.Name), zone) {
				return true
			}
		}
	}
	return false
}

// probeNames looks for the code at names where users put it by mistake:
// the doubled origin, www and other common names, and, for a subdomain,
// the domain itself.
func (c *Checker) probeNames(ctx context.Context, res *Result, domain string, auth authOutcome, add func(Finding)) {
	name := res.Name
	rel := strings.TrimSuffix(name, ".")
	type probe struct {
		name, code string
	}
	var probes []probe
	if auth.zone != "" && auth.zone != "." {
		probes = append(probes, probe{rel + "." + auth.zone, "dns.doubled_origin"})
	}
	for _, n := range commonNames {
		probes = append(probes, probe{n + "." + name, "dns.wrong_name"})
	}
	apex := dns.CanonicalName(domain)
	if apex != name {
		probes = append(probes, probe{apex, "dns.wrong_name"})
	}
	// Only servers that answered are asked: one that timed out would
	// make every probe wait for it.
	var targets []target
	for _, t := range auth.targets {
		if slices.ContainsFunc(res.Servers, func(s Server) bool { return s.Server == t.addr && s.Error == "" }) {
			targets = append(targets, t)
		}
	}
	// A wildcard below name answers every probe there with the same
	// record: found as letsdebug does, by a random label, it is said
	// once, and the probes it answers say nothing more.
	wild, wildServer, isWild := c.lookTXT(ctx, targets, randomLabel()+"."+name, res.Expected)
	if isWild {
		add(wildcardFinding(name, auth.zone, wild, wildServer, res.Expected))
	}
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Go(func() {
			v, server, ok := c.lookTXT(ctx, targets, p.name, res.Expected)
			if !ok || isWild && v == wild && dns.IsSubDomain(name, dns.CanonicalName(p.name)) {
				return
			}
			add(c.misplaced(p.code, name, p.name, auth.zone, v, server, res.Expected, apex))
		})
	}
	wg.Wait()
}

// randomLabel is a label no zone holds, to find a wildcard.
func randomLabel() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "orgctl-" + hex.EncodeToString(b[:])
}

// wildcardFinding is the dns.wildcard finding: the code (or the near miss
// v) is published as *.name, which answers for every name below name but
// not for name itself.
func wildcardFinding(name, zone, v, server, want string) Finding {
	what, also := "the code", ""
	if v != want {
		what = "a near miss of the code"
		if m, ok := classify(v, want); ok {
			what, also = m.what, "; and "+m.fix
		}
	}
	return Finding{Code: "dns.wildcard", Severity: SeverityError, Server: server, Found: v,
		Message: fmt.Sprintf("%s is published as a wildcard, *.%s: any name below %s returns it (a random one does), but a wildcard does not cover %s itself, which exists (the zone apex, or an empty non-terminal with names below it)",
			what, name, name, name),
		Fix: fmt.Sprintf("publish the TXT record at %s itself (host %s in the zone %s); the wildcard can go%s",
			name, hostLabel(name, zone), strings.TrimSuffix(zone, "."), also)}
}

// misplaced is the finding for the code (or a near miss, v) found at
// other instead of name.
func (c *Checker) misplaced(code, name, other, zone, v, server, want, apex string) (f Finding) {
	what, also := "the code", ""
	if v != want {
		what = "a near miss of the code"
		if m, ok := classify(v, want); ok {
			what, also = m.what, "; and "+m.fix
		}
	}
	defer func() { f.Fix += also }()
	f = Finding{Code: code, Severity: SeverityError, Server: server, Found: v}
	host := hostLabel(name, zone)
	switch {
	case code == "dns.doubled_origin":
		f.Message = fmt.Sprintf("%s is published at %s instead of %s: the zone name was added to a name that already held it", what, other, name)
		f.Fix = fmt.Sprintf("in a zone file, end the name with a dot (%s) or write %s; in a DNS panel, enter %s as the host, not the full name", name, host, host)
	case other == apex:
		f.Message = fmt.Sprintf("%s is published at %s but not at %s: each subdomain to cover needs its own record", what, other, name)
		f.Fix = fmt.Sprintf("add the same TXT record at %s (host %s in the zone %s)", name, host, strings.TrimSuffix(zone, "."))
	default:
		f.Message = fmt.Sprintf("%s is published at %s instead of %s", what, other, name)
		f.Fix = fmt.Sprintf("move the record to %s: in the DNS panel enter %s as the host", name, host)
	}
	return f
}

// hostLabel is how a DNS panel names name in zone: "@" at the apex, else
// the labels in front of the zone.
func hostLabel(name, zone string) string {
	if zone == "" || dns.CanonicalName(name) == dns.CanonicalName(zone) {
		return "@"
	}
	if dns.IsSubDomain(zone, name) {
		return strings.TrimSuffix(strings.TrimSuffix(dns.CanonicalName(name), dns.CanonicalName(zone)), ".")
	}
	return name
}

// lookTXT asks the servers in order, until one answers, for the TXT
// records of name, and returns the value that is the code or closest to
// it.
func (c *Checker) lookTXT(ctx context.Context, targets []target, name, want string) (value, server string, ok bool) {
	for _, t := range targets {
		r := c.query(ctx, t.addr, question{name: name, qtype: dns.TypeTXT})
		if r.err != nil || r.tcpErr != nil {
			continue
		}
		s := c.serverResult(r, t, RoleAuthoritative, dns.CanonicalName(name), want)
		for _, v := range s.Found {
			if v == want {
				return v, serverLabel(s), true
			}
		}
		for _, v := range s.Found {
			if _, near := classify(v, want); near {
				return v, serverLabel(s), true
			}
		}
		return "", "", false
	}
	return "", "", false
}

// probeCut explains a name that is a zone of its own: resolvers ask the
// servers it is delegated to, so a record kept in the parent zone is never
// seen. The record itself shows when a parent server answers with it, or
// allows a zone transfer; else, for a name delegated inside the
// organization's own domain, the delegation alone is worth saying.
func (c *Checker) probeCut(ctx context.Context, res *Result, domain string, add func(Finding)) {
	name := res.Name
	if res.Zone != name {
		return
	}
	off, end := dns.NextLabel(name, 0)
	if end {
		return
	}
	// Below the registrable domain the parent zone is the organization's;
	// above it, a registry's, which holds nothing but delegations.
	bare := strings.TrimSuffix(name, ".")
	reg, err := publicsuffix.EffectiveTLDPlusOne(bare)
	if err != nil || reg == bare {
		return
	}
	parentZone, _, err := c.findZone(ctx, name[off:], false)
	if err != nil || parentZone == "." {
		return
	}
	targets, err := c.discover(ctx, &Result{}, parentZone, false)
	if err != nil {
		return
	}
	var hosts []string
	for _, s := range res.Servers {
		if s.Role == RoleAuthoritative && s.Host != "" && !slices.Contains(hosts, strings.TrimSuffix(s.Host, ".")) {
			hosts = append(hosts, strings.TrimSuffix(s.Host, "."))
		}
	}
	delegated := "its own name servers"
	if len(hosts) > 0 {
		delegated = strings.Join(hosts, ", ")
	}
	parent := strings.TrimSuffix(parentZone, ".")
	f := Finding{Code: "dns.zone_cut", Severity: SeverityError,
		Fix: fmt.Sprintf("publish the record in the zone %s on %s, or remove the delegation (its NS records in %s) so that %s answers for it",
			bare, delegated, parent, parent)}
	v, server, ok := c.lookTXT(ctx, targets, name, res.Expected)
	how := "on " + server
	if !ok {
		v, server, ok = c.transferTXT(ctx, targets, parentZone, name, res.Expected)
		how = "seen in a zone transfer from " + server
	}
	if ok {
		f.Server, f.Found = server, v
		f.Message = fmt.Sprintf("%s is delegated to %s, but the code sits in the parent zone %s (%s): resolvers follow the delegation and never see it",
			name, delegated, parent, how)
		add(f)
		return
	}
	f.Message = fmt.Sprintf("%s is a zone of its own, delegated from %s to %s: a record added at %s in the zone %s is hidden by the delegation",
		name, parent, delegated, hostLabel(name, parentZone), parent)
	add(f)
}

// transferTXT asks the servers in order for a zone transfer (AXFR) of
// zone until one allows it, and looks in it for the code (or a near miss)
// at name, data that a delegation hides from queries. Only the first
// message of the transfer is read: enough for the zones this looks at.
func (c *Checker) transferTXT(ctx context.Context, targets []target, zone, name, want string) (value, server string, ok bool) {
	for _, t := range targets {
		m := new(dns.Msg)
		m.SetAxfr(zone)
		r := c.exchange(ctx, m, "tcp", t.addr, 0)
		if r.err != nil || r.msg.Rcode != dns.RcodeSuccess || len(r.msg.Answer) == 0 {
			continue
		}
		label := serverLabel(Server{Server: t.addr, Host: t.host})
		var near string
		for _, rr := range r.msg.Answer {
			txt, isTXT := rr.(*dns.TXT)
			if !isTXT || !strings.EqualFold(dns.CanonicalName(txt.Hdr.Name), name) {
				continue
			}
			v := strings.Join(txtStrings(txt), "")
			if v == want {
				return v, label, true
			}
			if _, close := classify(v, want); close && near == "" {
				near = v
			}
		}
		return near, label, near != ""
	}
	return "", "", false
}

// describeCodes says, for each other code found, what the KnownCode
// callback knows of it (which domain it was made for, and when).
func (c *Checker) describeCodes(res *Result) {
	if c.KnownCode == nil {
		return
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if (f.Code != "dns.wrong_code" && f.Code != "http.wrong_code") || f.Found == "" {
			continue
		}
		if desc, ok := c.KnownCode(uuidOf(strings.ToLower(f.Found))); ok {
			f.Message += "; it is " + desc
		}
	}
}

// probeURLs looks for the file at the URLs where it is often served
// instead of http://HOST/: over https only, on www., under /.well-known/,
// or under a name with the extension doubled or missing.
func (c *Checker) probeURLs(ctx context.Context, res *Result, host string) {
	type probe struct{ url, fix string }
	file := "/" + codegen.FileName
	probes := []probe{
		{"https://" + host + file, "serve the file over plain http (port 80) too, or redirect http:// to https:// with a 301; the provider starts at http://"},
		{"http://" + host + "/.well-known" + file, "move the file to the web root: " + res.URL},
		// Windows hides known extensions: "…code.txt" typed as the name
		// becomes …code.txt.txt; and some leave the extension out.
		{"http://" + host + file + ".txt", "rename the file to " + codegen.FileName + ": it was saved with the extension twice (Windows hides known extensions)"},
		{"http://" + host + strings.TrimSuffix(file, ".txt"), "rename the file to " + codegen.FileName + ", with the .txt extension"},
	}
	if !strings.HasPrefix(host, "www.") {
		probes = append(probes, probe{"http://www." + host + file,
			fmt.Sprintf("serve the file on %s too, or redirect http://%s/ to http://www.%s/ with a 301", host, host, host)})
	}
	found := make([]bool, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		if !c.mayProbe(p.url) {
			continue
		}
		wg.Go(func() { found[i] = c.servesCode(ctx, p.url, res.Expected) })
	}
	wg.Wait()
	for i, p := range probes {
		if found[i] {
			res.add(Finding{Code: "http.wrong_url", Severity: SeverityError, Fix: p.fix,
				Message: fmt.Sprintf("the code is served at %s, but the provider fetches %s", p.url, res.URL)})
		}
	}
}

// mayProbe reports whether a probe may connect for u: with --connect-to
// rules, only where a rule sends it (the user said where the servers
// are, and tests must not dial out); without, anywhere.
func (c *Checker) mayProbe(u string) bool {
	if len(c.ConnectTo) == 0 {
		return true
	}
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	port := pu.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[pu.Scheme]
	}
	_, _, ok := c.connectTo(pu.Hostname(), port)
	return ok
}

// servesCode reports whether u answers 200 with the code (a trailing
// newline allowed), following redirects as the check does. Its first hop
// is resolved like a redirect's, or sent by --connect-to.
func (c *Checker) servesCode(ctx context.Context, u, want string) bool {
	ch := &chain{addr: Address{Hops: []Hop{}}}
	final, body := c.follow(ctx, ch, u, dialTarget{}, c.userAgentHeaders())
	return final != nil && final.StatusCode == http.StatusOK && strings.TrimRight(string(body), "\r\n") == want
}
