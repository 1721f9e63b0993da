package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orgctl/orgctl/codegen"
	"github.com/orgctl/orgctl/internal/domain"
	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/verify"
)

// domainSource is where a run's domains come from, in this order: the
// arguments, --file, stdin ("-"), the store (--stored). Arguments and the
// file are checked whole before anything runs, so that a bad name is a
// usage error (exit 2) as DESIGN.md §2 says; the file is then read a
// second time as the run goes, not held. Stdin is checked as it streams:
// a pipeline should not wait for its producer to finish before the first
// result, so a bad line there gets a result of its own (status error,
// check.failed naming the line) and the run exits 2 at the end.
type domainSource struct {
	f      *factory
	args   []string // normalized
	file   string
	stdin  bool
	stored bool
	// code is --code's UUID, "" to take each domain's stored code.
	code string
	// total is how many domains there are, -1 when stdin makes it unknown.
	total int

	mu      sync.Mutex
	badLine error // the first bad line of stdin
	lines   int   // the lines of stdin that named a domain, good or bad

	codesOnce sync.Once
	codes     map[string]store.Code // by domain
	codesErr  error
}

// newDomainSource checks the arguments, --file and --code; without
// --code, the stored codes are read (ctx bounds the wait for the state).
func (f *factory) newDomainSource(ctx context.Context, args []string, file, codeFlag string, stored bool) (*domainSource, error) {
	src := &domainSource{f: f, file: file, stored: stored}
	if codeFlag != "" {
		uuid, err := codegen.Parse(codeFlag)
		if err != nil {
			return nil, usageError(fmt.Errorf("--code: %w", err), "")
		}
		src.code = uuid
	}
	seen := map[string]bool{}
	var missing []string
	note := func(d string) error {
		if seen[d] {
			return nil
		}
		seen[d] = true
		src.total++
		if _, err := src.job(ctx, d); errors.Is(err, errNoCode) {
			missing = append(missing, d)
		} else if err != nil {
			return err
		}
		return nil
	}
	for _, a := range args {
		if a == "-" {
			src.stdin = true
			continue
		}
		d, err := domain.Normalize(a)
		if err != nil {
			return nil, usageError(err, "")
		}
		src.args = append(src.args, d)
		if err := note(d); err != nil {
			return nil, err
		}
	}
	if file != "" {
		err := src.eachOfFile(func(e domain.Entry) error {
			if e.Err != nil {
				return usageError(fmt.Errorf("--file %s: %w", file, e.Err), "one domain per line; # starts a comment")
			}
			return note(e.Domain)
		})
		if err != nil {
			return nil, err
		}
	}
	if stored {
		if codeFlag != "" {
			return nil, usageErrorf("drop --code: each stored domain is checked for its own code", "--stored and --code do not go together")
		}
		err := src.eachStored(ctx, func(c store.Code) error { return note(c.Domain) })
		if err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		list := missing
		if len(list) > 10 {
			list = append(slices.Clone(list[:10]), fmt.Sprintf("and %d more", len(missing)-10))
		}
		return nil, usageErrorf(fmt.Sprintf("pass the provider's code with --code, or run 'orgctl code new %s'", missing[0]),
			"no code for %s: none given with --code and none stored in %s", strings.Join(list, ", "), f.opts.StateDir)
	}
	if src.stdin {
		src.total = -1
	} else if src.total == 0 {
		switch {
		case stored:
			return nil, usageErrorf("store one with 'orgctl code new DOMAIN'", "--stored: no domain has a stored code in %s", f.opts.StateDir)
		default:
			return nil, usageErrorf("", "no domains given (--file %s holds none)", file)
		}
	}
	return src, nil
}

