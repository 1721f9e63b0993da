package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
)

// verifyOptions are the options of `orgctl verify`.
type verifyOptions struct {
	Code     string
	Wait     time.Duration
	Interval time.Duration
	Strict   bool
	Method   string // verify.MethodDNS, verify.MethodHTTP, or "" for DNS then HTTP
	// Diagnose runs both methods with every probe (orgctl diagnose)
	// and prints a report; nothing goes into the history.
	Diagnose        bool
	SystemResolvers []string
	// File is --file: a list of domains, one a line.
	File string
	// Stored checks every domain with a stored code (drift).
	Stored bool
	// Concurrency bounds the domains checked at once; 0 is the default.
	Concurrency int
	// Ordered keeps the order of the domains in jsonl.
	Ordered bool
	// IntervalGiven says that --interval was on the command line, where
	// an --interval without --wait is a mistake to point out.
	IntervalGiven bool
}

// verifyRunE is the RunE of verify, verify dns, verify http and
// diagnose: at least one domain, then runVerify.
func verifyRunE(f *factory, opts *verifyOptions, hint, msg string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && opts.File == "" && !opts.Stored {
			return usageErrorf(hint, "%s", msg)
		}
		opts.IntervalGiven = cmd.Flags().Changed("interval")
		return runVerify(cmd.Context(), f, opts, args)
	}
}

func newVerifyCmd(f *factory) *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use: "verify DOMAIN... | -",
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
		RunE: verifyRunE(f, opts, "orgctl verify DOMAIN, or see 'orgctl verify --help'", "verify needs at least one domain"),
	}
	addVerifyFlags(cmd.Flags(), f, opts)
	addStoredFlag(cmd.Flags(), opts)
	addStrictFlag(cmd.Flags(), opts)
	cmd.AddCommand(newVerifyDNSCmd(f), newVerifyHTTPCmd(f))
	return cmd
}

// addVerifyFlags registers the flags of every command that checks
// domains: the code, --wait and the network overrides.
func addVerifyFlags(fs *flagSet, f *factory, opts *verifyOptions) {
	fs.StringVar(&opts.Code, "code", "", "the code to look for: logmein-verification-code=UUID or the bare UUID (default: the stored one)")
	requireValue(fs, "code")
	// The day-aware duration of --validity, so that one syntax works
	// everywhere (--wait 1d).
	fs.Var(newDaysDuration(&opts.Wait, 0), "wait", "keep checking until verified or this long has passed (e.g. 15m, 2h, 1d)")
	fs.Lookup("wait").DefValue = "0" // pflag's help hides a zero default spelled so, not "0s"
	fs.Var(newDaysDuration(&opts.Interval, verify.DefaultInterval), "interval", "first pause between checks with --wait; it grows up to 30s")
	fs.StringVar(&opts.File, "file", "", "read domains from `FILE`, one a line (blank lines and # comments skipped)")
	fs.IntVar(&opts.Concurrency, "concurrency", verify.DefaultConcurrency, "check this many domains at once")
	fs.BoolVar(&opts.Ordered, "ordered", false, "-o jsonl: print the results in the order of the domains, not as they finish")
	addNetworkFlags(fs, f)
}

// addStoredFlag registers --stored on the verify commands (not diagnose).
func addStoredFlag(fs *flagSet, opts *verifyOptions) {
	fs.BoolVar(&opts.Stored, "stored", false, "check every domain that has a stored code; one that verified before and not now gets code.lost")
}

// addNetworkFlags registers the DNS and HTTP overrides (DESIGN.md §2) on
// a command that checks domains; they read ORGCTL_RESOLVER… and the
// config file's keys like every flag.
//
// The flags are made once per factory and added to each command: they
// set the same global options whichever command parses them, and every
// command line would otherwise build them four times.
func addNetworkFlags(fs *flagSet, f *factory) {
	if f.networkFlags == nil {
		o := f.opts
		nf := pflag.NewFlagSet("network", pflag.ContinueOnError)
		stringsVar(nf, &o.Resolvers, "resolver", "recursive resolver HOST:PORT to use, repeatable (default: from /etc/resolv.conf)")
		stringsVar(nf, &o.Nameservers, "nameserver", "treat HOST:PORT as an authoritative server and skip discovery, repeatable")
		nf.IntVar(&o.NSPort, "ns-port", verify.DefaultNSPort, "port of the authoritative servers found by discovery")
		stringsVar(nf, &o.ConnectTo, "connect-to", "HTTP: connect to ADDR:PORT for requests to HOST:PORT (HOST:PORT:ADDR:PORT, curl's semantics), repeatable")
		f.networkFlags = nf
	}
	fs.AddFlagSet(f.networkFlags)
}

