package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/codegen"
	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/internal/domain"
	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
)

// verifyOptions are the options of `orgctl verify`.
type verifyOptions struct {
	Domains  []string
	Code     string
	Wait     time.Duration
	Interval time.Duration
	Strict   bool
	Method   string // verify.MethodDNS, verify.MethodHTTP, or "" for DNS then HTTP
	// Diagnose runs both methods with every probe (orgctl diagnose)
	// and prints a report; nothing goes into the history.
	Diagnose        bool
	SystemResolvers []string
}

func newVerifyCmd(f *factory) *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify DOMAIN... | -",
		Short: "Check that domains publish their verification code",
		Long: `Check that each domain publishes its verification code, the way the provider
accepts it: the DNS TXT record first, then, for a domain that DNS did not verify,
the file http://DOMAIN/logmein-verification-code.txt. A domain passes when either
method verifies it; with -o json both results are attached as "dns" and "http".

Domains are arguments, or "-" to read one per line from stdin (blank lines and #
comments are skipped). The code comes from --code, else from the codes stored by
'orgctl code new'.`,
		Example: `  orgctl verify main.com
  orgctl verify dns main.com --code 668e156b-f5d3-430e-9944-f1d4385d043e --wait 15m
  cat domains.txt | orgctl verify dns - -o jsonl
  orgctl verify http main.com -q && deploy`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("orgctl verify DOMAIN, or see 'orgctl verify --help'", "verify needs at least one domain")
			}
			return runVerify(cmd.Context(), f, opts, args)
		},
	}
	addVerifyFlags(cmd.Flags(), opts)
	addStrictFlag(cmd.Flags(), opts)
	cmd.AddCommand(newVerifyDNSCmd(f), newVerifyHTTPCmd(f))
	return cmd
}

func addVerifyFlags(fs *flagSet, opts *verifyOptions) {
	fs.StringVar(&opts.Code, "code", "", "the code to look for: logmein-verification-code=UUID or the bare UUID (default: the stored one)")
	requireValue(fs, "code")
	fs.Var(newDaysDuration(&opts.Wait, 0), "wait", "keep checking until verified or this long has passed (e.g. 15m)")
	fs.Var(newDaysDuration(&opts.Interval, verify.DefaultInterval), "interval", "first pause between checks with --wait; it grows up to 30s")
}

func addStrictFlag(fs *flagSet, opts *verifyOptions) {
	fs.BoolVar(&opts.Strict, "strict", false, "HTTP: demand the file's exact bytes (a trailing newline fails)")
}

func newVerifyHTTPCmd(f *factory) *cobra.Command {
	opts := &verifyOptions{Method: verify.MethodHTTP}
	cmd := &cobra.Command{
		Use:   "http DOMAIN... | -",
		Short: "Check the file http://DOMAIN/logmein-verification-code.txt",
		Long: `Fetch http://DOMAIN/logmein-verification-code.txt from every address of the host
(resolved through the same resolvers as the DNS check) and judge it as Let's
Encrypt judges its http-01 files: status 200, at most 10 redirects (301, 302, 307,
308; http or https; ports 80 and 443), a body that is exactly the code (a trailing
newline is tolerated, unless --strict), at most 128 bytes. A request to a random
missing path tells a catch-all site (soft 404).

--connect-to HOST:PORT:ADDR:PORT (curl's semantics) sends a host's requests to
another address, to test a server before DNS points at it.`,
		Example: `  orgctl verify http main.com
  orgctl verify http main.com --connect-to main.com:80:192.0.2.7:80 -v
  orgctl verify http main.com --strict -q && echo ok`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give domains as arguments, or - to read them from stdin", "verify http needs at least one domain")
			}
			return runVerify(cmd.Context(), f, opts, args)
		},
	}
	addVerifyFlags(cmd.Flags(), opts)
	addStrictFlag(cmd.Flags(), opts)
	return cmd
}

