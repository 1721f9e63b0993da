package verify

import (
	"fmt"
	"strings"
	"time"
)

// Status is the verdict of one check. Its values are a stable contract
// (DESIGN.md §2): scripts compare them as strings.
type Status string

// The statuses, from best to worst for scripts that only need a yes or no;
// only StatusVerified means the code is served.
const (
	StatusVerified    Status = "verified"
	StatusPropagating Status = "propagating"
	StatusPartial     Status = "partial"
	StatusMismatch    Status = "mismatch"
	StatusNotFound    Status = "not_found"
	StatusError       Status = "error"
)

// rank orders statuses so that the worst of several names decides a domain.
func (s Status) rank() int {
	switch s {
	case StatusVerified:
		return 0
	case StatusPropagating:
		return 1
	case StatusPartial:
		return 2
	case StatusMismatch:
		return 3
	case StatusNotFound:
		return 4
	default:
		return 5
	}
}

// Severity says how much a finding matters.
type Severity string

// The severities. A finding of SeverityError explains why a status is not
// verified.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Finding is one observation with its explanation and fix. Code is a stable
// identifier from the findings catalogue (DESIGN.md §6).
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	Server   string   `json:"server,omitempty"`
	Name     string   `json:"name,omitempty"`
	// Found is the exact value seen, when its bytes explain the finding:
	// a TXT value or the file's content.
	Found string `json:"found,omitempty"`
	// Why says why the finding stops verification; Diagnose fills it in
	// from the catalogue.
	Why string `json:"why,omitempty"`
	// ByteDiff shows, for a value that is almost the code (Found), the
	// bytes that make the difference: "before the code: e2 80 9c (“)".
	// Diagnose fills it in.
	ByteDiff string `json:"byte_diff,omitempty"`
}

// Server is what one server answered for one name.
type Server struct {
	Server    string   `json:"server"`         // address:port asked
	Host      string   `json:"host,omitempty"` // NS host name, for authoritative servers found by discovery
	Role      string   `json:"role"`           // "authoritative" or "resolver"
	Name      string   `json:"name"`           // the name asked, fully qualified
	Rcode     string   `json:"rcode,omitempty"`
	AA        bool     `json:"aa,omitempty"`
	Transport string   `json:"transport,omitempty"` // "udp" or "tcp": the one that gave the answer
	Truncated bool     `json:"truncated,omitempty"` // the UDP answer had TC=1
	CNAMEs    []string `json:"cnames,omitempty"`    // the alias chain in the answer
	Found     []string `json:"found"`               // TXT values at the name, character-strings joined
	Match     bool     `json:"match"`
	TTL       uint32   `json:"ttl,omitempty"`    // TTL of the TXT RRset, or the negative TTL (RFC 2308)
	Serial    uint32   `json:"serial,omitempty"` // zone SOA serial, when asked
	RTTMillis int64    `json:"rtt_ms"`           // round-trip time of the answering exchange
	Error     string   `json:"error,omitempty"`  // why there is no answer
	// EDE are the extended DNS errors (RFC 8914) the answer carried.
	EDE []ExtendedError `json:"ede,omitempty"`
	// CDRcode is, for a resolver's SERVFAIL that Diagnose asked about again
	// with checking disabled (CD=1), the rcode of that second answer.
	CDRcode string `json:"cd_rcode,omitempty"`
	// System marks a resolver of the system (resolv.conf) that Diagnose
	// compared with the configured ones (split horizon).
	System   bool `json:"system,omitempty"`
	strings  [][]string
	negative bool
	// referral marks an answer that delegates the name to other servers:
	// a parent zone's, which is never lame for it.
	referral bool
	// soaZone is the zone of the SOA record in a negative answer: the
	// zone that says the name does not exist.
	soaZone string
}

// ExtendedError is one RFC 8914 extended DNS error.
type ExtendedError struct {
	Code uint16 `json:"code"`
	Name string `json:"name,omitempty"` // the IANA name, e.g. "DNSSEC Bogus"
	Text string `json:"text,omitempty"` // EXTRA-TEXT, when the server sent one
}

