package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/internal/english"
	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
)

func newDiagnoseCmd(f *factory) *cobra.Command {
	opts := &verifyOptions{Diagnose: true}
	cmd := &cobra.Command{
		Use: "diagnose DOMAIN... | -",
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
		RunE: verifyRunE(f, opts, "orgctl diagnose DOMAIN --code CODE, or see 'orgctl diagnose --help'", "diagnose needs at least one domain"),
	}
	addVerifyFlags(cmd.Flags(), f, opts)
	addStrictFlag(cmd.Flags(), opts)
	stringsVar(cmd.Flags(), &opts.SystemResolvers, "system-resolver",
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

// knownCode describes a code by what the store holds of it (whose code
// it is, how old, whether it was replaced). The codes are read the first
// time a wrong code is met, and once: most runs meet none.
func (f *factory) knownCode(ctx context.Context, st *store.Store) func(string) (string, bool) {
	codes := sync.OnceValues(func() ([]store.Code, error) { return st.Codes(ctx) })
	return func(uuid string) (string, bool) {
		all, err := codes()
		if err != nil {
			return "", false
		}
		return store.DescribeCode(all, uuid, f.now())
	}
}

// diagnoseReport prints diagnose's text report of one domain:
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
func diagnoseReport(t *textOut, r *verify.Result, now time.Time) {
	w, p := t.W, t.P
	d, h := r.DNS, r.HTTP
	if d == nil || h == nil {
		resultText(t, r)
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
	width := t.Width
	var unused *verify.Result // the method whose findings are summed up in a line
	if r.Unused != nil && !t.Verbose {
		unused = d
		if r.Unused.Method == verify.MethodHTTP {
			unused = h
		}
	}
	for _, m := range []*verify.Result{d, h} {
		for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
			fmt.Fprintf(w, "  %-4s  %s  %s\n", x.Method, statusText(p, x.Status)+pad(x.Status, 11), summary(x, false))
			if t.Verbose {
				details(t, &verify.Result{Servers: x.Servers, Addresses: x.Addresses}, "        ")
			}
			if m == unused && x == m {
				for _, l := range wrap("not in use: "+r.Unused.Reason+" (-v shows its findings)", width-8) {
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
		head, mark := p.red(english.Count(len(fs), "error", "errors")), p.red("✗")
		if sev == verify.SeverityWarning {
			head, mark = p.yellow(english.Count(len(fs), "warning", "warnings")), p.yellow("!")
		}
		fmt.Fprintf(w, "\n%s\n", head)
		for _, f := range fs {
			fmt.Fprintf(w, "  %s %s  %s\n", mark, p.bold(f.Code), where(f))
			field(w, width, p.dim("seen "), f.Message)
			field(w, width, p.dim("bytes"), f.ByteDiff)
			field(w, width, p.dim("why  "), f.Why)
			field(w, width, p.dim("fix  "), f.Fix)
		}
	}
	if fs := groups[verify.SeverityInfo]; len(fs) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.dim(english.Count(len(fs), "note", "notes")))
		for _, f := range fs {
			field(w, width, p.dim("·"), f.Code+": "+f.Message)
		}
	}
	if next := nextStep(r, now); next != "" {
		fmt.Fprintf(w, "\n%s\n", next)
	}
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