func newVerifyDNSCmd(f *factory) *cobra.Command {
	opts := &verifyOptions{Method: verify.MethodDNS}
	cmd := &cobra.Command{
		Use:   "dns DOMAIN... | -",
		Short: "Check the TXT record on every authoritative server and resolver",
		Long: `Check the verification TXT record of each domain (and of its stored subdomains).

orgctl finds the zone (SOA walk through the resolvers), its NS set and every
address of every name server, and asks each one directly (RD=0); then it asks
every resolver. The code counts when every reachable authoritative server serves
it; resolvers still serving old data make the status "propagating".`,
		Example: `  orgctl verify dns main.com
  orgctl verify dns main.com --resolver 127.0.0.1:5353 --ns-port 5300
  orgctl verify dns main.com --nameserver 198.51.100.53:53 -o json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give domains as arguments, or - to read them from stdin", "verify dns needs at least one domain")
			}
			return runVerify(cmd.Context(), f, opts, args)
		},
	}
	addVerifyFlags(cmd.Flags(), opts)
	return cmd
}

// job is one domain to check, with what to expect.
type job struct {
	domain string
	code   verify.Code
}

// runVerify checks every domain and prints the results; it never touches
// cobra.
func runVerify(ctx context.Context, f *factory, opts *verifyOptions, args []string) error {
	domains, err := readDomains(f.io, args)
	if err != nil {
		return err
	}
	if opts.Wait < 0 {
		return usageErrorf("e.g. --wait 15m", "invalid --wait %s: must not be negative", opts.Wait)
	}
	if opts.Interval <= 0 {
		return usageErrorf("e.g. --interval 5s", "invalid --interval %s: must be positive", opts.Interval)
	}
	jobs, err := f.jobs(domains, opts.Code)
	if err != nil {
		return err
	}
	checker, err := f.checker()
	if err != nil {
		return err
	}
	checker.Strict = opts.Strict
	if st, err := f.openStore(); err == nil {
		checker.KnownCode = f.knownCode(st)
	}
	method := checker.Any
	switch {
	case opts.Diagnose:
		method = checker.Diagnose
		if checker.SystemResolvers, err = f.systemResolvers(opts.SystemResolvers); err != nil {
			return err
		}
	case opts.Method == verify.MethodDNS:
		method = checker.DNS
	case opts.Method == verify.MethodHTTP:
		method = checker.HTTP
	}

	p := newResultPrinter(f)
	p.diagnose = opts.Diagnose
	results := make([]*verify.Result, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var failed error
	var mu sync.Mutex
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			check := func(ctx context.Context) (*verify.Result, error) { return method(ctx, j.domain, j.code) }
			res, err := verify.Poll(ctx, opts.Wait, opts.Interval, check, func(r *verify.Result, elapsed time.Duration) {
				if opts.Wait > 0 {
					p.progress(r, elapsed, opts.Wait)
				}
			})
			if err != nil && res == nil {
				mu.Lock()
				failed = err
				mu.Unlock()
				return
			}
			results[i] = res
			p.done(res, opts.Wait > 0)
		}()
	}
	wg.Wait()
	p.finish(results)
	if failed != nil {
		return failed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !opts.Diagnose {
		f.record(results)
	}
	return outcome(results)
}

// outcome maps results to the exit status: any error → 1, else any not
// verified → 3.
func outcome(results []*verify.Result) error {
	var notVerified, indeterminate bool
	for _, r := range results {
		switch {
		case r == nil || r.Status == verify.StatusError:
			indeterminate = true
		case !r.Verified:
			notVerified = true
		}
	}
	switch {
	case indeterminate:
		return errIndeterminate
	case notVerified:
		return errNotVerified
	}
	return nil
}

// readDomains normalizes the domain arguments; "-" reads stdin.
func readDomains(io *IOStreams, args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range args {
		var list []string
		if a == "-" {
			l, err := domain.ReadList(io.In)
			if err != nil {
				return nil, usageError(fmt.Errorf("reading domains from stdin: %w", err), "one domain per line; # starts a comment")
			}
			list = l
		} else {
			d, err := domain.Normalize(a)
			if err != nil {
				return nil, usageError(err, "")
			}
			list = []string{d}
		}
		for _, d := range list {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("", "no domains given (stdin held none)")
	}
	return out, nil
}

// jobs pairs each domain with its code: --code for all, else the store.
func (f *factory) jobs(domains []string, codeFlag string) ([]job, error) {
	var jobs []job
	if codeFlag != "" {
		uuid, err := codegen.Parse(codeFlag)
		if err != nil {
			return nil, usageError(fmt.Errorf("--code: %w", err), "")
		}
		// A stored record of the same code still knows its subdomains
		// and expiry; without a readable store, the code alone is used.
		st, _ := f.openStore()
		for _, d := range domains {
			j := job{domain: d, code: verify.Code{Value: codegen.Value(uuid)}}
			if st != nil {
				if rec, err := st.Code(d); err == nil && rec.Code == uuid {
					j.code.Subdomains, j.code.ExpiresAt = rec.Subdomains, rec.ExpiresAt
				}
			}
			jobs = append(jobs, j)
		}
		return jobs, nil
	}
	st, err := f.openStore()
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, d := range domains {
		rec, err := st.Code(d)
		switch {
		case errors.Is(err, store.ErrNotFound):
			missing = append(missing, d)
			continue
		case err != nil:
			return nil, err
		case rec.RevokedAt != nil:
			return nil, usageErrorf(fmt.Sprintf("run 'orgctl code new %s --force' for a new code, or pass --code", d),
				"the code of %s was revoked on %s", d, rec.RevokedAt.UTC().Format(time.DateOnly))
		}
		jobs = append(jobs, job{domain: d, code: verify.Code{Value: codegen.Value(rec.Code), ExpiresAt: rec.ExpiresAt, Subdomains: rec.Subdomains}})
	}
	if len(missing) > 0 {
		return nil, usageErrorf(fmt.Sprintf("pass the provider's code with --code, or run 'orgctl code new %s'", missing[0]),
			"no code for %s: none given with --code and none stored in %s", strings.Join(missing, ", "), f.opts.StateDir)
	}
	return jobs, nil
}

// checker builds a verify.Checker from the global options.
func (f *factory) checker() (*verify.Checker, error) {
	o := f.opts
	c := &verify.Checker{Nameservers: o.Nameservers, NSPort: o.NSPort, Now: f.now}
	for _, list := range [][]string{o.Resolvers, o.Nameservers} {
		for _, a := range list {
			if err := checkHostPort(a); err != nil {
				return nil, usageError(err, "give servers as HOST:PORT, e.g. 127.0.0.1:53")
			}
		}
	}
	c.Resolvers = o.Resolvers
	for _, s := range o.ConnectTo {
		ct, err := verify.ParseConnectTo(s)
		if err != nil {
			return nil, usageError(err, "e.g. --connect-to main.com:80:192.0.2.7:8080")
		}
		c.ConnectTo = append(c.ConnectTo, ct)
	}
	c.UserAgent = "orgctl/" + version
	if len(c.Resolvers) == 0 && len(c.Nameservers) == 0 {
		rs, err := config.SystemResolvers(config.ResolvConf)
		if err != nil {
			return nil, usageError(err, "give resolvers with --resolver HOST:PORT")
		}
		c.Resolvers = rs
	}
	if f.tune != nil {
		f.tune(c)
	}
	if o.Verbose {
		c.Trace = func(format string, args ...any) {
			f.traceMu.Lock()
			defer f.traceMu.Unlock()
			fmt.Fprintf(f.io.ErrOut, "orgctl: trace: "+format+"\n", args...)
		}
	}
	return c, nil
}

// record appends each result to the verification history; a failure to
// write is a warning, not a failed verification.
func (f *factory) record(results []*verify.Result) {
	st, err := f.openStore()
	if err != nil {
		f.warnf("verification history not saved: %v", err)
		return
	}
	var checks []store.DomainCheck
	for _, r := range results {
		if r == nil {
			continue
		}
		for _, m := range methodResults(r) {
			for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
				checks = append(checks, store.DomainCheck{Domain: r.Domain,
					Check: store.Check{At: x.CheckedAt, Method: x.Method, Name: strings.TrimSuffix(x.Name, "."), Status: string(x.Status)}})
			}
		}
	}
	if err := st.RecordChecks(checks); err != nil {
		f.warnf("verification history not saved: %v", err)
	}
}

// methodResults are the results of each method behind r: both when
// verify ran DNS and HTTP, else r itself.
func methodResults(r *verify.Result) []*verify.Result {
	if r.DNS != nil && r.HTTP != nil {
		return []*verify.Result{r.DNS, r.HTTP}
	}
	return []*verify.Result{r}
}

func (f *factory) warnf(format string, args ...any) {
	p := palette{on: f.io.colorErr()}
	fmt.Fprintf(f.io.ErrOut, "orgctl: %s %s\n", p.yellow("warning:"), fmt.Sprintf(format, args...))
}
