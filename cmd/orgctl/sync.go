package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/provision"
	"github.com/orgctl/orgctl/scim"
)

// syncOptions are the options of `orgctl scim sync`.
type syncOptions struct {
	scimRun
	Source          string
	Format          string
	DryRun          bool
	Delete          bool
	Force           bool
	MaxDeletes      int
	VerifiedDomains []string
	Concurrency     int
	Rate            float64
	Log             string
	Every           time.Duration
}

func newSCIMSyncCmd(f *factory, conn *scimOptions, runF func(context.Context, *syncOptions) error) *cobra.Command {
	opts := &syncOptions{scimRun: scimRun{f, conn}}
	cmd := &cobra.Command{
		Use:   "sync SOURCE | -",
		Short: "Run a provisioning cycle: push users and groups from a file to the SCIM service",
		Long: `Run one provisioning cycle, as Microsoft Entra ID's provisioning service does:
read the users (and groups) of SOURCE, keep those in scope whose domain is
verified, match them at the service by userName, then create the new ones,
update only the attributes that changed, deactivate the users who left the
source or the scope, and bring groups and their members in step.

SOURCE is a CSV file (a header row naming SCIM attributes — userName,
externalId, active, name.givenName, name.familyName, department,
employeeNumber, costCenter, division — and groups, display names separated by
";"), the CSV of Entra's "bulk download users", a JSON file
({"users":[…],"groups":[…]}) or JSON lines (one user a line); "-" reads stdin.
Every row is checked before anything is sent: a bad source exits 2.

A user whose domain was not verified by 'orgctl verify' (or named with
--verified-domain, or scim.verified_domains in the config file) is skipped,
and named with the reason. The mapping and the scoping rules come from the
config file (scim.mapping, scim.scope).

State per service (SCIM ids, what was pushed) lives under --state-dir: a second
cycle with an unchanged source sends no write. A plan that deactivates or
deletes more than --max-deletes objects stops with exit 5 before any write;
so does a cycle in which most requests fail (quarantine: the next cycle first
tests the connection; --force skips the test). Every object's outcome is
appended to the provisioning log (JSON lines; --log, default beside the state).`,
		Example: `  orgctl scim sync users.csv --dry-run
  orgctl scim sync users.csv
  orgctl scim sync entra-export.csv --verified-domain main.com -o json
  orgctl scim sync users.jsonl --every 40m --log /var/log/orgctl-sync.log`,
		Args: exactArgs(1, "SOURCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nonEmpty(cmd, args, "SOURCE"); err != nil {
				return err
			}
			opts.Source = args[0]
			return runner(runF, runSync)(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and change nothing")
	fs.BoolVar(&opts.Delete, "delete", false, "delete users and groups that left the source, instead of deactivating users and emptying groups")
	fs.IntVar(&opts.MaxDeletes, "max-deletes", provision.DefaultMaxDeletes, "stop, changing nothing, when a cycle would deactivate or delete more than this many objects")
	stringsVar(fs, &opts.VerifiedDomains, "verified-domain", "treat this domain as verified (it was verified elsewhere), repeatable")
	fs.IntVar(&opts.Concurrency, "concurrency", provision.DefaultConcurrency, "requests in flight at once")
	fs.Float64Var(&opts.Rate, "rate", 0, "at most this many requests a second (0: no limit; 429s lower it)")
	fs.StringVar(&opts.Log, "log", "", "append the provisioning log to this file (default: beside the sync state under --state-dir)")
	fs.BoolVar(&opts.Force, "force", false, "run a quarantined sync without first testing the connection")
	fs.Var(newDaysDuration(&opts.Every, 0), "every", "run a cycle, then again after this long, until interrupted (e.g. 40m)")
	fs.Lookup("every").DefValue = "0"
	fs.StringVar(&opts.Format, "format", "auto", "format of SOURCE: auto (by extension, else by content), csv, json or jsonl")
	for name, key := range map[string]string{
		"dry-run": "scim.sync.dry_run", "delete": "scim.sync.delete", "max-deletes": "scim.sync.max_deletes",
		"verified-domain": "scim.verified_domains", "concurrency": "scim.sync.concurrency", "rate": "scim.sync.rate",
		"log": "scim.sync.log", "force": "scim.sync.force", "every": "scim.sync.every", "format": "scim.sync.format",
	} {
		_ = fs.SetAnnotation(name, config.AnnotationKey, []string{key})
	}
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"auto", "csv", "json", "jsonl"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// maxSyncConcurrency is the most requests a sync keeps in flight: more
// than a SCIM service serves one client at once (Entra's own service keeps
// to a few).
const maxSyncConcurrency = 256

// minSyncRate is the lowest --rate: one request a minute.
const minSyncRate = 1.0 / 60

// syncMaxRetryAfter is the longest Retry-After a sync waits for.
const syncMaxRetryAfter = time.Hour

// syncMemoryLimit is the soft memory limit of a sync (see runSync).
const syncMemoryLimit = 100 << 20

// runSync runs one cycle, or one every --every until interrupted.
func runSync(ctx context.Context, o *syncOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// A cycle keeps a bounded heap (a few hashes a user) and makes
		// garbage at every request; the default target lets the heap grow
		// to twice what is live. Half of that halves the memory of a
		// million-user sync at no visible cost in time
		// (docs/performance-sync.md). GOGC, when set, decides.
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// A soft limit keeps a million-user sync (~86 MB live) within
		// issue 13's 150 MiB of RSS, at ~10 % more time for it; a smaller
		// sync never reaches it, and a larger one goes past it rather
		// than stop, the runtime capping the GC's share of the CPU
		// (docs/performance-sync.md). GOMEMLIMIT, when set, decides.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(syncMemoryLimit))
	}
	if o.Every == 0 {
		return o.cycle(ctx)
	}
	for {
		err := o.cycle(ctx)
		var ce *cliError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &ce) && (ce.code == exitUsage || ce.code == exitSafetyStop || ce.code == exitAuth):
			// A bad source, a quarantine or a refused token does not
			// mend itself by waiting: stop and say so.
			return err
		case err != nil:
			report(o.f.io.ErrOut, err, palette{on: o.f.io.colorErr()})
		}
		next := o.f.now().Add(o.Every)
		o.f.infof("next cycle at %s (every %s; Ctrl-C stops)", next.Format(clock), o.Every)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-o.f.after(o.Every):
		}
	}
}

