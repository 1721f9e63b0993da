package verify

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/orgctl/orgctl/internal/english"
)

// serverLabel names a server in findings: "ns1.main.com (192.0.2.1:53)".
func serverLabel(s Server) string {
	if s.Host != "" {
		return fmt.Sprintf("%s (%s)", strings.TrimSuffix(s.Host, "."), s.Server)
	}
	return s.Server
}

// authState is how one authoritative answer counts for the pass rule.
type authState int

const (
	stateMatch       authState = iota // serves the code
	stateMissing                      // answers, without the code
	stateLame                         // REFUSED, no AA, referral
	stateFailed                       // SERVFAIL, or truncated with TCP refused
	stateUnreachable                  // no answer at all
)

func classifyAuth(s Server) authState {
	switch {
	case s.Error != "" && s.Rcode == "":
		return stateUnreachable
	case s.Error != "":
		return stateFailed
	case s.Rcode == "SERVFAIL":
		return stateFailed
	case s.referral:
		// A parent's server asked in the zone's place (the zone could not
		// be found): it is not at fault, and gives no answer to judge.
		return stateFailed
	case s.Rcode != "NOERROR" && s.Rcode != "NXDOMAIN":
		return stateLame
	case !s.AA:
		return stateLame
	case s.Match:
		return stateMatch
	default:
		return stateMissing
	}
}

// decide sets res.Status from the authoritative answers, then lets the
// resolvers turn verified into propagating; every reason becomes a finding.
func (c *Checker) decide(res *Result, auth authOutcome, resolvers []Server) {
	want := res.Expected
	if auth.loop {
		res.setStatus(StatusNotFound)
		// Resolvers answer SERVFAIL for a looping alias: the loop, not
		// the resolver, is the failure.
		var rest []Server
		for _, s := range resolvers {
			if s.Rcode == "SERVFAIL" {
				res.add(Finding{Code: "dns.servfail", Severity: SeverityInfo, Server: s.Server,
					Message: fmt.Sprintf("the resolver %s returned SERVFAIL for %s TXT because of the CNAME loop", s.Server, s.Name)})
				continue
			}
			rest = append(rest, s)
		}
		c.judgeResolvers(res, rest, false, false)
		return
	}
	if auth.err == StatusError {
		res.setStatus(StatusError)
		return
	}

	counts := map[authState]int{}
	var reachable []Server
	var down []string // the servers that did not answer
	for _, s := range auth.servers {
		st := classifyAuth(s)
		counts[st]++
		if st != stateUnreachable {
			reachable = append(reachable, s)
		} else {
			down = append(down, serverLabel(s))
		}
	}
	for _, s := range auth.servers {
		if len(reachable) > 0 || classifyAuth(s) != stateUnreachable {
			// When none answers, the error below names them all.
			c.serverFindings(res, s, classifyAuth(s))
		}
	}

	if len(auth.servers) == 0 {
		// The zone is the root: the name does not exist anywhere.
		res.addf("dns.nxdomain", SeverityError, "register the domain or fix its spelling",
			"%s does not exist: the resolvers answer NXDOMAIN for it and every parent name", res.Name)
		res.setStatus(StatusNotFound)
		return
	}
	if len(reachable) == 0 {
		// Fall back to the resolvers for what they can tell, never for a
		// pass: their answer may come from a cache or another view.
		seen := ""
		for _, s := range resolvers {
			if s.Match {
				seen = fmt.Sprintf("; the resolver %s serves the code, but that cannot be confirmed at the source", s.Server)
				break
			}
		}
		// With --nameserver the zone was not looked for: name the name.
		zone := cmp.Or(res.Zone, res.Name)
		f := Finding{Code: "dns.ns_unreachable", Severity: SeverityError,
			Message: fmt.Sprintf("none of the %d authoritative server addresses of %s answered: %s%s", len(auth.servers), zone, strings.Join(down, ", "), seen),
			Fix:     fmt.Sprintf("make sure the name servers of %s are up and reachable on UDP and TCP port 53, or delegate the zone to servers that answer", strings.TrimSuffix(zone, "."))}
		if len(down) == 1 {
			f.Server = down[0]
		}
		res.add(f)
		res.setStatus(StatusError)
		c.judgeResolvers(res, resolvers, false, true)
		return
	}
	if counts[stateFailed] == len(reachable) {
		res.setStatus(StatusError)
		return
	}

	switch {
	case counts[stateMatch] == len(reachable):
		res.setStatus(StatusVerified)
	case counts[stateMatch] > 0:
		res.setStatus(StatusPartial)
		c.inconsistent(res, reachable)
	default:
		res.setStatus(c.missing(res, reachable, want))
	}
	if res.Verified {
		for _, s := range reachable {
			if s.Match {
				for _, parts := range s.strings {
					if strings.Join(parts, "") == want && len(parts) > 1 {
						res.add(Finding{Code: "dns.split_strings", Severity: SeverityInfo, Server: serverLabel(s),
							Message: fmt.Sprintf("the record is split into %d character-strings; they join to the code, which is fine", len(parts))})
						break
					}
				}
				break
			}
		}
	}
	c.judgeResolvers(res, resolvers, res.Verified, false)
}

