package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/orgctl/orgctl/internal/domain"
	"github.com/orgctl/orgctl/internal/english"
	"github.com/orgctl/orgctl/verify"
)

// clock formats the time of day in messages.
const clock = "15:04:05 MST"

// plural is english.Plural, the name the commands use.
var plural = english.Plural

// resultText prints one result for people:
//
//	main.com: verified (dns, main.com., 2/2 authoritative servers, 1 resolver)
//	  error    dns.nxdomain: …
//	           fix: …
//
// When verify ran both methods, a headline comes first and each method's
// result follows, indented.
func resultText(t *textOut, r *verify.Result) {
	if r.DNS != nil && r.HTTP != nil {
		fmt.Fprintf(t.W, "%s: %s (%s)\n", t.P.bold(r.Domain), statusText(t.P, r.Status), eitherSummary(r))
		block(t, r.DNS, "  ", r.DNS.Method+": ", false)
		block(t, r.HTTP, "  ", r.HTTP.Method+": ", false)
		return
	}
	block(t, r, "", t.P.bold(r.Domain)+": ", true)
}

// block prints one method's result: its line, details and subdomains.
func block(t *textOut, r *verify.Result, indent, label string, withMethod bool) {
	fmt.Fprintf(t.W, "%s%s%s (%s)\n", indent, label, statusText(t.P, r.Status), summary(r, withMethod))
	details(t, r, indent+"  ")
	for _, s := range r.Subdomains {
		fmt.Fprintf(t.W, "%s  %s: %s (%s)\n", indent, strings.TrimSuffix(s.Name, "."), statusText(t.P, s.Status), summary(s, withMethod))
		details(t, s, indent+"    ")
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

// details prints a result's findings, and with -v every server's answer
// and every address's chain.
func details(t *textOut, r *verify.Result, indent string) {
	w, p := t.W, t.P
	if t.Verbose {
		for _, s := range r.Servers {
			fmt.Fprintf(w, "%s%s %s\n", indent, p.dim(fmt.Sprintf("%-13s", s.Role)), s)
		}
		for _, a := range r.Addresses {
			fmt.Fprintf(w, "%s%s %s\n", indent, p.dim(fmt.Sprintf("%-13s", "address")), a)
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

// statusText colours a status: green verified, yellow on its way, red
// otherwise.
func statusText(p palette, s verify.Status) string {
	switch s {
	case verify.StatusVerified:
		return p.green(string(s))
	case verify.StatusPropagating, verify.StatusPartial:
		return p.yellow(string(s))
	default:
		return p.red(string(s))
	}
}

// summary says what a result rests on: "dns, main.com., 2/2
// authoritative servers, 1 resolver" or "http, http://main.com/…, 1/1
// address".
func summary(r *verify.Result, withMethod bool) string {
	var parts []string
	if withMethod && r.Method != "" { // "" for a check cut short before a method ran
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

// checkHostPort validates a HOST:PORT server address.
func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" {
		return fmt.Errorf("invalid server address %q: want HOST:PORT", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("invalid server address %q: port must be 1-65535", a)
	}
	if net.ParseIP(host) == nil {
		if err := domain.CheckHost(host); err != nil {
			return fmt.Errorf("invalid server address %q: %w", a, err)
		}
	}
	return nil
}