func (o *syncOptions) check() error {
	switch {
	case o.Concurrency < 1 || o.Concurrency > maxSyncConcurrency:
		return usageErrorf("e.g. --concurrency 4", "invalid --concurrency %d: must be from 1 to %d", o.Concurrency, maxSyncConcurrency)
	case math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate < 0 || o.Rate > 0 && o.Rate < minSyncRate:
		return usageErrorf("e.g. --rate 50, or 0 for no limit", "invalid --rate %g: must be 0 (no limit) or at least %.4f (a request a minute)", o.Rate, minSyncRate)
	case o.MaxDeletes < 1:
		return usageErrorf("e.g. --max-deletes 500", "invalid --max-deletes %d: must be at least 1", o.MaxDeletes)
	case o.Every < 0:
		return usageErrorf("e.g. --every 40m", "invalid --every %s: must not be negative", o.Every)
	case o.Every > 0 && o.Every < time.Minute:
		return usageErrorf("e.g. --every 40m (Entra runs a cycle every 40 minutes)", "--every %s is too short: at least 1m", o.Every)
	}
	if _, err := provision.ParseFormat(o.Format); err != nil {
		return usageError(fmt.Errorf("--format: %w", err), "use --format auto, csv, json or jsonl")
	}
	return nil
}

// cycle runs one provisioning cycle and prints its plan or summary.
func (o *syncOptions) cycle(ctx context.Context) error {
	desired, done, err := o.desired(ctx)
	if err != nil {
		return err
	}
	defer done()
	pacer := provision.NewPacer(provision.PacerOptions{Rate: o.Rate, Concurrency: o.Concurrency})
	c, err := o.f.scimClientWith(o.conn, func(cfg *scim.Config) {
		cfg.Connections = o.Concurrency
		// A sync waits as long as a 429 asks (the pacer holds every
		// worker meanwhile), up to an hour; --timeout bounds the run.
		cfg.Retry.MaxRetryAfter = syncMaxRetryAfter
	}, scim.WithWrapTransport(pacer.Transport))
	if err != nil {
		return err
	}
	st, err := provision.OpenState(o.f.opts.StateDir, c.URL())
	switch {
	case errors.Is(err, provision.ErrBusy):
		return &cliError{code: exitFailure, err: err, hint: "one sync per service at a time: wait for the other one (or stop it)"}
	case err != nil:
		return usageError(err, "check --state-dir (ORGCTL_STATE_DIR)")
	}
	defer st.Close()

	logw, closeLog, err := o.openLog(st)
	if err != nil {
		return err
	}
	defer closeLog()

	prog := &syncProgress{f: o.f}
	plan, sum, err := provision.Sync(ctx, c, st, desired, provision.Options{
		Delete: o.Delete, Attributes: desired.Attributes, DryRun: o.DryRun, Force: o.Force,
		Concurrency: o.Concurrency, MaxDeletes: o.MaxDeletes, Log: logw, Progress: prog, Pacer: pacer,
	})
	prog.Close()
	p := o.printer()
	switch {
	case sum != nil:
		if perr := p.Print(sum, func(t *textOut) { printSummary(t, sum, err != nil) }); perr != nil && err == nil {
			err = perr
		}
	case plan != nil && (o.DryRun || isThreshold(err)):
		if perr := p.Print(plan, func(t *textOut) { printPlan(t, plan, o.DryRun) }); perr != nil && err == nil {
			err = perr
		}
	}
	return syncError(err, sum)
}