// eachOfFile calls fn for each domain line of --file, until fn fails.
func (src *domainSource) eachOfFile(fn func(domain.Entry) error) error {
	fh, err := os.Open(src.file)
	if err != nil {
		return usageError(fmt.Errorf("--file: %w", err), "")
	}
	defer fh.Close()
	for e := range domain.Entries(fh) {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// eachStored calls fn for each stored code that is not revoked.
func (src *domainSource) eachStored(ctx context.Context, fn func(store.Code) error) error {
	st, err := src.f.openStore(ctx)
	if err != nil {
		return err
	}
	codes, err := st.Codes(ctx)
	if err != nil {
		return err
	}
	for _, c := range codes {
		if c.RevokedAt != nil {
			continue
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// errNoCode says that a domain has no code: none given, none stored.
var errNoCode = errors.New("no code")

// storedCodes reads every stored code once, in one transaction: one
// read per domain costs a lock and a transaction each, most of a bulk
// run's CPU time. It is nil when the store cannot be read.
func (src *domainSource) storedCodes(ctx context.Context) (map[string]store.Code, error) {
	src.codesOnce.Do(func() {
		st, err := src.f.openStore(ctx)
		if err != nil {
			src.codesErr = err
			return
		}
		codes, err := st.Codes(ctx)
		if err != nil {
			src.codesErr = err
			return
		}
		src.codes = make(map[string]store.Code, len(codes))
		for _, c := range codes {
			src.codes[c.Domain] = c
		}
	})
	return src.codes, src.codesErr
}

// job pairs a domain with its code: --code for all, else the stored
// one. With --stored it also carries when the domain last verified.
func (src *domainSource) job(ctx context.Context, d string) (verify.Job, error) {
	f := src.f
	codes, err := src.storedCodes(ctx)
	if src.code != "" {
		j := verify.Job{Domain: d, Code: verify.Code{Value: codegen.Value(src.code)}}
		// A stored record of the same code still knows its subdomains
		// and expiry; without a readable store, the code alone is used.
		if rec, ok := codes[d]; ok && rec.Code == src.code {
			j.Code.Subdomains, j.Code.ExpiresAt = rec.Subdomains, rec.ExpiresAt
		}
		return j, nil
	}
	if err != nil {
		return verify.Job{}, err
	}
	rec, ok := codes[d]
	switch {
	case !ok:
		return verify.Job{}, fmt.Errorf("%w for %s: none given with --code and none stored in %s", errNoCode, d, f.opts.StateDir)
	case rec.RevokedAt != nil:
		return verify.Job{}, usageErrorf(fmt.Sprintf("run 'orgctl code new %s --force' for a new code, or pass --code", d),
			"the code of %s was revoked on %s", d, rec.RevokedAt.UTC().Format(time.DateOnly))
	}
	j := verify.Job{Domain: d, Code: verify.Code{Value: codegen.Value(rec.Code), ExpiresAt: rec.ExpiresAt, Subdomains: rec.Subdomains}}
	if src.stored {
		if st, err := f.openStore(ctx); err == nil {
			if last, ok, err := st.LastVerified(ctx, d); err == nil && ok {
				j.Code.LastVerified = last.At
			}
		}
	}
	return j, nil
}

// jobs streams the jobs of every source, each domain once. The domains
// seen are kept to drop duplicates: a few dozen bytes a domain, not a
// result. ctx bounds the reads of the state.
func (src *domainSource) jobs(ctx context.Context) iter.Seq[verify.Job] {
	return func(yield func(verify.Job) bool) {
		seen := map[string]bool{}
		stop := false
		give := func(d string) {
			if stop || seen[d] {
				return
			}
			seen[d] = true
			j, err := src.job(ctx, d)
			if err != nil {
				// Checked before the run for arguments and --file;
				// a store that fails now fails this one job.
				j = verify.Job{Domain: d, Err: err}
			}
			stop = !yield(j)
		}
		for _, d := range src.args {
			give(d)
		}
		if src.file != "" {
			_ = src.eachOfFile(func(e domain.Entry) error {
				give(e.Domain)
				return nil
			})
		}
		if src.stdin {
			for e := range domain.Entries(src.f.io.In) {
				if stop {
					return
				}
				if e.Err == nil && seen[e.Domain] {
					continue
				}
				src.mu.Lock()
				src.lines++
				src.mu.Unlock()
				var j verify.Job
				var err error
				if e.Err != nil {
					err = fmt.Errorf("stdin %w", e.Err)
					// The line as read, escaped: it goes to the terminal.
					j = verify.Job{Domain: safe(cmp.Or(e.Text, fmt.Sprintf("stdin line %d", e.Line))), Err: err}
				} else {
					seen[e.Domain] = true
					if j, err = src.job(ctx, e.Domain); err != nil {
						err = fmt.Errorf("stdin line %d: %w", e.Line, err)
						j = verify.Job{Domain: e.Domain, Err: err}
					}
				}
				if err != nil {
					src.bad(err)
				}
				stop = !yield(j)
			}
		}
		if src.stored {
			_ = src.eachStored(ctx, func(c store.Code) error {
				give(c.Domain)
				return nil
			})
		}
	}
}

// bad notes a bad line of stdin; the first one is the run's usage error.
func (src *domainSource) bad(err error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.badLine == nil {
		src.badLine = err
	}
}

// inputErr is the usage error of a run whose stdin held bad lines, or
// none at all (an empty list given as "-" is as much a mistake as an
// empty --file, and a pipeline whose first command failed must not pass).
func (src *domainSource) inputErr() error {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.stdin && src.lines == 0 {
		return usageErrorf("give one domain per line, e.g. cat domains.txt | orgctl verify dns -", "no domains given (stdin held none)")
	}
	if src.badLine == nil {
		return nil
	}
	return usageError(fmt.Errorf("reading domains from stdin: %w", src.badLine), "one domain per line; # starts a comment; the other lines were checked")
}

// runSummary counts a run's results for the summary line on stderr.
type runSummary struct {
	start    time.Time
	n        int
	status   map[verify.Status]int
	findings map[string]int
}

func newRunSummary() *runSummary {
	return &runSummary{start: time.Now(), status: map[verify.Status]int{}, findings: map[string]int{}}
}

func (s *runSummary) add(r *verify.Result) {
	s.n++
	s.status[r.Status]++
	for _, x := range methodResults(r) {
		for _, f := range x.Findings {
			if f.Severity != verify.SeverityInfo {
				s.findings[f.Code]++
			}
		}
	}
}

// text is the summary: counts by status and by finding code (warnings
// and errors), duration, rate, DNS queries sent (-1: not counted) and
// how many of them timed out (and were retried).
// err maps the results to the exit status: any error → 1, else any not
// verified → 3.
func (s *runSummary) err() error {
	switch {
	case s.status[verify.StatusError] > 0:
		return errIndeterminate
	case s.n > s.status[verify.StatusVerified]:
		return errNotVerified
	}
	return nil
}

func (s *runSummary) text(queries, timeouts int64) string {
	d := time.Since(s.start)
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(s.status)) {
		parts = append(parts, fmt.Sprintf("%s %d", st, s.status[st]))
	}
	line := fmt.Sprintf("%d domains in %s (%.0f/s): %s", s.n, d.Round(time.Millisecond), float64(s.n)/max(d.Seconds(), 1e-3), strings.Join(parts, ", "))
	if queries >= 0 {
		line += fmt.Sprintf("; %d DNS queries, %d timed out", queries, timeouts)
	}
	if len(s.findings) > 0 {
		var fs []string
		for _, c := range slices.Sorted(maps.Keys(s.findings)) {
			fs = append(fs, fmt.Sprintf("%s %d", c, s.findings[c]))
		}
		line += "\nfindings: " + strings.Join(fs, ", ")
	}
	return line
}
