package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgctl/orgctl/verify"
)

// resultPrinter prints verification results in the chosen format: text
// and json once all are done (in input order), jsonl as each finishes.
type resultPrinter struct {
	f   *factory
	mu  sync.Mutex
	out io.Writer
	p   palette
	pe  palette

	drawn    bool // a progress line is on the terminal
	diagnose bool // text is diagnose's report
}

func newResultPrinter(f *factory) *resultPrinter {
	return &resultPrinter{f: f, out: f.io.Out, p: palette{on: f.io.colorOut()}, pe: palette{on: f.io.colorErr()}}
}

// progress reports one poll of --wait: a JSON line per poll in jsonl, the
// elapsed time and last status on stderr otherwise.
func (rp *resultPrinter) progress(r *verify.Result, elapsed, wait time.Duration) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.f.opts.Quiet {
		return
	}
	if rp.f.opts.Output == "jsonl" {
		writeJSONLine(rp.out, r) // one object a poll, the last one included
		return
	}
	if rp.f.opts.Output == "json" {
		return
	}
	step := time.Second
	if elapsed < 10*time.Second {
		step = 100 * time.Millisecond
	}
	msg := fmt.Sprintf("waiting for %s: %s after %s of %s", r.Domain, r.Status, elapsed.Round(step), wait)
	if r.TimeLeftSeconds > 0 {
		at := rp.f.now().Add(time.Duration(r.TimeLeftSeconds) * time.Second)
		msg += fmt.Sprintf(" (resolvers may serve old data for %ds more: expected at %s)", r.TimeLeftSeconds, at.Format(clock))
	}
	if rp.f.io.errTTY {
		// One line, redrawn at each poll and cleared at the end.
		fmt.Fprintf(rp.f.io.ErrOut, "\r\x1b[Korgctl: %s", rp.pe.dim(msg))
		rp.drawn = true
		return
	}
	fmt.Fprintf(rp.f.io.ErrOut, "orgctl: %s\n", msg)
}

// clearProgress removes the progress line from a terminal.
func (rp *resultPrinter) clearProgress() {
	if rp.drawn {
		fmt.Fprint(rp.f.io.ErrOut, "\r\x1b[K")
		rp.drawn = false
	}
}

