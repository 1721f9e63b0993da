package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/codegen"
	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
)

func newDiagnoseCmd(f *factory) *cobra.Command {
	opts := &verifyOptions{Diagnose: true}
	cmd := &cobra.Command{
		Use:   "diagnose DOMAIN... | -",
		Short: "Explain why a domain does not verify, and what exactly to change",
		Long: `Check each domain by DNS and by HTTP with every probe orgctl has, and print one
report per domain: the verdict of each method, then every finding by severity
with what was seen (server, name, and the bytes where bytes matter), why it
stops verification, and the exact fix.

Besides the checks of 'orgctl verify', diagnose looks for the code where people
put it by mistake (the doubled origin main.com.main.com, www. and other common
names, the parent zone above a delegation; the file over https only, on www.,
or saved as logmein-verification-code.txt.txt), asks a resolver's SERVFAIL again
with checking disabled to name DNSSEC failures (with the resolver's extended
DNS error), asks every authoritative server over TCP, and compares this
machine's resolvers (resolv.conf) with --resolver to reveal split-horizon DNS.
'orgctl help findings' lists every finding code.

The verdicts and the exit status are those of 'orgctl verify'; -o json prints
its object, with both methods' findings in "findings", each with a "why".
Nothing is added to the verification history.`,
		Example: `  orgctl diagnose main.com --code 668e156b-f5d3-430e-9944-f1d4385d043e
  orgctl diagnose main.com --resolver 1.1.1.1:53 -o json
  orgctl diagnose main.com --wait 10m`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("orgctl diagnose DOMAIN --code CODE, or see 'orgctl diagnose --help'", "diagnose needs at least one domain")
			}
			return runVerify(cmd.Context(), f, opts, args)
		},
	}
	addVerifyFlags(cmd.Flags(), opts)
	addStrictFlag(cmd.Flags(), opts)
	cmd.Flags().StringSliceVar(&opts.SystemResolvers, "system-resolver", nil,
		`resolver HOST:PORT whose view is compared with --resolver's (split horizon), repeatable; default: resolv.conf's when --resolver is given; "none" to skip`)
	return cmd
}

// systemResolvers are the resolvers diagnose compares with --resolver's:
// the flag's, else the system's when --resolver chose others.
func (f *factory) systemResolvers(flag []string) ([]string, error) {
	if len(flag) == 1 && flag[0] == "none" {
		return nil, nil
	}
	for _, a := range flag {
		if err := checkHostPort(a); err != nil {
			return nil, usageError(fmt.Errorf("--system-resolver: %w", err), `give HOST:PORT, or "none"`)
		}
	}
	if len(flag) > 0 || len(f.opts.Resolvers) == 0 {
		// Without --resolver the system's resolvers are the ones asked.
		return flag, nil
	}
	rs, err := f.resolvConf()
	if err != nil {
		return nil, nil // nothing to compare with: not a reason to fail
	}
	return rs, nil
}

// resolvConf reads the system's resolvers; tests replace it.
func (f *factory) resolvConf() ([]string, error) {
	if f.readResolvConf != nil {
		return f.readResolvConf()
	}
	return config.SystemResolvers(config.ResolvConf)
}

// knownCode describes a code by what the store holds of it: whose code it
// is, how old, and whether it was replaced.
func (f *factory) knownCode(st *store.Store) func(string) (string, bool) {
	return func(uuid string) (string, bool) {
		codes, err := st.Codes()
		if err != nil {
			return "", false
		}
		now := f.now()
		for _, c := range codes {
			if c.Code == uuid {
				desc := fmt.Sprintf("the current code of %s, generated %s", c.Domain, ago(c.CreatedAt, now))
				switch {
				case c.RevokedAt != nil:
					desc += ", revoked on " + c.RevokedAt.UTC().Format(time.DateOnly)
				case c.Expired(now):
					desc += ", expired on " + c.ExpiresAt.UTC().Format(time.DateOnly)
				}
				return desc, true
			}
			// Previous is newest first: each was replaced by the one
			// before it in the list, the first by the current code.
			newer := c
			for _, p := range c.Previous {
				if p.Code == uuid {
					return fmt.Sprintf("an earlier code of %s, generated %s and replaced on %s by %s",
						p.Domain, ago(p.CreatedAt, now), newer.CreatedAt.UTC().Format(time.DateOnly), codegen.Value(newer.Code)), true
				}
				newer = p
			}
		}
		return "", false
	}
}

