package verifytest

import (
	"maps"
	"net"
	"slices"
	"time"

	"github.com/miekg/dns"
)

const (
	// ednsSize is the UDP payload size the server advertises: the DNS Flag
	// Day 2020 default, which BIND and Unbound use too.
	ednsSize = 1232
	// maxChain is how many CNAMEs the server follows for one query.
	maxChain = 16
)

// serveDNS answers one query. The ServeMux only passes queries with a
// question, and dns.Server's default accept function only ones with exactly
// one.
func (s *Server) serveDNS(w dns.ResponseWriter, r *dns.Msg) {
	network := "udp"
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	q := r.Question[0]
	opt := r.IsEdns0()
	s.logQuery(Query{
		Name: q.Name,
		Type: q.Qtype,
		Net:  network,
		RD:   r.RecursionDesired,
		CD:   r.CheckingDisabled,
		DO:   opt != nil && opt.Do(),
		Time: time.Now(),
	})
	s.maybeReload()

	s.mu.RLock()
	opts, zs := s.opts, s.zones
	s.mu.RUnlock()

	switch {
	case opts.Drop:
		return
	case opts.NoTCP && network == "tcp":
		w.Close()
		return
	}
	m := reply(r, opts, zs)
	if network == "udp" {
		truncate(m, udpLimit(opt, opts.MaxUDP))
	}
	w.WriteMsg(m) // nothing to do about a client that went away
}

// reply builds the response to r.
func reply(r *dns.Msg, opts Options, zs zoneSet) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Compress = true
	m.RecursionAvailable = opts.Recursive
	opt := r.IsEdns0()
	if opt != nil && opts.NoEDNS {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	if opt != nil {
		m.SetEdns0(ednsSize, opt.Do())
		if opt.Version() != 0 {
			m.Rcode = dns.RcodeBadVers // RFC 6891 §6.1.3
			return m
		}
	}
	if r.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeNotImplemented
		return m
	}

	switch {
	case opts.Refuse:
		m.Rcode = dns.RcodeRefused
		return m
	case opts.ServFail && !(opts.ServFailEDE != nil && r.CheckingDisabled):
		m.Rcode = dns.RcodeServerFailure
		if opts.ServFailEDE != nil && opt != nil {
			ede := *opts.ServFailEDE
			o := m.IsEdns0()
			o.Option = append(o.Option, &ede)
		}
		return m
	}

	q := r.Question[0]
	switch {
	case q.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeRefused
	case q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR:
		m.Rcode = dns.RcodeRefused // zone transfers are not offered
	default:
		resolve(m, q, opts, zs)
	}
	return m
}

// resolve fills in the answer to q from zs, following RFC 1034 §4.3.2.
func resolve(m *dns.Msg, q dns.Question, opts Options, zs zoneSet) {
	name := dns.CanonicalName(q.Name)
	z := zs.find(name)
	if z != nil && q.Qtype == dns.TypeDS && name == z.origin && name != "." {
		// The DS RRset lives on the parent side of the cut (RFC 4035 §2.4).
		if p := zs.find(parent(name)); p != nil {
			z = p
		}
	}
	if z == nil {
		m.Rcode = dns.RcodeRefused
		return
	}

	rec := opts.Recursive
	owner := q.Name // the owner of synthesised records
	seen := map[string]bool{}
	aa := !rec
	for {
		if c := z.cut(name, q.Qtype); c != "" {
			if rec {
				// The child zone is not held: the resolver cannot go on.
				servFail(m)
				return
			}
			// A referral (step 3b). After a CNAME the answer is still ours.
			aa = aa && len(m.Answer) > 0
			ns := z.nodes[c][dns.TypeNS]
			m.Ns = append(m.Ns, ns...)
			m.Extra = append(m.Extra, z.glue(ns)...)
			break
		}

		node, wild, exists := z.lookup(name)
		if !exists {
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, z.neg)
			break
		}
		if cn := node[dns.TypeCNAME]; len(cn) > 0 && q.Qtype != dns.TypeCNAME && q.Qtype != dns.TypeANY {
			rr := synth(cn[0], owner, wild).(*dns.CNAME)
			m.Answer = append(m.Answer, rr)
			seen[name] = true
			target := dns.CanonicalName(rr.Target)
			if seen[target] || len(m.Answer) >= maxChain {
				// A loop, or too long. BIND hands out the chain so far;
				// resolvers give up.
				if rec {
					servFail(m)
				}
				break
			}
			next := z
			if rec {
				next = zs.find(target)
			} else if !dns.IsSubDomain(z.origin, target) {
				next = nil
			}
			if next == nil {
				if rec {
					servFail(m) // the chain leaves what we hold: no internet here
				}
				break // the client follows the chain itself
			}
			z, name, owner = next, target, rr.Target
			continue
		}

		n := len(m.Answer)
		if q.Qtype == dns.TypeANY {
			// RFC 8482 allows less, but everything at the name is most
			// useful for looking at a zone.
			for _, t := range slices.Sorted(maps.Keys(node)) {
				m.Answer = append(m.Answer, synthAll(node[t], owner, wild)...)
			}
		} else {
			m.Answer = append(m.Answer, synthAll(node[q.Qtype], owner, wild)...)
		}
		if len(m.Answer) == n {
			m.Ns = append(m.Ns, z.neg) // NODATA (RFC 2308 §2.2)
		}
		break
	}
	m.Authoritative = aa && !opts.NoAA
}

// servFail turns m into a SERVFAIL without records, keeping its OPT.
func servFail(m *dns.Msg) {
	m.Rcode = dns.RcodeServerFailure
	m.Answer, m.Ns = nil, nil
	m.Extra = onlyOPT(m.Extra)
}

// synth returns rr, or for a wildcard match a copy owned by owner.
func synth(rr dns.RR, owner string, wild bool) dns.RR {
	if !wild {
		return rr
	}
	c := dns.Copy(rr)
	c.Header().Name = owner
	return c
}

func synthAll(rrs []dns.RR, owner string, wild bool) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = synth(rr, owner, wild)
	}
	return out
}

// udpLimit returns the largest UDP response the client takes: its EDNS0
// buffer size, at least 512 (RFC 6891 §6.2.5), capped by maxUDP if set.
func udpLimit(opt *dns.OPT, maxUDP int) int {
	n := dns.MinMsgSize
	if opt != nil {
		n = max(n, int(opt.UDPSize()))
	}
	if maxUDP > 0 {
		n = min(n, maxUDP)
	}
	return n
}

// truncate empties m and sets TC if it is longer than limit. Dropping every
// record, rather than as many as needed, leaves the client no partial RRset
// to misuse and makes truncation easy to assert.
func truncate(m *dns.Msg, limit int) {
	if m.Len() <= limit {
		return
	}
	m.Truncated = true
	m.Answer, m.Ns = nil, nil
	m.Extra = onlyOPT(m.Extra)
}

func onlyOPT(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}
