package verify

import (
	"context"
	"net/http"
	"slices"
)

// combine is the result of a domain checked by both methods: the more
// favourable one's fields (DNS on a tie), with both attached.
func combine(d, h *Result) *Result {
	chosen := d
	if h.Status.rank() < d.Status.rank() {
		chosen = h
	}
	res := *chosen
	res.DNS, res.HTTP = d, h
	res.DurationMS = max(d.DurationMS, h.DurationMS)
	return &res
}

// Any checks domain the way the provider accepts it: by DNS, and by HTTP
// when DNS did not verify it. When both ran, the result is a copy of the
// more favourable one with both attached as DNS and HTTP.
func (c *Checker) Any(ctx context.Context, domain string, code Code) (*Result, error) {
	d, err := c.DNS(ctx, domain, code)
	if err != nil || d.Verified {
		return d, err
	}
	h, err := c.HTTP(ctx, domain, code)
	if err != nil {
		return nil, err
	}
	res := combine(d, h)
	res.DurationMS = d.DurationMS + h.DurationMS // one after the other
	return res, nil
}

// UnusedMethod names, in a result of both methods, the method that the
// domain shows no sign of using while the other does (the site has no
// file at all, say, while the code is in DNS), so that a report can sum up
// its findings in one line instead of listing failures nobody needs to fix.
type UnusedMethod struct {
	Method string `json:"method"` // MethodDNS or MethodHTTP
	// Reason is the message of the method's first error finding, or its
	// status when it has none.
	Reason string `json:"reason"`
}

// unusedMethod is r's UnusedMethod: nil when both or neither method are
// in use.
func unusedMethod(r *Result) *UnusedMethod {
	if r.DNS == nil || r.HTTP == nil {
		return nil
	}
	var m *Result
	switch d, h := inUse(r.DNS), inUse(r.HTTP); {
	case d && !h:
		m = r.HTTP
	case h && !d:
		m = r.DNS
	default:
		return nil
	}
	return &UnusedMethod{Method: m.Method, Reason: firstError(m)}
}

// inUse reports whether a method's result shows a sign of the code, or of
// an attempt to publish it: a server or address that serves it, a value
// close to it, a file answered with 200, the code somewhere else.
func inUse(m *Result) bool {
	for _, x := range append([]*Result{m}, m.Subdomains...) {
		for _, s := range x.Servers {
			if s.Match {
				return true
			}
		}
		for _, a := range x.Addresses {
			if a.Match || slices.ContainsFunc(a.Hops, func(h Hop) bool { return h.StatusCode == http.StatusOK }) {
				return true
			}
		}
		for _, f := range x.Findings {
			if f.Found != "" || f.Code == "http.wrong_url" {
				return true
			}
		}
	}
	return false
}

// firstError is the message of a result's first error finding.
func firstError(m *Result) string {
	for _, x := range append([]*Result{m}, m.Subdomains...) {
		for _, f := range x.Findings {
			if f.Severity == SeverityError {
				return f.Message
			}
		}
	}
	return string(m.Status)
}