func (e ExtendedError) String() string {
	s := fmt.Sprintf("EDE %d", e.Code)
	if e.Name != "" {
		s += " (" + e.Name + ")"
	}
	if e.Text != "" {
		s += fmt.Sprintf(": %q", e.Text)
	}
	return s
}

// Roles of a Server.
const (
	RoleAuthoritative = "authoritative"
	RoleResolver      = "resolver"
)

// Result is the outcome of checking one domain with one method.
type Result struct {
	Domain     string    `json:"domain"`
	Method     string    `json:"method"`
	Status     Status    `json:"status"`
	Verified   bool      `json:"verified"`
	Expected   string    `json:"expected"`
	Name       string    `json:"name"`
	Zone       string    `json:"zone,omitempty"`
	CheckedAt  time.Time `json:"checked_at"`
	DurationMS int64     `json:"duration_ms"`
	// TimeLeftSeconds is, for StatusPropagating, how long resolvers may keep
	// serving old data (record TTL or negative TTL).
	TimeLeftSeconds int64    `json:"time_left_s,omitempty"`
	Servers         []Server `json:"servers"`
	// URL and Addresses are set by the HTTP method: the file's address
	// and what each address of the host served.
	URL       string    `json:"url,omitempty"`
	Addresses []Address `json:"addresses,omitempty"`
	Findings  []Finding `json:"findings"`
	// Subdomains holds the results for the subdomains checked with the
	// domain; Status is then the worst of all names.
	Subdomains []*Result `json:"subdomains,omitempty"`
	// DNS and HTTP hold both methods' results when one check ran both
	// (Checker.Any); the fields above are then those of the deciding one.
	DNS  *Result `json:"dns,omitempty"`
	HTTP *Result `json:"http,omitempty"`
	// Unused is, in Diagnose's result, the method that the domain does not
	// use while it uses the other.
	Unused *UnusedMethod `json:"unused_method,omitempty"`
}

func (r *Result) add(f Finding) {
	if f.Name == "" {
		f.Name = r.Name
	}
	for _, g := range r.Findings {
		if g == f {
			return
		}
	}
	r.Findings = append(r.Findings, f)
}

// has reports whether r holds a finding with code about server.
func (r *Result) has(code, server string) bool {
	for _, f := range r.Findings {
		if f.Code == code && f.Server == server {
			return true
		}
	}
	return false
}

func (r *Result) addf(code string, sev Severity, fix string, format string, args ...any) {
	r.add(Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix})
}

func (r *Result) setStatus(s Status) {
	r.Status = s
	r.Verified = s == StatusVerified
}

// merge folds a subdomain's result into the domain's overall status.
func (r *Result) merge(sub *Result) {
	r.Subdomains = append(r.Subdomains, sub)
	if sub.Status.rank() > r.Status.rank() {
		r.setStatus(sub.Status)
	}
	if sub.TimeLeftSeconds > r.TimeLeftSeconds {
		r.TimeLeftSeconds = sub.TimeLeftSeconds
	}
}

// String describes the answer in one line, as orgctl -v shows it:
// `ns1.main.com. (192.0.2.1:53) main.com. NOERROR aa udp found "…" match`.
func (s Server) String() string {
	who := s.Server
	if s.Host != "" {
		who = strings.TrimSuffix(s.Host, ".") + " (" + s.Server + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", who, s.Name)
	if s.Error != "" {
		fmt.Fprintf(&b, " error: %s", s.Error)
		return b.String()
	}
	fmt.Fprintf(&b, " %s", s.Rcode)
	if s.AA {
		b.WriteString(" aa")
	}
	if s.Transport != "" {
		b.WriteString(" " + s.Transport)
	}
	if s.Truncated {
		b.WriteString(" (tc)")
	}
	if len(s.CNAMEs) > 0 {
		b.WriteString(" cname " + strings.Join(s.CNAMEs, " → "))
	}
	if len(s.Found) > 0 {
		b.WriteString(" found " + quoteAll(s.Found))
	}
	if s.Match {
		b.WriteString(" match")
	}
	return b.String()
}

// quoteAll quotes TXT values for a message: "v=spf1 -all", "…".
func quoteAll(vs []string) string {
	if len(vs) == 0 {
		return "no TXT records"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