func isThreshold(err error) bool {
	var te *provision.ThresholdError
	return errors.As(err, &te)
}

// desired reads and checks the source and builds what the service should
// hold. Nothing is sent before it succeeds. The cycle reads the source
// again as it goes: done, once it is over, removes the copy of stdin. ctx
// bounds the reads of the state, for the domain gate.
func (o *syncOptions) desired(ctx context.Context) (d *provision.Desired, done func(), err error) {
	done = func() {}
	format, _ := provision.ParseFormat(o.Format)
	path, name := o.Source, o.Source
	if o.Source == "-" {
		// The source is read twice (checked whole, then synced a batch at
		// a time): stdin goes to a temporary file first.
		spool, err := spoolStdin(o.f.io.In)
		if err != nil {
			return nil, done, err
		}
		done = func() { os.Remove(spool) }
		defer func() {
			if err != nil {
				done()
			}
		}()
		path, name = spool, "stdin"
	} else if fh, err := os.Open(path); err != nil {
		return nil, done, usageError(fmt.Errorf("source: %w", err), "give a CSV, JSON or JSONL file, or - for stdin")
	} else {
		fh.Close()
	}
	src, err := provision.OpenSource(path, name, format)
	if err != nil {
		return nil, done, sourceError(err)
	}
	m, scope, err := o.mappingAndScope()
	if err != nil {
		return nil, done, err
	}
	verified, err := o.verified(ctx)
	if err != nil {
		return nil, done, err
	}
	if d, err = provision.BuildStream(src, m, scope, verified); err != nil {
		return nil, done, sourceError(err)
	}
	return d, done, nil
}

// spoolStdin copies stdin to a temporary file and returns its path.
func spoolStdin(in io.Reader) (string, error) {
	f, err := os.CreateTemp("", "orgctl-sync-*.src")
	if err != nil {
		return "", fmt.Errorf("keeping stdin in a temporary file: %w", err)
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("keeping stdin in a temporary file: %w", err)
	}
	return f.Name(), nil
}

// sourceError makes a bad source a usage error that lists every bad row
// found, a line each, so that all can be fixed in one go.
func sourceError(err error) error {
	var se *provision.SourceError
	if !errors.As(err, &se) {
		return usageError(err, "")
	}
	n := len(se.Rows) + se.More
	var b strings.Builder
	fmt.Fprintf(&b, "source %s: %d %s", se.Name, n, plural(n, "problem", "problems"))
	for _, r := range se.Rows {
		b.WriteString("\n  " + safe(r.Error()))
	}
	if se.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", se.More)
	}
	return usageError(errors.New(b.String()), "fix these rows and run again: nothing was sent")
}

