package provision

import (
	"context"
	"errors"
	"io"
	"slices"
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
	if desired.stream != nil {
		plan, sum, err := syncStream(ctx, c, st, desired, opts)
		if err != nil && sum == nil && errors.Is(err, scim.ErrUnauthorized) && !opts.DryRun {
			q := &QuarantineError{Reason: "the target refuses the token: " + err.Error(), Err: err}
			return nil, nil, errors.Join(q, st.SetQuarantine(&Quarantine{Reason: q.Reason, Since: time.Now().UTC()}))
		}
		return plan, sum, err
	}
	snap, err := Fetch(ctx, c, desired, st, FetchOptions{Concurrency: opts.Concurrency, Delete: opts.Delete})
	if err != nil {
		if errors.Is(err, scim.ErrUnauthorized) && !opts.DryRun {
			q := &QuarantineError{Reason: "the target refuses the token: " + err.Error(), Err: err}
			return nil, nil, errors.Join(q, st.SetQuarantine(&Quarantine{Reason: q.Reason, Since: time.Now().UTC()}))
		}
		return nil, nil, err
	}
	plan, err := NewPlan(desired, st, snap, PlanOptions{Delete: opts.Delete, Attributes: opts.Attributes})
	if err != nil {
		return nil, nil, err
	}
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

// batchUsers is the number of users a streamed cycle reads, plans and
// applies at a time: enough to keep every worker busy, few enough that a
// batch's users, their server copies and actions stay a few megabytes.
const batchUsers = 1000

// syncStream is Sync for a Desired built by BuildStream: the users are
// read, fetched, planned and applied a batch at a time, so that memory
// does not grow with the source; groups and departures follow. The
// departures are known before the first batch (from the state and the
// source's userNames), so the deletion threshold still stops the cycle
// before any write. The plan returned holds the counts of the whole
// cycle, and its actions only for a dry run or a threshold stop.
func syncStream(ctx context.Context, c *scim.Client, st *State, d *Desired, opts Options) (*Plan, *Summary, error) {
	var before PacerStats
	if opts.Pacer != nil {
		before = opts.Pacer.Stats()
	}
	popts := PlanOptions{Delete: opts.Delete, Attributes: opts.Attributes}
	fopts := FetchOptions{Concurrency: opts.Concurrency, Delete: opts.Delete}
	p, err := newPlan(d, st, &Snapshot{}, popts)
	if err != nil {
		return nil, nil, err
	}
	leaving := p.leaving
	deletions := len(leaving)
	if opts.Delete {
		for k, r := range p.groups {
			if !p.claimed[k] && r.ID != "" {
				deletions++
			}
		}
	}
	list := &userList{}
	if over := (&Plan{Counts: Counts{Deletions: deletions}}).CheckThreshold(opts.MaxDeletes); over != nil || opts.DryRun {
		// The whole plan, to print; nothing is written.
		err := d.eachBatch(func(batch []*DesiredUser) error {
			return p.users(ctx, c, batch, list, fopts)
		})
		if err == nil {
			p.addLeaving()
			var cache []*scim.Group
			err = d.eachGroups(func(gs []*DesiredGroup) error { return p.groupsPlan(ctx, c, gs, false, &cache, fopts) },
				func(*DesiredGroup) bool { return false })
			if err == nil {
				err = p.groupsPlan(ctx, c, nil, true, &cache, fopts)
			}
		}
		if err != nil {
			return nil, nil, err
		}
		return p, nil, p.CheckThreshold(opts.MaxDeletes)
	}

	x, err := begin(c, st, p, ApplyOptions{Concurrency: opts.Concurrency, MaxDeletes: opts.MaxDeletes, Log: opts.Log, Progress: opts.Progress, Pacer: opts.Pacer},
		d.Len()+len(d.Groups)+len(leaving))
	if err != nil {
		return nil, nil, err
	}
	ctx, x.stop = context.WithCancelCause(ctx)
	defer x.stop(nil)
	p.leaving = nil
	err = d.eachBatch(func(batch []*DesiredUser) error {
		p.Actions, p.records = p.Actions[:0], nil
		if err := p.users(ctx, c, batch, list, fopts); err != nil {
			return err
		}
		return x.apply(ctx, p.Actions, p.records)
	})
	var cache []*scim.Group
	if err == nil {
		// The groups, with the ids of the users just created.
		err = d.eachGroups(func(gs []*DesiredGroup) error {
			p.Actions, p.records = p.Actions[:0], nil
			if err := p.groupsPlan(ctx, c, gs, false, &cache, fopts); err != nil {
				return err
			}
			return x.apply(ctx, p.Actions, p.records)
		}, func(g *DesiredGroup) bool {
			// A group to retry at the end of the cycle keeps its members.
			return slices.ContainsFunc(x.retry[1], func(a *Action) bool { return a.group == g })
		})
	}
	if err == nil {
		// The groups that left the source, then the users.
		p.Actions, p.records = p.Actions[:0], nil
		if err = p.groupsPlan(ctx, c, nil, true, &cache, fopts); err == nil {
			err = x.apply(ctx, append(p.Actions, leaving...), p.records)
			for _, a := range leaving {
				p.add(a)
			}
		}
	}
	p.Actions = nil
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// A step cut short by the stop (a quarantine, an interrupt): finish
		// reports the stop's cause, not this echo of it.
		err = nil
	}
	if err != nil && ctx.Err() == nil {
		if errors.Is(err, scim.ErrUnauthorized) {
			err = &QuarantineError{Reason: "the target refuses the token: " + err.Error(), Err: err}
		}
		x.stop(err)
	}
	sum, ferr := x.finish(ctx)
	if err != nil && !errors.Is(ferr, err) {
		ferr = errors.Join(err, ferr)
	}
	if opts.Pacer != nil {
		after := opts.Pacer.Stats()
		sum.Requests, sum.Writes, sum.Retries = after.Requests-before.Requests, after.Writes-before.Writes, after.Failures-before.Failures
	}
	return p, sum, ferr
}

