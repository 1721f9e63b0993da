package verify

import (
	"context"
	"strings"
	"time"
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
	// Roots are the servers (host:port) where Diagnose starts a walk down
	// the delegations when the resolvers cannot name the servers of any
	// zone above the name: RootHints() on a real network. Nil means no
	// walk from the top (a test or a closed network must never send
	// queries to the Internet's root servers).
	Roots []string
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
	// Cache, when set, keeps discovery answers across checks (a bulk
	// run); share it only between Checkers with the same Resolvers.
	Cache *Cache
	// Pacer, when set, paces the queries to each server and counts them;
	// nil sends them as fast as the checks ask.
	Pacer *Pacer
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
	// LastVerified, when set, is when the domain last verified (the
	// history of orgctl verify --stored): Run gives a result that is
	// checked and not verified now a code.lost finding naming it.
	LastVerified time.Time
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