// ago formats t as "on 2026-11-01 (27 days ago)".
func ago(t, now time.Time) string {
	days := int(now.Sub(t).Hours() / 24)
	var rel string
	switch {
	case days <= 0:
		rel = "today"
	case days == 1:
		rel = "1 day ago"
	default:
		rel = fmt.Sprintf("%d days ago", days)
	}
	return fmt.Sprintf("on %s (%s)", t.UTC().Format(time.DateOnly), rel)
}

// report prints diagnose's text report of one domain:
//
//	main.com: not verified (dns: mismatch, http: not_found)
//	  code  logmein-verification-code=668e…
//	  dns   mismatch     main.com., 0/2 authoritative servers, 1 resolver
//	  http  not_found    http://main.com/logmein-verification-code.txt, 0/1 address
//
//	1 error
//	  ✗ dns.near_miss.smart_quotes  ns1.main.com (192.0.2.1:53)
//	    seen   main.com. holds the code wrapped in typographic (smart) quotes: "“…”"
//	    bytes  before the code: e2 80 9c (“); after it: e2 80 9d (”)
//	    why    “ ” ‘ ’ are multi-byte characters …
//	    fix    retype the value without quotes …
//
// Info findings take one line each; -v adds every server's answer.
func (rp *resultPrinter) report(r *verify.Result) {
	w, p := rp.out, rp.p
	d, h := r.DNS, r.HTTP
	if d == nil || h == nil {
		rp.text(r)
		return
	}
	verdict := p.red("not verified")
	switch {
	case r.Verified:
		verdict = p.green("verified") + " (by " + r.Method + ")"
	case r.Status == verify.StatusError:
		verdict = p.red("could not be checked")
	case r.Status == verify.StatusPropagating || r.Status == verify.StatusPartial:
		verdict = p.yellow("not verified yet")
	}
	if !r.Verified {
		verdict += fmt.Sprintf(" (dns: %s, http: %s)", d.Status, h.Status)
	}
	fmt.Fprintf(w, "%s: %s\n", p.bold(r.Domain), verdict)
	fmt.Fprintf(w, "  %s  %s\n", p.dim("code"), r.Expected)
	width := rp.f.io.width()
	unused := unusedMethod(r)
	if rp.f.opts.Verbose {
		unused = nil // every finding, in full
	}
	for _, m := range []*verify.Result{d, h} {
		for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
			fmt.Fprintf(w, "  %-4s  %s  %s\n", x.Method, rp.status(x.Status)+pad(x.Status, 11), summary(x, false))
			if rp.f.opts.Verbose {
				rp.details(&verify.Result{Servers: x.Servers, Addresses: x.Addresses}, "        ")
			}
			if m == unused && x == m {
				for _, l := range wrap("not in use: "+firstError(m)+" (-v shows its findings)", width-8) {
					fmt.Fprintf(w, "        %s\n", p.dim(l))
				}
			}
		}
	}

	groups := map[verify.Severity][]verify.Finding{}
	for _, f := range allFindings(r, unused) {
		groups[f.Severity] = append(groups[f.Severity], f)
	}
	for _, sev := range []verify.Severity{verify.SeverityError, verify.SeverityWarning} {
		fs := groups[sev]
		if len(fs) == 0 {
			continue
		}
		head, mark := p.red(countOf(len(fs), "error", "errors")), p.red("✗")
		if sev == verify.SeverityWarning {
			head, mark = p.yellow(countOf(len(fs), "warning", "warnings")), p.yellow("!")
		}
		fmt.Fprintf(w, "\n%s\n", head)
		for _, f := range fs {
			fmt.Fprintf(w, "  %s %s  %s\n", mark, p.bold(f.Code), where(f))
			field(w, width, p.dim("seen "), f.Message)
			if b := byteDiff(f.Found, r.Expected, f.Code); b != "" {
				field(w, width, p.dim("bytes"), b)
			}
			field(w, width, p.dim("why  "), f.Why)
			field(w, width, p.dim("fix  "), f.Fix)
		}
	}
	if fs := groups[verify.SeverityInfo]; len(fs) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.dim(countOf(len(fs), "note", "notes")))
		for _, f := range fs {
			field(w, width, p.dim("·"), f.Code+": "+f.Message)
		}
	}
	if next := nextStep(r, rp.f.now()); next != "" {
		fmt.Fprintf(w, "\n%s\n", next)
	}
}

