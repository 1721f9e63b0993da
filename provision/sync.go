package provision

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/orgctl/orgctl/scim"
)

// Options are the options of one cycle, as `orgctl scim sync` takes them.
type Options struct {
	// Delete, Attributes: see PlanOptions.
	Delete     bool
	Attributes []string
	// DryRun plans and returns the plan without writing anything (the
	// server is read as for a real cycle).
	DryRun bool
	// Force skips the connection test that a quarantined target must pass
	// before its next cycle.
	Force bool
	// Concurrency, MaxDeletes, Log, Progress, Pacer: see ApplyOptions.
	Concurrency int
	MaxDeletes  int
	Log         io.Writer
	Progress    Progress
	Pacer       *Pacer
}

// Sync runs one provisioning cycle against the target of st: it lifts a
// quarantine when the connection test passes (or with Force), reads what
// it needs from the server (Fetch), plans (NewPlan) and, unless DryRun,
// applies the plan (Apply). The plan is returned whenever it was made,
// also with a *ThresholdError.
func Sync(ctx context.Context, c *scim.Client, st *State, desired *Desired, opts Options) (*Plan, *Summary, error) {
	var before PacerStats
	if opts.Pacer != nil {
		before = opts.Pacer.Stats()
	}
	if q := st.Quarantined(); q != nil {
		if !opts.Force {
			if _, err := c.Test(ctx); err != nil {
				return nil, nil, &QuarantineError{Reason: q.Reason + "; the connection test still fails: " + err.Error() + " (fix the target, or pass --force)", Err: err}
			}
		}
		if !opts.DryRun {
			if err := st.SetQuarantine(nil); err != nil {
				return nil, nil, err
			}
		}
	}
	snap, err := Fetch(ctx, c, desired, st, FetchOptions{Concurrency: opts.Concurrency, Delete: opts.Delete})
	if err != nil {
		if errors.Is(err, scim.ErrUnauthorized) && !opts.DryRun {
			q := &QuarantineError{Reason: "the target refuses the token: " + err.Error(), Err: err}
			return nil, nil, errors.Join(q, st.SetQuarantine(&Quarantine{Reason: q.Reason, Since: time.Now().UTC()}))
		}
		return nil, nil, err
	}
	plan := NewPlan(desired, st, snap, PlanOptions{Delete: opts.Delete, Attributes: opts.Attributes})
	if err := plan.CheckThreshold(opts.MaxDeletes); err != nil || opts.DryRun {
		return plan, nil, err
	}
	sum, err := Apply(ctx, c, st, plan, ApplyOptions{
		Concurrency: opts.Concurrency, MaxDeletes: opts.MaxDeletes, Log: opts.Log, Progress: opts.Progress, Pacer: opts.Pacer,
	})
	if sum != nil && opts.Pacer != nil {
		// Count the reads of Fetch too.
		after := opts.Pacer.Stats()
		sum.Requests, sum.Writes, sum.Retries = after.Requests-before.Requests, after.Writes-before.Writes, after.Failures-before.Failures
	}
	return plan, sum, err
}