// mappingAndScope are scim.mapping and scim.scope of the config file, or
// the default mapping and everyone in scope.
func (o *syncOptions) mappingAndScope() (provision.Mapping, provision.Scope, error) {
	m, scope := provision.DefaultMapping(), provision.Scope(nil)
	v := o.f.viper
	if v == nil {
		return m, scope, nil
	}
	if v.IsSet("scim.mapping") {
		m = provision.Mapping{}
		if err := v.UnmarshalKey("scim.mapping", &m); err != nil {
			return m, nil, usageError(fmt.Errorf("config file %s: scim.mapping: %w", v.ConfigFileUsed(), err), "")
		}
	}
	if err := m.Validate(); err != nil {
		return m, nil, usageError(fmt.Errorf("config file %s: %w", v.ConfigFileUsed(), err), "")
	}
	if v.IsSet("scim.scope") {
		if err := v.UnmarshalKey("scim.scope", &scope); err != nil {
			return m, nil, usageError(fmt.Errorf("config file %s: scim.scope: %w", v.ConfigFileUsed(), err), "")
		}
	}
	if err := scope.Validate(); err != nil {
		return m, nil, usageError(fmt.Errorf("config file %s: %w", v.ConfigFileUsed(), err), "")
	}
	return m, scope, nil
}

// verified is the domain gate: --verified-domain (scim.verified_domains),
// else a successful 'orgctl verify' in the state.
func (o *syncOptions) verified(ctx context.Context) (provision.Verified, error) {
	given, err := provision.VerifiedDomains(o.VerifiedDomains...)
	if err != nil {
		return nil, usageError(fmt.Errorf("--verified-domain: %w", err), "")
	}
	st, err := o.f.openStore(ctx)
	if err != nil {
		return nil, err
	}
	return func(d string) bool {
		if given(d) {
			return true
		}
		_, ok, err := st.LastVerified(ctx, d)
		return err == nil && ok
	}, nil
}

// openLog opens the provisioning log for appending: --log, else beside
// the sync state.
func (o *syncOptions) openLog(st *provision.State) (io.Writer, func(), error) {
	path := o.Log
	if path == "" {
		path = strings.TrimSuffix(st.Path(), filepath.Ext(st.Path())) + ".log"
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, usageError(fmt.Errorf("provisioning log: %w", err), "check --log")
	}
	return fh, func() { _ = fh.Close() }, nil
}

// syncError gives a cycle's error its exit code: 5 for a safety stop
// (deletion threshold, quarantine), 4 for a refused token, 1 when objects
// failed.
func syncError(err error, sum *provision.Summary) error {
	var te *provision.ThresholdError
	var qe *provision.QuarantineError
	switch {
	case errors.As(err, &te):
		return &cliError{code: exitSafetyStop, err: err,
			hint: fmt.Sprintf("check the source first (--dry-run -v lists the objects), then raise --max-deletes above %d if this is meant", te.Count)}
	case errors.As(err, &qe):
		return &cliError{code: exitSafetyStop, err: err,
			hint: "fix what the reason names; the next run tests the connection first and goes on when it passes (--force skips the test)"}
	case err != nil:
		return scimError(err)
	case sum != nil && sum.Failed > 0:
		return &cliError{code: exitFailure, err: fmt.Errorf("%d %s failed (see the summary and the provisioning log)", sum.Failed, plural(sum.Failed, "object", "objects")),
			hint: "run the sync again: it retries only what is not done"}
	}
	return nil
}

// syncProgress shows a cycle's progress (provision.Progress) through the
// run's progress report, which it starts when the total is known.
type syncProgress struct {
	f *factory
	p progress
}

func (s *syncProgress) Start(total int) {
	if s.p == nil {
		s.p = s.f.newProgress("syncing", total)
	}
}

func (s *syncProgress) Step(action, status string) {
	if s.p != nil {
		s.p.Done(status)
	}
}

func (s *syncProgress) Close() {
	if s.p != nil {
		s.p.Close()
	}
}