// serverFindings reports what is wrong with one authoritative server.
func (c *Checker) serverFindings(res *Result, s Server, st authState) {
	label := serverLabel(s)
	if s.Truncated {
		if s.Error != "" {
			res.add(Finding{Code: "dns.ns_no_tcp", Severity: SeverityError, Server: label,
				Message: fmt.Sprintf("the answer for %s is too big for UDP (TC=1) and %s does not answer over TCP", s.Name, label),
				Fix:     "allow DNS over TCP port 53 to the name server, or shrink the TXT RRset"})
			res.add(Finding{Code: "dns.truncated", Severity: SeverityError, Server: label,
				Message: fmt.Sprintf("the TXT RRset at %s does not fit in a UDP answer", s.Name),
				Fix:     "remove stale TXT records at the name so that the answer fits in 1232 bytes"})
		} else {
			res.add(Finding{Code: "dns.truncated", Severity: SeverityInfo, Server: label,
				Message: fmt.Sprintf("the TXT RRset at %s is too big for UDP (TC=1); it was read over TCP", s.Name),
				Fix:     "some verifiers do not retry over TCP: remove TXT records that are no longer needed"})
		}
	}
	switch st {
	case stateUnreachable:
		res.add(Finding{Code: "dns.ns_unreachable", Severity: SeverityWarning, Server: label,
			Message: fmt.Sprintf("%s did not answer for %s: %s; judged on the other servers", label, s.Name, s.Error),
			Fix:     "bring the name server back or remove it from the NS set: the provider may ask it"})
	case stateLame:
		why := s.Rcode
		if s.Rcode == "NOERROR" {
			why = "an answer without the AA bit"
		}
		res.add(Finding{Code: "dns.lame", Severity: SeverityError, Server: label,
			Message: fmt.Sprintf("%s is listed as authoritative for %s but returned %s for %s", label, res.Zone, why, s.Name),
			Fix:     fmt.Sprintf("configure %s to serve the zone %s, or remove it from the NS set", label, strings.TrimSuffix(res.Zone, "."))})
	case stateFailed:
		if s.Rcode == "SERVFAIL" {
			res.add(Finding{Code: "dns.servfail", Severity: SeverityError, Server: label,
				Message: fmt.Sprintf("%s returned SERVFAIL for %s TXT", label, s.Name),
				Fix:     "check the name server's logs: the zone may have failed to load"})
		}
	}
}