// users fetches and plans a batch of users.
func (p *Plan) users(ctx context.Context, c *scim.Client, batch []*DesiredUser, list *userList, opts FetchOptions) error {
	rd, err := p.st.userReader()
	if err != nil {
		return err
	}
	defer rd.close()
	snap := newSnapshot()
	if err := fetchUsers(ctx, c, rd, batch, snap, list, opts); err != nil {
		return err
	}
	// Their userNames are not kept (Plan.names finds them in the state):
	// a cycle that looks up most users would keep them all.
	for _, u := range snap.Users {
		if u != nil {
			p.found[p.idHash(u.ID)] = struct{}{}
		}
	}
	return p.planUsers(rd, batch, snap)
}

// groupsAtOnce is the number of groups a streamed cycle fetches, plans and
// applies at a time: a group's members are read, diffed and sent whole,
// so a few large groups at once bound the memory.
const groupsAtOnce = 4

// groupsPlan fetches and plans groups; with left, those that left the
// source too. cache keeps the target's groups once listed.
func (p *Plan) groupsPlan(ctx context.Context, c *scim.Client, groups []*DesiredGroup, left bool, cache *[]*scim.Group, opts FetchOptions) error {
	rd, err := p.st.userReader()
	if err != nil {
		return err
	}
	defer rd.close()
	snap := newSnapshot()
	if *cache != nil {
		snap.Groups, snap.ListedGroups = slices.Clone(*cache), true
	}
	var claimed map[string]bool
	if left {
		claimed = p.claimed
	}
	if err := fetchGroups(ctx, c, rd, groups, claimed, p.st, snap, opts); err != nil {
		return err
	}
	if snap.ListedGroups && *cache == nil {
		*cache = snap.Groups
	}
	if err := p.planGroups(rd, groups, snap); err != nil {
		return err
	}
	if left {
		return p.planGroupsLeft(rd, snap)
	}
	return nil
}

// eachGroups calls fn with the groups of d, groupsAtOnce at a time, their
// Members filled in for the call. For a streamed Desired, they are
// dropped again after it unless keep says otherwise.
func (d *Desired) eachGroups(fn func([]*DesiredGroup) error, keep func(*DesiredGroup) bool) error {
	for from := 0; from < len(d.Groups); from += groupsAtOnce {
		chunk := d.Groups[from:min(from+groupsAtOnce, len(d.Groups))]
		for _, g := range chunk {
			d.fillMembers(g)
		}
		err := fn(chunk)
		for _, g := range chunk {
			if d.arena != nil && !keep(g) {
				g.Members = nil
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