func addStrictFlag(fs *flagSet, opts *verifyOptions) {
	fs.BoolVar(&opts.Strict, "strict", false, "HTTP: demand the file's exact bytes (a trailing newline fails)")
}

// minInterval is the shortest --interval: each check of --wait asks every
// server again.
const minInterval = 100 * time.Millisecond

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
		RunE: verifyRunE(f, opts, "give domains as arguments, or - to read them from stdin", "verify http needs at least one domain"),
	}
	addVerifyFlags(cmd.Flags(), f, opts)
	addStoredFlag(cmd.Flags(), opts)
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
		RunE: verifyRunE(f, opts, "give domains as arguments, or - to read them from stdin", "verify dns needs at least one domain"),
	}
	addVerifyFlags(cmd.Flags(), f, opts)
	addStoredFlag(cmd.Flags(), opts)
	return cmd
}

// runVerify checks every domain and prints the results; it never touches
// cobra.
func runVerify(ctx context.Context, f *factory, opts *verifyOptions, args []string) error {
	if opts.Wait < 0 {
		return usageErrorf("e.g. --wait 15m", "invalid --wait %s: must not be negative", opts.Wait)
	}
	if opts.Interval < minInterval {
		return usageErrorf("e.g. --interval 5s", "invalid --interval %s: must be at least %s (each check asks every server again)", opts.Interval, minInterval)
	}
	if opts.IntervalGiven && opts.Wait == 0 {
		return usageErrorf("e.g. --wait 15m --interval 10s", "--interval needs --wait: without it there is a single check")
	}
	if opts.Concurrency < 0 || opts.Concurrency > verify.MaxConcurrency {
		return usageErrorf("e.g. --concurrency 64", "invalid --concurrency %d: must be from 1 to %d", opts.Concurrency, verify.MaxConcurrency)
	}
	src, err := f.newDomainSource(ctx, args, opts.File, opts.Code, opts.Stored)
	if err != nil {
		return err
	}
	checker, err := f.checker()
	if err != nil {
		return err
	}
	checker.Strict = opts.Strict
	if st, err := f.openStore(ctx); err == nil {
		checker.KnownCode = f.knownCode(ctx, st)
	} else if ctx.Err() != nil {
		// The state is optional here (--code), but waiting for another
		// orgctl's lock on it took the time allowed: that, not the
		// checks that would now be cut short, is what to report.
		return err
	}
	// Shared by every domain of the run: one discovery per zone, and a
	// query rate per server that backs off when the server times out.
	checker.Cache, checker.Pacer = verify.NewCache(), verify.NewPacer(0)
	if checker.Exchanger == nil {
		pool := verify.NewConnPool(checker.Timeout, checker.UDPSize)
		defer pool.Close()
		checker.Exchanger = pool
	}
	run := verify.RunOptions{Check: checker.Any, Poller: verify.Poller{Wait: opts.Wait, Interval: opts.Interval},
		Concurrency: cmp.Or(opts.Concurrency, verify.DefaultConcurrency)}
	switch {
	case opts.Diagnose:
		run.Check = checker.Diagnose
		if checker.SystemResolvers, err = f.systemResolvers(opts.SystemResolvers); err != nil {
			return err
		}
	case opts.Method == verify.MethodDNS:
		run.Check, run.Method = checker.DNS, verify.MethodDNS
	case opts.Method == verify.MethodHTTP:
		run.Check, run.Method = checker.HTTP, verify.MethodHTTP
	}

	p := f.printer()
	// jsonl streams results as they finish, unless --ordered; text and
	// json keep the order of the domains.
	run.Ordered = !p.JSONL() || opts.Ordered
	out := newResultStream(f, p, opts, src.total)
	run.Each = out.poll
	var history *store.HistoryWriter
	if !opts.Diagnose {
		record := func(checks []store.DomainCheck) error { return f.recordChecks(ctx, checks) }
		history = store.NewHistoryWriter(record, func(err error) { f.warnf("verification history not saved: %v", err) })
	}
	stats := newRunSummary()
	err = verify.Run(ctx, src.jobs(ctx), run, func(r *verify.Result) {
		out.result(r)
		stats.add(r)
		if history != nil {
			history.Add(historyOf(r))
		}
	})
	out.close()
	if history != nil {
		history.Close()
	}
	if stats.n > 1 && !p.JSON() && !p.JSONL() && !f.opts.Quiet {
		queries := checker.Pacer.Sent()
		if opts.Method == verify.MethodHTTP {
			queries = -1
		}
		fmt.Fprintf(f.io.ErrOut, "orgctl: %s\n", stats.text(queries, checker.Pacer.Timeouts()))
	}
	if err != nil {
		return err
	}
	if err := src.inputErr(); err != nil {
		return err
	}
	return stats.err()
}