// missing picks not_found or mismatch when no reachable authoritative
// server serves the code, with findings for what is there instead.
func (c *Checker) missing(res *Result, reachable []Server, want string) Status {
	status := StatusNotFound
	var values []string
	var nx, nodata bool
	var nxs Server // the first NXDOMAIN answer
	for _, s := range reachable {
		if classifyAuth(s) != stateMissing {
			continue
		}
		values = append(values, s.Found...)
		switch {
		case s.Rcode == "NXDOMAIN":
			if !nx {
				nxs = s
			}
			nx = true
		case len(s.Found) == 0:
			nodata = true
		}
	}
	slices.Sort(values)
	values = slices.Compact(values)

	near := false
	for _, v := range values {
		if m, ok := classify(v, want); ok {
			near = true
			res.add(Finding{Code: m.code, Severity: SeverityError, Fix: m.fix, Found: v,
				Message: fmt.Sprintf("%s holds %s: %q", res.Name, m.what, v)})
		}
	}
	// The value split over two records: each record is one piece.
	if !near && len(values) > 1 && splitAcross(values, want) {
		near = true
		res.addf("dns.split_strings", SeverityError,
			"publish the code as one TXT record (one string, or several strings inside the same record)",
			"the code is split across %d separate TXT records at %s; a verifier reads each record on its own", len(values), res.Name)
	}
	if !near {
		for _, v := range values {
			if mentionsCode(v) {
				near = true
				res.add(Finding{Code: "dns.near_miss", Severity: SeverityError, Fix: "publish the value exactly: " + want, Found: v,
					Message: fmt.Sprintf("%s holds a value that looks like a verification code but is not the expected one: %q", res.Name, v)})
			}
		}
	}
	switch {
	case near:
		status = StatusMismatch
	case nx && aliasEnd(res.Name, nxs) != "":
		end := aliasEnd(res.Name, nxs)
		zone := strings.TrimSuffix(cmp.Or(nxs.soaZone, res.Zone), ".")
		res.addf("dns.nxdomain", SeverityError,
			fmt.Sprintf("a TXT record cannot sit beside a CNAME: remove the CNAME at %s and add the TXT record there, or publish the code at %s (in the zone %s)", res.Name, end, zone),
			"%s is an alias (CNAME) for %s, which does not exist: NXDOMAIN from the authoritative servers of %s, the target's zone", res.Name, end, zone)
	case nx:
		res.addf("dns.nxdomain", SeverityError, fmt.Sprintf("add a TXT record at %s with the value %s", res.Name, want),
			"%s does not exist (NXDOMAIN from the authoritative servers of %s)", res.Name, res.Zone)
	case nodata && len(values) == 0:
		res.addf("dns.nodata", SeverityError, fmt.Sprintf("add a TXT record at %s with the value %s", res.Name, want),
			"%s exists but has no TXT records (NODATA)", res.Name)
	default:
		res.addf("dns.no_code", SeverityError, fmt.Sprintf("add a TXT record at %s with the value %s; keep the others", res.Name, want),
			"%s has %d TXT record(s) but none is a verification code", res.Name, len(values))
	}
	return status
}

// splitAcross reports whether some ordering of two values joins to want.
func splitAcross(values []string, want string) bool {
	for _, a := range values {
		for _, b := range values {
			if a != b && a+b == want {
				return true
			}
		}
	}
	return false
}

// inconsistent reports authoritative servers that disagree.
func (c *Checker) inconsistent(res *Result, reachable []Server) {
	var have, lack []string
	for _, s := range reachable {
		switch classifyAuth(s) {
		case stateMatch:
			have = append(have, serverLabel(s))
		case stateMissing:
			lack = append(lack, serverLabel(s))
		}
	}
	if len(have) == 0 || len(lack) == 0 {
		return
	}
	res.addf("dns.ns_inconsistent", SeverityError,
		"wait for zone transfers to complete, or check that every server loads the same zone (compare SOA serials)",
		"the authoritative servers disagree: %s %s the code, %s %s not%s",
		strings.Join(have, ", "), english.Plural(len(have), "serves", "serve"), strings.Join(lack, ", "), english.Plural(len(lack), "does", "do"), serials(reachable))
}

