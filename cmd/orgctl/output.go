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

	drawn bool // a progress line is on the terminal
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
		msg += fmt.Sprintf(" (resolvers may serve old data for %ds more)", r.TimeLeftSeconds)
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
		for _, r := range done {
			rp.text(r)
		}
	}
}

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
func (rp *resultPrinter) text(r *verify.Result) {
	w, p := rp.out, rp.p
	fmt.Fprintf(w, "%s: %s (%s)\n", p.bold(r.Domain), rp.status(r.Status), summary(r))
	rp.details(r, "  ")
	for _, s := range r.Subdomains {
		fmt.Fprintf(w, "  %s: %s (%s)\n", strings.TrimSuffix(s.Name, "."), rp.status(s.Status), summary(s))
		rp.details(s, "    ")
	}
}

func (rp *resultPrinter) details(r *verify.Result, indent string) {
	w, p := rp.out, rp.p
	if rp.f.opts.Verbose {
		for _, s := range r.Servers {
			fmt.Fprintf(w, "%s%s %s\n", indent, p.dim(fmt.Sprintf("%-13s", s.Role)), serverLine(s))
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
// authoritative servers, 1 resolver".
func summary(r *verify.Result) string {
	// The authoritative servers that decide are those asked for the last
	// name of the alias chain.
	final := ""
	for _, s := range r.Servers {
		if s.Role == verify.RoleAuthoritative {
			final = s.Name
		}
	}
	var auth, authOK, res int
	for _, s := range r.Servers {
		switch {
		case s.Role == verify.RoleAuthoritative && s.Name == final:
			auth++
			if s.Match {
				authOK++
			}
		case s.Role == verify.RoleResolver:
			res++
		}
	}
	parts := []string{r.Method, r.Name}
	if auth > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d authoritative %s", authOK, auth, plural(auth, "server", "servers")))
	}
	if res > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", res, plural(res, "resolver", "resolvers")))
	}
	return strings.Join(parts, ", ")
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