// resultStream prints verify's results through the run's printer and
// reports the run's progress: --wait's polls as notes in text, as items
// of the stream in jsonl (DESIGN.md §3).
type resultStream struct {
	f      *factory
	p      *printer
	s      *stream
	prog   progress
	opts   *verifyOptions
	shown  int // reports printed, for the blank line between diagnose's
	polled sync.Map
	// held are the items printed when the progress bar is gone: on a
	// terminal the bar and the results share the screen.
	mu   sync.Mutex
	hold bool
	held []*verify.Result
}

func newResultStream(f *factory, p *printer, opts *verifyOptions, n int) *resultStream {
	rs := &resultStream{f: f, p: p, s: p.Stream(), opts: opts, prog: nopProgress{}}
	if n > 1 || opts.Wait > 0 {
		rs.prog = f.newProgress("verify", n)
		rs.hold = f.io.errTTY && f.io.outTTY && !f.opts.Quiet
	}
	return rs
}

// poll is called for every check of every domain; with --wait, it shows
// each one.
func (rs *resultStream) poll(r *verify.Result, elapsed time.Duration) {
	switch {
	case rs.opts.Wait == 0:
	case rs.p.JSONL():
		rs.polled.Store(r, true) // result must not print it again
		rs.item(r)
	case !rs.p.JSON():
		rs.prog.Note(rs.waitNote(r, elapsed))
	}
}

// result is called once for each domain, with its final result.
func (rs *resultStream) result(r *verify.Result) {
	rs.prog.Done(string(r.Status))
	if _, printed := rs.polled.LoadAndDelete(r); !printed {
		rs.item(r)
	}
}

func (rs *resultStream) item(r *verify.Result) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.hold {
		rs.held = append(rs.held, r)
		return
	}
	_ = rs.s.Item(r, func(t *textOut) { rs.text(t, r) })
}

func (rs *resultStream) text(t *textOut, r *verify.Result) {
	if !rs.opts.Diagnose {
		resultText(t, r)
		return
	}
	if rs.shown > 0 {
		fmt.Fprintln(t.W)
	}
	rs.shown++
	diagnoseReport(t, r, rs.f.now())
}

// close removes the progress bar, prints what waited for it, and ends
// the stream.
func (rs *resultStream) close() {
	rs.prog.Close()
	rs.mu.Lock()
	held := rs.held
	rs.hold, rs.held = false, nil
	rs.mu.Unlock()
	for _, r := range held {
		rs.item(r)
	}
	_ = rs.s.Close()
}

// waitNote is the progress note of one poll of --wait.
func (rs *resultStream) waitNote(r *verify.Result, elapsed time.Duration) string {
	step := time.Second
	if elapsed < 10*time.Second {
		step = 100 * time.Millisecond
	}
	msg := fmt.Sprintf("waiting for %s: %s after %s of %s", r.Domain, r.Status, elapsed.Round(step), rs.opts.Wait)
	if r.TimeLeftSeconds > 0 {
		at := rs.f.now().Add(time.Duration(r.TimeLeftSeconds) * time.Second)
		msg += fmt.Sprintf(" (resolvers may serve old data for %ds more: expected at %s)", r.TimeLeftSeconds, at.Format(clock))
	}
	return msg
}

// checker builds a verify.Checker from the global options.
func (f *factory) checker() (*verify.Checker, error) {
	o := f.opts
	if o.NSPort < 1 || o.NSPort > 65535 {
		return nil, usageErrorf("", "invalid --ns-port %d: must be 1-65535", o.NSPort)
	}
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
		if o.NSPort == 53 {
			// The system's view of the real DNS: diagnose may walk
			// down from the root servers when the resolvers fail. With
			// --resolver, --nameserver or --ns-port (a test, a sandbox,
			// a closed network) it never asks them.
			c.Roots = verify.RootHints()
		}
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

// historyOf is what the verification history keeps of a result: each
// name checked by each method. A check cut short, or that could not run,
// checked nothing.
func historyOf(r *verify.Result) []store.DomainCheck {
	if slices.ContainsFunc(r.Findings, func(f verify.Finding) bool {
		return f.Code == verify.CodeCancelled || f.Code == verify.CodeFailed
	}) {
		return nil
	}
	var checks []store.DomainCheck
	for _, m := range methodResults(r) {
		for _, x := range append([]*verify.Result{m}, m.Subdomains...) {
			checks = append(checks, store.DomainCheck{Domain: r.Domain,
				Check: store.Check{At: x.CheckedAt, Method: x.Method, Name: strings.TrimSuffix(x.Name, "."), Status: string(x.Status)}})
		}
	}
	return checks
}

// recordChecks writes checks to the history, opening the store when
// first needed.
func (f *factory) recordChecks(ctx context.Context, checks []store.DomainCheck) error {
	st, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	return st.RecordChecks(ctx, checks)
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