// judgeResolvers compares the resolvers' view with the authoritative one.
// AuthDown says that no authoritative server answered: a resolver that
// fails then fails because of them, which is said, not blamed on it.
func (c *Checker) judgeResolvers(res *Result, resolvers []Server, authVerified, authDown bool) {
	for _, s := range resolvers {
		switch {
		case authDown && (s.Error != "" || s.Rcode == "SERVFAIL"):
			what := s.Error
			if what == "" {
				what = "SERVFAIL" + edeSuffix(s.EDE)
			}
			res.add(Finding{Code: "dns.resolver_unreachable", Severity: SeverityInfo, Server: s.Server,
				Message: fmt.Sprintf("the resolver %s gives no answer for %s (%s) because the zone's name servers do not answer it either", s.Server, s.Name, what)})
		case s.Error != "":
			res.add(Finding{Code: "dns.resolver_unreachable", Severity: SeverityWarning, Server: s.Server,
				Message: fmt.Sprintf("the resolver %s did not answer for %s: %s", s.Server, s.Name, s.Error),
				Fix:     "check --resolver or the system's resolv.conf"})
		case s.Rcode == "SERVFAIL" && s.CDRcode != "" && s.CDRcode != "SERVFAIL":
			if !res.has("dns.dnssec_bogus", s.Server) {
				res.add(bogusFinding(s.Server, s.Name+" TXT", s.CDRcode, s.EDE))
			}
			res.setStatus(StatusError)
		case s.Rcode == "SERVFAIL":
			res.add(Finding{Code: "dns.servfail", Severity: SeverityError, Server: s.Server,
				Message: fmt.Sprintf("the resolver %s returned SERVFAIL%s for %s TXT", s.Server, edeSuffix(s.EDE), s.Name),
				Fix: fmt.Sprintf("a SERVFAIL means a DNSSEC failure or unreachable name servers: if '%s' answers, DNSSEC validation fails",
					digCD(s.Name, s.Server))})
			res.setStatus(StatusError)
		case authVerified && !s.Match:
			left := int64(s.TTL)
			if left > res.TimeLeftSeconds {
				res.TimeLeftSeconds = left
			}
			if s.negative || s.Rcode == "NXDOMAIN" {
				res.add(Finding{Code: "dns.negative_cached", Severity: SeverityError, Server: s.Server,
					Message: fmt.Sprintf("the resolver %s still answers %s for %s from its cache; about %ds left (the TTL it returns on the cached answer, RFC 2308)",
						s.Server, negativeWord(s), s.Name, s.TTL),
					Fix: "wait for the negative TTL to pass; lower the SOA minimum TTL to shorten it next time"})
			} else {
				res.add(Finding{Code: "dns.resolver_disagrees", Severity: SeverityError, Server: s.Server,
					Message: fmt.Sprintf("the resolver %s serves older data for %s (%s); about %ds left of its TTL",
						s.Server, s.Name, quoteAll(s.Found), s.TTL),
					Fix: "wait for the record's TTL to pass"})
			}
			if res.Status == StatusVerified {
				res.setStatus(StatusPropagating)
			}
		case !authVerified && s.Match && (res.Status == StatusNotFound || res.Status == StatusMismatch):
			res.add(Finding{Code: "dns.resolver_disagrees", Severity: SeverityWarning, Server: s.Server, Found: res.Expected,
				Message: fmt.Sprintf("the resolver %s serves the code for %s but the authoritative servers do not: an internal view of the zone (split-horizon DNS) or an old cache; the provider sees the public one", s.Server, s.Name),
				Fix:     "publish the record on the authoritative servers the domain is delegated to"})
		}
	}
}

func negativeWord(s Server) string {
	if s.Rcode == "NXDOMAIN" {
		return "NXDOMAIN"
	}
	return "NODATA"
}

// serials lists the SOA serial each server reported, when known.
func serials(servers []Server) string {
	var parts []string
	seen := map[uint32]bool{}
	for _, s := range servers {
		if s.Serial != 0 {
			seen[s.Serial] = true
			parts = append(parts, fmt.Sprintf("%s serial %d", serverLabel(s), s.Serial))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if len(seen) == 1 {
		return " (same SOA serial on all: the zone data differs)"
	}
	return " (SOA serials: " + strings.Join(parts, ", ") + ")"
}

// digCD is the dig command that asks server for name's TXT records with
// DNSSEC checking disabled.
func digCD(name, server string) string {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return "dig +cd TXT " + name
	}
	cmd := "dig +cd TXT " + name + " @" + host
	if port != "53" {
		cmd += " -p " + port
	}
	return cmd
}

// aliasEnd is, when the answer s for name came through an alias, the name
// at the end of the chain (the one that does not exist for an NXDOMAIN);
// "" when name itself was answered.
func aliasEnd(name string, s Server) string {
	if len(s.CNAMEs) > 0 {
		return s.CNAMEs[len(s.CNAMEs)-1]
	}
	if s.Name != "" && !strings.EqualFold(s.Name, name) {
		return s.Name
	}
	return ""
}