// unusedMethod is the method that the domain shows no sign of using
// while the other does: the site has no file at all, say, while the code
// is in DNS. Its findings are summed up in a line; nil when both or
// neither are in use.
func unusedMethod(r *verify.Result) *verify.Result {
	d, h := inUse(r.DNS), inUse(r.HTTP)
	switch {
	case d && !h:
		return r.HTTP
	case h && !d:
		return r.DNS
	}
	return nil
}

// inUse reports whether a method's result shows a sign of the code, or of
// an attempt to publish it: a server or address that serves it, a value
// close to it, a file answered with 200, the code somewhere else.
func inUse(m *verify.Result) bool {
	for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
		for _, s := range x.Servers {
			if s.Match {
				return true
			}
		}
		for _, a := range x.Addresses {
			if a.Match || slices.ContainsFunc(a.Hops, func(h verify.Hop) bool { return h.StatusCode == http.StatusOK }) {
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
func firstError(m *verify.Result) string {
	for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
		for _, f := range x.Findings {
			if f.Severity == verify.SeverityError {
				return f.Message
			}
		}
	}
	return string(m.Status)
}

// allFindings are the findings of both methods and all names, DNS first,
// without repeats, and without those of skip.
func allFindings(r *verify.Result, skip *verify.Result) []verify.Finding {
	var out []verify.Finding
	seen := map[string]bool{}
	for _, m := range []*verify.Result{r.DNS, r.HTTP} {
		if m == skip {
			continue
		}
		for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
			for _, f := range x.Findings {
				k := f.Code + "\x00" + f.Message
				if !seen[k] {
					seen[k] = true
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// where names the server and name of a finding.
func where(f verify.Finding) string {
	switch {
	case f.Server != "" && f.Name != "":
		return f.Name + " at " + f.Server
	case f.Server != "":
		return f.Server
	}
	return f.Name
}

// nextStep says what to run after the fixes, or when resolvers will catch
// up.
func nextStep(r *verify.Result, now time.Time) string {
	switch {
	case r.Verified:
		return ""
	case r.TimeLeftSeconds > 0:
		at := now.Add(time.Duration(r.TimeLeftSeconds) * time.Second)
		return fmt.Sprintf("Resolvers should serve the code in about %ds (at %s); wait with: orgctl verify %s --wait %s",
			r.TimeLeftSeconds, at.Format(clock), r.Domain, waitFor(r.TimeLeftSeconds))
	case r.Status == verify.StatusError:
		return fmt.Sprintf("The check could not be completed; retry with: orgctl diagnose %s -v", r.Domain)
	}
	return fmt.Sprintf("After the fix, check with: orgctl verify %s --wait 15m", r.Domain)
}

// waitFor is a --wait value that covers secs with a margin: "2m".
func waitFor(secs int64) string {
	d := time.Duration(secs+30)*time.Second + time.Minute
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

// field prints one labelled line of a finding, wrapped to width.
func field(w io.Writer, width int, label, text string) {
	if text == "" {
		return
	}
	indent := "    "
	lines := wrap(text, width-len(indent)-6)
	fmt.Fprintf(w, "%s%s %s\n", indent, label, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "%s      %s\n", indent, l)
	}
}

// wrap splits text into lines of at most width runes at spaces; a word
// longer than width gets a line of its own.
func wrap(text string, width int) []string {
	if width < 20 {
		width = 20
	}
	var lines []string
	var cur strings.Builder
	n := 0
	for _, word := range strings.Split(text, " ") {
		wl := len([]rune(word))
		if n > 0 && n+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(word)
		n += wl
	}
	return append(lines, cur.String())
}

// pad is the spaces that align a status of width n.
func pad(s verify.Status, n int) string {
	return strings.Repeat(" ", max(0, n-len(s)))
}

func countOf(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(n, one, many))
}

// byteDiff shows, for a value that is almost the code, the bytes that
// make the difference: "before the code: e2 80 9c (“)". It is empty
// when the bytes say nothing the message does not (another code, a page).
func byteDiff(got, want, code string) string {
	if got == "" || got == want || strings.HasSuffix(code, "wrong_code") || strings.HasSuffix(code, "no_code") {
		return ""
	}
	if i := strings.Index(got, want); i >= 0 {
		var parts []string
		if i > 0 {
			parts = append(parts, "before the code: "+hexRunes(got[:i]))
		}
		if rest := got[i+len(want):]; rest != "" {
			parts = append(parts, "after it: "+hexRunes(rest))
		}
		return strings.Join(parts, "; ")
	}
	if len(got) == len(want) {
		// Runs of differing bytes, such as a word in upper case.
		var parts []string
		for i := 0; i < len(got) && len(parts) < 3; i++ {
			if got[i] == want[i] {
				continue
			}
			j := i
			for j < len(got) && got[j] != want[j] {
				j++
			}
			at := fmt.Sprintf("byte %d", i)
			if j-i > 1 {
				at = fmt.Sprintf("bytes %d-%d", i, j-1)
			}
			parts = append(parts, fmt.Sprintf("%s: % x %q where the code has %q", at, got[i:j], got[i:j], want[i:j]))
			i = j
		}
		return strings.Join(parts, "; ")
	}
	p := 0
	for p < len(got) && p < len(want) && got[p] == want[p] {
		p++
	}
	s := 0
	for s < len(got)-p && s < len(want)-p && got[len(got)-1-s] == want[len(want)-1-s] {
		s++
	}
	g, c := got[p:len(got)-s], want[p:len(want)-s]
	if len(g) > 16 || len(c) > 16 {
		return ""
	}
	if c == "" {
		return fmt.Sprintf("at byte %d: %s, which the code does not have", p, hexRunes(g))
	}
	if g == "" {
		return fmt.Sprintf("at byte %d: %q is missing", p, c)
	}
	return fmt.Sprintf("at byte %d: %s where the code has %q", p, hexRunes(g), c)
}

// hexRunes shows bytes in hex, each character's bytes with the character:
// "e2 80 9c (“) 20 ( )".
func hexRunes(s string) string {
	var parts []string
	for _, r := range s {
		var hx []string
		for _, b := range []byte(string(r)) {
			hx = append(hx, fmt.Sprintf("%02x", b))
		}
		show := string(r)
		if !unicode.IsPrint(r) { // controls, no-break and zero-width spaces, BOM

			show = fmt.Sprintf("%U", r)
		}
		parts = append(parts, strings.Join(hx, " ")+" ("+show+")")
	}
	if len(parts) > 8 {
		parts = append(parts[:8], "…")
	}
	return strings.Join(parts, " ")
}