// done is called as each domain finishes; with --wait, progress has
// printed it already.
func (rp *resultPrinter) done(r *verify.Result, waited bool) {
	if rp.f.opts.Output != "jsonl" || rp.f.opts.Quiet || waited {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	writeJSONLine(rp.out, r)
}

// finish prints what was not printed as it came.
func (rp *resultPrinter) finish(results []*verify.Result) {
	rp.clearProgress()
	if rp.f.opts.Quiet {
		return
	}
	var done []*verify.Result
	for _, r := range results {
		if r != nil {
			done = append(done, r)
		}
	}
	switch rp.f.opts.Output {
	case "json":
		enc := json.NewEncoder(rp.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if done == nil {
			done = []*verify.Result{}
		}
		_ = enc.Encode(done)
	case "text":
		for i, r := range done {
			if !rp.diagnose {
				rp.text(r)
				continue
			}
			if i > 0 {
				fmt.Fprintln(rp.out)
			}
			rp.report(r)
		}
	}
}

// clock formats the time of day in messages.
const clock = "15:04:05 MST"

func writeJSONLine(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// text prints one result for people:
//
//	main.com: verified (dns, main.com., 2/2 authoritative servers, 1 resolver)
//	  error    dns.nxdomain: …
//	           fix: …
//
// When verify ran both methods, a headline comes first and each method's
// result follows, indented.
func (rp *resultPrinter) text(r *verify.Result) {
	if r.DNS != nil && r.HTTP != nil {
		fmt.Fprintf(rp.out, "%s: %s (%s)\n", rp.p.bold(r.Domain), rp.status(r.Status), eitherSummary(r))
		rp.block(r.DNS, "  ", r.DNS.Method+": ", false)
		rp.block(r.HTTP, "  ", r.HTTP.Method+": ", false)
		return
	}
	rp.block(r, "", rp.p.bold(r.Domain)+": ", true)
}

// block prints one method's result: its line, details and subdomains.
func (rp *resultPrinter) block(r *verify.Result, indent, label string, withMethod bool) {
	w := rp.out
	fmt.Fprintf(w, "%s%s%s (%s)\n", indent, label, rp.status(r.Status), summary(r, withMethod))
	rp.details(r, indent+"  ")
	for _, s := range r.Subdomains {
		fmt.Fprintf(w, "%s  %s: %s (%s)\n", indent, strings.TrimSuffix(s.Name, "."), rp.status(s.Status), summary(s, withMethod))
		rp.details(s, indent+"    ")
	}
}

// eitherSummary says which method decided a result of `orgctl verify`.
func eitherSummary(r *verify.Result) string {
	if r.Verified {
		other := r.DNS
		if r.Method == verify.MethodDNS {
			other = r.HTTP
		}
		return fmt.Sprintf("by %s; %s: %s", r.Method, other.Method, other.Status)
	}
	return fmt.Sprintf("dns: %s, http: %s", r.DNS.Status, r.HTTP.Status)
}

func (rp *resultPrinter) details(r *verify.Result, indent string) {
	w, p := rp.out, rp.p
	if rp.f.opts.Verbose {
		for _, s := range r.Servers {
			fmt.Fprintf(w, "%s%s %s\n", indent, p.dim(fmt.Sprintf("%-13s", s.Role)), serverLine(s))
		}
		for _, a := range r.Addresses {
			fmt.Fprintf(w, "%s%s %s\n", indent, p.dim(fmt.Sprintf("%-13s", "address")), addressLine(a))
		}
	}
	for _, fd := range r.Findings {
		sev := fmt.Sprintf("%-8s", fd.Severity)
		switch fd.Severity {
		case verify.SeverityError:
			sev = p.red(sev)
		case verify.SeverityWarning:
			sev = p.yellow(sev)
		default:
			sev = p.dim(sev)
		}
		fmt.Fprintf(w, "%s%s %s: %s\n", indent, sev, fd.Code, fd.Message)
		if fd.Fix != "" {
			fmt.Fprintf(w, "%s%s fix: %s\n", indent, strings.Repeat(" ", 8), fd.Fix)
		}
	}
}

func (rp *resultPrinter) status(s verify.Status) string {
	switch s {
	case verify.StatusVerified:
		return rp.p.green(string(s))
	case verify.StatusPropagating, verify.StatusPartial:
		return rp.p.yellow(string(s))
	default:
		return rp.p.red(string(s))
	}
}

// summary says what a result rests on: "dns, main.com., 2/2
// authoritative servers, 1 resolver" or "http, http://main.com/…, 1/1
// address".
func summary(r *verify.Result, withMethod bool) string {
	var parts []string
	if withMethod {
		parts = append(parts, r.Method)
	}
	if r.Method == verify.MethodHTTP {
		parts = append(parts, r.URL)
		if n := len(r.Addresses); n > 0 {
			ok := 0
			for _, a := range r.Addresses {
				if a.Match {
					ok++
				}
			}
			parts = append(parts, fmt.Sprintf("%d/%d %s", ok, n, plural(n, "address", "addresses")))
		}
		return strings.Join(parts, ", ")
	}
	// The authoritative servers that decide are those asked for the last
	// name of the alias chain.
	final := ""
	for _, s := range r.Servers {
		if s.Role == verify.RoleAuthoritative {
			final = s.Name
		}
	}
	var auth, authOK, res, sys int
	for _, s := range r.Servers {
		switch {
		case s.Role == verify.RoleAuthoritative && s.Name == final:
			auth++
			if s.Match {
				authOK++
			}
		case s.Role == verify.RoleResolver && s.System:
			sys++
		case s.Role == verify.RoleResolver:
			res++
		}
	}
	parts = append(parts, r.Name)
	if auth > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d authoritative %s", authOK, auth, plural(auth, "server", "servers")))
	}
	if res > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", res, plural(res, "resolver", "resolvers")))
	}
	if sys > 0 {
		parts = append(parts, fmt.Sprintf("%d system %s", sys, plural(sys, "resolver", "resolvers")))
	}
	return strings.Join(parts, ", ")
}

// addressLine is what one address served, in verbose text: the status,
// then each hop ("192.0.2.7 verified: 301 → https://www.main.com/… 200
// 63 bytes match").
func addressLine(a verify.Address) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:", a.Address, a.Status)
	for i, h := range a.Hops {
		if i > 0 {
			fmt.Fprintf(&b, " → %s", h.URL)
		}
		switch {
		case h.Error != "":
			fmt.Fprintf(&b, " error: %s", h.Error)
		default:
			fmt.Fprintf(&b, " %d", h.StatusCode)
		}
		if i > 0 && h.Address != "" {
			fmt.Fprintf(&b, " (%s)", h.Address)
		}
		if h.TLSError != "" {
			b.WriteString(" (certificate not valid)")
		}
	}
	if a.Size > 0 || a.Match {
		fmt.Fprintf(&b, " %d %s", a.Size, plural(a.Size, "byte", "bytes"))
	}
	if a.Match {
		b.WriteString(" match")
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// serverLine is one server's answer in verbose text.
func serverLine(s verify.Server) string {
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
		q := make([]string, len(s.Found))
		for i, v := range s.Found {
			q[i] = strconv.Quote(v)
		}
		b.WriteString(" found " + strings.Join(q, ", "))
	}
	if s.Match {
		b.WriteString(" match")
	}
	return b.String()
}

// checkHostPort validates a HOST:PORT server address.
func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" {
		return fmt.Errorf("invalid server address %q: want HOST:PORT", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("invalid server address %q: port must be 1-65535", a)
	}
	return nil
}