// printPlan prints a plan for people: the counts, then, with -v, a line
// an object; skipped users are always named.
func printPlan(t *textOut, plan *provision.Plan, dryRun bool) {
	c := plan.Counts
	fmt.Fprintf(t.W, "%s: %s\n", t.P.bold("plan for "+safe(plan.Target)), planCounts(c))
	if t.Verbose {
		for _, a := range plan.Actions {
			line := fmt.Sprintf("  %-18s %s", a.Op, safe(a.Identity))
			if len(a.Changes) > 0 {
				line += "  " + strings.Join(a.Changes, ", ")
			}
			if len(a.AddMembers) > 0 {
				line += fmt.Sprintf("  +%d %s", len(a.AddMembers), plural(len(a.AddMembers), "member", "members"))
			}
			if len(a.RemoveMembers) > 0 {
				line += fmt.Sprintf("  -%d %s", len(a.RemoveMembers), plural(len(a.RemoveMembers), "member", "members"))
			}
			fmt.Fprintln(t.W, line)
		}
	}
	printSkipped(t, plan.Skipped)
	if dryRun {
		fmt.Fprintln(t.W, t.P.dim("dry run: nothing was changed"))
	}
}

func planCounts(c provision.Counts) string {
	return fmt.Sprintf("users: %d to create, %d to update, %d to deactivate, %d to delete, %d unchanged; "+
		"groups: %d to create, %d to update, %d to empty, %d to delete; members: +%d -%d; %d skipped",
		c.Creates, c.Updates, c.Deactivations, c.Deletions, c.Unchanged,
		c.GroupCreates, c.GroupUpdates, c.GroupsEmptied, c.GroupDeletes, c.MemberAdds, c.MemberRemoves, c.Skips)
}

// printSummary prints what a cycle did; stopped says that it ended on an
// error (the error itself is printed after).
func printSummary(t *textOut, s *provision.Summary, stopped bool) {
	var bad []string
	if s.Failed > 0 {
		bad = append(bad, fmt.Sprintf("%d failed", s.Failed))
	}
	if s.NotRun > 0 {
		bad = append(bad, fmt.Sprintf("stopped, %d not made", s.NotRun))
	}
	if stopped && len(bad) == 0 {
		bad = append(bad, "stopped")
	}
	verdict := t.P.green("done")
	if len(bad) > 0 {
		verdict = t.P.red(strings.Join(bad, ", "))
	}
	fmt.Fprintf(t.W, "%s: %s (cycle %s, %s)\n", t.P.bold("sync "+safe(s.Target)), verdict, s.CycleID, time.Duration(s.DurationMS)*time.Millisecond)
	fmt.Fprintf(t.W, "  users:    %d created, %d updated, %d deactivated, %d deleted, %d unchanged\n",
		s.Created, s.Updated, s.Deactivated, s.Deleted, s.Unchanged)
	fmt.Fprintf(t.W, "  groups:   %d created, %d updated, %d emptied, %d deleted; members +%d -%d\n",
		s.GroupsCreated, s.GroupsUpdated, s.GroupsEmptied, s.GroupsDeleted, s.MemberAdds, s.MemberRemoves)
	fmt.Fprintf(t.W, "  requests: %d (%d writes, %d retries)\n", s.Requests, s.Writes, s.Retries)
	for _, f := range s.Failures {
		fmt.Fprintf(t.W, "  %s %s %s: %s\n", t.P.red("failed"), f.Action, safe(f.Identity), safe(f.Error))
	}
	printSkipped(t, s.SkippedUsers)
}

// printSkipped names the users left out and why: all with -v, else the
// first few and a count by reason.
func printSkipped(t *textOut, skipped []provision.Skip) {
	if len(skipped) == 0 {
		return
	}
	byReason := map[string]int{}
	for _, s := range skipped {
		byReason[s.Reason]++
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(byReason)) {
		parts = append(parts, fmt.Sprintf("%s %d", r, byReason[r]))
	}
	fmt.Fprintf(t.W, "  skipped:  %d (%s)\n", len(skipped), strings.Join(parts, ", "))
	const few = 10
	for i, s := range skipped {
		if i == few && !t.Verbose {
			fmt.Fprintf(t.W, "    … and %d more (-v lists them all)\n", len(skipped)-few)
			break
		}
		fmt.Fprintf(t.W, "    line %d %s: %s\n", s.Line, safe(s.UserName), safe(s.Detail))
	}
}

// infof prints a note on stderr, unless -q.
func (f *factory) infof(format string, args ...any) {
	if f.opts.Quiet {
		return
	}
	fmt.Fprintf(f.io.ErrOut, "orgctl: %s\n", fmt.Sprintf(format, args...))
}
