package provision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orgctl/orgctl/scim"
)

// Statuses of an action's outcome, in the provisioning log.
const (
	StatusCreated     = "created"
	StatusAdopted     = "adopted" // a create found the object at the server (409, or an earlier attempt that got through)
	StatusUpdated     = "updated"
	StatusRematched   = "rematched" // the stored id was gone (404); found again by userName or externalId/displayName
	StatusDeactivated = "deactivated"
	StatusDeleted     = "deleted"
	StatusEmptied     = "emptied"
	StatusGone        = "gone" // already gone from the server
	StatusFailed      = "failed"
	StatusSkipped     = "skipped"
)

// Quarantine thresholds (DESIGN.md §5): more than 40 % of at least 20
// writes failed.
const (
	quarantineMinWrites = 20
	quarantineShare     = 0.4
)

// Progress is told about a cycle's progress, for a progress bar. Step is
// called once per action, from several goroutines one at a time.
type Progress interface {
	Start(total int)
	Step(action, status string)
}

// ApplyOptions say how to carry out a plan.
type ApplyOptions struct {
	// Concurrency bounds the actions in flight (0: DefaultConcurrency).
	Concurrency int
	// MaxDeletes is the deletion threshold (0: DefaultMaxDeletes;
	// negative: none).
	MaxDeletes int
	// Log receives the provisioning log, one JSON object a line; nil
	// writes none.
	Log io.Writer
	// Progress, when set, is told about each action.
	Progress Progress
	// Pacer is the pacer whose Transport the client uses, for the request
	// counts of the summary; nil leaves them zero.
	Pacer *Pacer
}

// Summary is what a cycle did.
type Summary struct {
	CycleID       string        `json:"cycle_id"`
	Target        string        `json:"target"`
	Created       int           `json:"created"`
	Updated       int           `json:"updated"`
	Deactivated   int           `json:"deactivated"`
	Deleted       int           `json:"deleted"`
	GroupsCreated int           `json:"groups_created"`
	GroupsUpdated int           `json:"groups_updated"`
	GroupsEmptied int           `json:"groups_emptied"`
	GroupsDeleted int           `json:"groups_deleted"`
	MemberAdds    int           `json:"member_adds"`
	MemberRemoves int           `json:"member_removes"`
	Unchanged     int           `json:"unchanged"`
	Skipped       int           `json:"skipped"`
	SkippedUsers  []Skip        `json:"skipped_users"`
	Failed        int           `json:"failed"`
	Failures      []Failure     `json:"failures,omitempty"`
	NotRun        int           `json:"not_run"`
	Requests      int           `json:"requests"`
	Writes        int           `json:"writes"`
	Retries       int           `json:"retries"`
	Duration      time.Duration `json:"-"`
	DurationMS    int64         `json:"duration_ms"`
}

// Failure is an action that failed twice: in its turn and at the end of
// the cycle.
type Failure struct {
	Action   string `json:"action"`
	Identity string `json:"identity"`
	Error    string `json:"error"`
}

// QuarantineError stops a cycle when most requests fail: authentication
// failures, or more than 40 % of at least 20 writes. The reason is kept in
// the state; the next run tests the connection first.
type QuarantineError struct {
	Reason string
	Err    error // the last failure
}

func (e *QuarantineError) Error() string {
	return "the sync of this target is quarantined: " + e.Reason
}

func (e *QuarantineError) Unwrap() error { return e.Err }

// executor carries out one plan.
type executor struct {
	c       *scim.Client
	st      *State
	plan    *Plan
	opts    ApplyOptions
	managed managedSet
	log     *logWriter
	cycle   string
	stop    context.CancelCauseFunc
	start   time.Time
	before  PacerStats
	rec     *Cycle
	// retry holds the actions that failed in their turn, by phase; total
	// counts the actions run.
	retry [3][]*Action
	total int

	mu        sync.Mutex // guards what follows
	sum       *Summary
	attempted int // write actions attempted, for the quarantine rule
	failed    int
}

// Apply carries out plan: creates and updates of users first, then
// groups and their members (which need the users' ids), then
// deactivations and deletions. Up to Concurrency actions run at once;
// every outcome is recorded in st and the log. Actions that fail are
// retried once more at the end of the cycle before they count as failed.
//
// It returns a *ThresholdError, before any write, when the plan's
// deletions exceed MaxDeletes, and a *QuarantineError when most writes
// fail (the quarantine is then kept in st). The summary is returned with
// any error that comes after the first write.
func Apply(ctx context.Context, c *scim.Client, st *State, plan *Plan, opts ApplyOptions) (*Summary, error) {
	if err := plan.CheckThreshold(opts.MaxDeletes); err != nil {
		return nil, err
	}
	x, err := begin(c, st, plan, opts, len(plan.Actions))
	if err != nil {
		return nil, err
	}
	ctx, x.stop = context.WithCancelCause(ctx)
	defer x.stop(nil)
	if err := x.apply(ctx, plan.Actions, plan.records); err != nil {
		return nil, err
	}
	return x.finish(ctx)
}

// begin starts a cycle: its record, the skips in the log, the progress
// bar for total actions.
func begin(c *scim.Client, st *State, plan *Plan, opts ApplyOptions, total int) (*executor, error) {
	start := time.Now()
	x := &executor{c: c, st: st, plan: plan, opts: opts, managed: plan.managed, log: newLogWriter(opts.Log), cycle: newCycleID(start),
		start: start, sum: &Summary{Target: plan.Target, Skipped: len(plan.Skipped), SkippedUsers: plan.Skipped}}
	if opts.Pacer != nil {
		x.before = opts.Pacer.Stats()
	}
	x.sum.CycleID = x.cycle
	if x.sum.SkippedUsers == nil {
		x.sum.SkippedUsers = []Skip{}
	}
	x.rec = &Cycle{ID: x.cycle, Start: start}
	if err := st.putCycle(x.rec); err != nil {
		return nil, err
	}
	for _, s := range plan.Skipped {
		x.log.write(logEntry{CycleID: x.cycle, Action: "skip", Identity: s.UserName, Status: StatusSkipped, Reason: s.Reason, Error: s.Detail})
	}
	if opts.Progress != nil {
		opts.Progress.Start(total)
	}
	return x, nil
}

// apply records the state updates that need no request, then runs the
// actions: users, then groups, then departures; those that fail are kept
// for the end of the cycle.
func (x *executor) apply(ctx context.Context, actions []*Action, records []record) error {
	for _, r := range records {
		if err := x.record(r); err != nil {
			return err
		}
	}
	var phases [3][]*Action
	for _, a := range actions {
		phases[phase(a.Op)] = append(phases[phase(a.Op)], a)
	}
	for i, ph := range phases {
		x.total += len(ph)
		x.retry[i] = append(x.retry[i], x.runAll(ctx, ph, false)...)
	}
	return nil
}

// finish retries what failed, then sums the cycle up and records it.
func (x *executor) finish(ctx context.Context) (*Summary, error) {
	for _, ph := range x.retry {
		x.runAll(ctx, ph, true)
	}
	st, opts := x.st, x.opts
	x.sum.Unchanged = x.plan.Counts.Unchanged
	err := context.Cause(ctx)
	var q *QuarantineError
	if errors.As(err, &q) {
		if qerr := st.SetQuarantine(&Quarantine{Reason: q.Reason, Since: time.Now().UTC(), CycleID: x.cycle}); qerr != nil {
			err = errors.Join(err, qerr)
		}
	} else if err != nil {
		err = fmt.Errorf("the sync stopped before it finished (%d of %d changes not made; run it again to finish): %w", x.sum.NotRun, x.total, err)
	}
	if err == nil && x.sum.Failed > 0 {
		f := x.sum.Failures[0]
		err = fmt.Errorf("%d of %d changes failed (run again to retry them); the first, %s %s: %s", x.sum.Failed, x.total, f.Action, f.Identity, f.Error)
	}
	x.sum.Duration = time.Since(x.start)
	x.sum.DurationMS = x.sum.Duration.Milliseconds()
	if opts.Pacer != nil {
		after := opts.Pacer.Stats()
		x.sum.Requests, x.sum.Writes, x.sum.Retries = after.Requests-x.before.Requests, after.Writes-x.before.Writes, after.Failures-x.before.Failures
	}
	if ferr := st.Flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	cycle := x.rec
	cycle.End, cycle.Summary = time.Now(), x.sum
	if err != nil {
		cycle.Error = err.Error()
	}
	if q != nil {
		cycle.Quarantine = q.Reason
	}
	if cerr := st.putCycle(cycle); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if lerr := x.log.err; lerr != nil {
		err = errors.Join(err, fmt.Errorf("writing the provisioning log: %w", lerr))
	}
	return x.sum, err
}

// phase orders actions: users, then groups, then departures.
func phase(op string) int {
	switch op {
	case ActionCreateUser, ActionUpdateUser:
		return 0
	case ActionCreateGroup, ActionUpdateGroup:
		return 1
	}
	return 2
}

// newCycleID returns a sortable, unique cycle id.
func newCycleID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// runAll runs actions with bounded concurrency and returns those that
// failed. final is the end-of-cycle retry: failures then count.
func (x *executor) runAll(ctx context.Context, actions []*Action, final bool) []*Action {
	var g errgroup.Group
	g.SetLimit(positiveOr(x.opts.Concurrency, DefaultConcurrency))
	var mu sync.Mutex
	var failed []*Action
	for i, a := range actions {
		if ctx.Err() != nil {
			x.mu.Lock()
			x.sum.NotRun += len(actions) - i
			x.mu.Unlock()
			break
		}
		g.Go(func() error {
			status, err := x.run(ctx, a, final)
			if x.done(ctx, a, status, err, final) {
				mu.Lock()
				failed = append(failed, a)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return failed
}

// done books an action's outcome and reports whether it is to be retried.
func (x *executor) done(ctx context.Context, a *Action, status string, err error, final bool) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil && ctx.Err() != nil {
		x.sum.NotRun++ // cut short by the stop, not by the server
		return false
	}
	x.attempted++
	if err != nil {
		x.failed++
		switch {
		case errors.Is(err, scim.ErrUnauthorized):
			x.stop(&QuarantineError{Reason: "the target refuses the token: " + err.Error(), Err: err})
		case x.attempted >= quarantineMinWrites && float64(x.failed) > quarantineShare*float64(x.attempted):
			x.stop(&QuarantineError{Reason: fmt.Sprintf("%d of %d writes failed; the last: %v", x.failed, x.attempted, err), Err: err})
		}
		if !final {
			return true
		}
		x.sum.Failed++
		x.sum.Failures = append(x.sum.Failures, Failure{a.Op, a.Identity, err.Error()})
		status = StatusFailed
	} else {
		x.count(a, status)
	}
	e := logEntry{CycleID: x.cycle, Action: a.Op, Identity: a.Identity, TargetID: a.TargetID, Status: status, Changes: a.Changes}
	if err != nil {
		e.Error = err.Error()
	}
	x.log.write(e)
	if x.opts.Progress != nil {
		x.opts.Progress.Step(a.Op, status)
	}
	return false
}

// count adds a successful action to the summary. The caller holds x.mu.
func (x *executor) count(a *Action, status string) {
	s := x.sum
	if status == StatusGone {
		return
	}
	switch a.Op {
	case ActionCreateUser:
		s.Created++
	case ActionUpdateUser:
		s.Updated++
	case ActionDeactivateUser:
		s.Deactivated++
	case ActionDeleteUser:
		s.Deleted++
	case ActionCreateGroup:
		s.GroupsCreated++
	case ActionUpdateGroup:
		s.GroupsUpdated++
	case ActionEmptyGroup:
		s.GroupsEmptied++
	case ActionDeleteGroup:
		s.GroupsDeleted++
	}
}

// run carries out one action. retry is true at the end of the cycle:
// group members are then read again rather than taken from the plan.
func (x *executor) run(ctx context.Context, a *Action, retry bool) (string, error) {
	switch a.Op {
	case ActionCreateUser:
		return x.createUser(ctx, a)
	case ActionUpdateUser:
		if _, err := x.c.PatchUser(ctx, a.TargetID, a.ops); errors.Is(err, scim.ErrNotFound) {
			return x.rematchUser(ctx, a)
		} else if err != nil {
			return "", err
		}
		return StatusUpdated, x.st.putUser(a.Identity, &UserRecord{UserName: a.Identity, ID: a.TargetID, Hash: a.hash, Inactive: inactive(a.user)})
	case ActionDeactivateUser:
		return x.deactivate(ctx, a)
	case ActionDeleteUser:
		if err := x.c.DeleteUser(ctx, a.TargetID); err != nil && !errors.Is(err, scim.ErrNotFound) {
			return "", err
		}
		return StatusDeleted, x.st.putUser(a.Identity, nil)
	case ActionCreateGroup:
		return x.createGroup(ctx, a)
	case ActionUpdateGroup:
		return x.updateGroup(ctx, a, retry)
	case ActionEmptyGroup:
		return x.emptyGroup(ctx, a, retry)
	case ActionDeleteGroup:
		if err := x.c.DeleteGroup(ctx, a.TargetID); err != nil && !errors.Is(err, scim.ErrNotFound) {
			return "", err
		}
		return StatusDeleted, x.st.putGroup(a.key, nil)
	}
	return "", fmt.Errorf("unknown action %q", a.Op)
}

// createUser creates the user, or adopts and patches the one the server
// already has. Of a created user only the id is read from the answer:
// the state keeps the hash of what was sent.
func (x *executor) createUser(ctx context.Context, a *Action) (string, error) {
	u, sent, adopted, err := x.c.CreateUserLean(ctx, a.user)
	if err != nil {
		return "", err
	}
	hash := a.hash
	if hash == "" { // planned without a look at the state: hash what was sent
		hash = bodyHash(sent)
	}
	a.TargetID = u.ID
	status := StatusCreated
	if adopted {
		status = StatusAdopted
		if err := x.patchTo(ctx, a, u); err != nil {
			return "", err
		}
	}
	return status, x.st.putUser(a.Identity, &UserRecord{UserName: a.Identity, ID: u.ID, Hash: hash, Inactive: inactive(a.user)})
}

// patchTo sends what turns have into the desired user.
func (x *executor) patchTo(ctx context.Context, a *Action, have *scim.User) error {
	ops := scim.DiffUser(have, x.managed.merge(have, a.user))
	if len(ops) == 0 {
		return nil
	}
	a.Changes = paths(ops)
	_, err := x.c.PatchUser(ctx, have.ID, ops)
	return err
}

// rematchUser handles a 404 on update: the stored id is gone; find the
// user by userName, or create it.
func (x *executor) rematchUser(ctx context.Context, a *Action) (string, error) {
	have, err := findUser(ctx, x.c, "", a.Identity)
	if err != nil {
		return "", err
	}
	if have == nil {
		return x.createUser(ctx, a)
	}
	a.TargetID = have.ID
	if err := x.patchTo(ctx, a, have); err != nil {
		return "", err
	}
	return StatusRematched, x.st.putUser(a.Identity, &UserRecord{UserName: a.Identity, ID: have.ID, Hash: a.hash, Inactive: inactive(a.user)})
}

var deactivateOps = []scim.PatchOp{{Op: scim.OpReplace, Path: "active", Value: false}}

// deactivate sets active=false and touches nothing else.
func (x *executor) deactivate(ctx context.Context, a *Action) (string, error) {
	_, err := x.c.PatchUser(ctx, a.TargetID, deactivateOps)
	if errors.Is(err, scim.ErrNotFound) {
		have, ferr := findUser(ctx, x.c, "", a.Identity)
		if ferr != nil {
			return "", ferr
		}
		if have == nil {
			return StatusGone, x.st.putUser(a.Identity, nil)
		}
		a.TargetID = have.ID
		_, err = x.c.PatchUser(ctx, have.ID, deactivateOps)
	}
	if err != nil {
		return "", err
	}
	return StatusDeactivated, x.st.putUser(a.Identity, &UserRecord{UserName: a.Identity, ID: a.TargetID, Inactive: true})
}

// createGroup records the intent, creates the group empty (or adopts the
// one the server has) and adds the members. A group's displayName need not
// be unique at the server, so a POST is never sent twice blindly: when an
// earlier try (this cycle's, or a crashed run's) recorded the group's id,
// the group is updated instead, and when it recorded only the intent, the
// group is looked up first.
func (x *executor) createGroup(ctx context.Context, a *Action) (string, error) {
	dg := a.group
	var g *scim.Group
	adopted := false
	switch rec := x.st.groupByKey(a.key); {
	case rec != nil && rec.ID != "":
		a.TargetID = rec.ID
		return x.updateGroup(ctx, a, true)
	case rec != nil && rec.Pending:
		found, err := lookupGroup(ctx, x.c, dg.ExternalID, dg.DisplayName)
		if err != nil {
			return "", err
		}
		g, adopted = found, found != nil
	}
	if g == nil {
		if err := x.st.putGroup(a.key, &GroupRecord{DisplayName: dg.DisplayName, ExternalID: dg.ExternalID, Pending: true}); err != nil {
			return "", err
		}
		var err error
		if g, adopted, err = x.c.CreateGroup(ctx, &scim.Group{DisplayName: dg.DisplayName, ExternalID: dg.ExternalID}); err != nil {
			return "", err
		}
	}
	a.TargetID = g.ID
	if err := x.st.putGroup(a.key, &GroupRecord{DisplayName: dg.DisplayName, ExternalID: dg.ExternalID, ID: g.ID}); err != nil {
		return "", err
	}
	if !adopted {
		return StatusCreated, x.syncMembers(ctx, a, []string{})
	}
	if err := x.readGroup(ctx, a); err != nil {
		return "", err
	}
	if err := x.c.PatchGroup(ctx, a.TargetID, a.ops); err != nil {
		return "", err
	}
	return StatusAdopted, x.syncMembers(ctx, a, a.members)
}

// readGroup reads the group a.TargetID: its members into a.members and
// the operations its displayName and externalId need into a.ops.
func (x *executor) readGroup(ctx context.Context, a *Action) error {
	g, err := x.c.GetGroup(ctx, a.TargetID)
	if err != nil {
		return err
	}
	a.members, a.ops = memberIDs(g), groupOps(g, a.group)
	a.Changes = paths(a.ops)
	return nil
}

// updateGroup renames the group if need be and changes its members.
func (x *executor) updateGroup(ctx context.Context, a *Action, retry bool) (string, error) {
	status := StatusUpdated
	if retry || a.members == nil {
		err := x.readGroup(ctx, a)
		if errors.Is(err, scim.ErrNotFound) {
			return x.rematchGroup(ctx, a)
		}
		if err != nil {
			return "", err
		}
	}
	err := x.c.PatchGroup(ctx, a.TargetID, a.ops)
	if errors.Is(err, scim.ErrNotFound) {
		return x.rematchGroup(ctx, a)
	}
	if err != nil {
		return "", err
	}
	return status, x.syncMembers(ctx, a, a.members)
}

// rematchGroup handles a 404: the stored id is gone; find the group by
// externalId or displayName, or create it.
func (x *executor) rematchGroup(ctx context.Context, a *Action) (string, error) {
	g, err := lookupGroup(ctx, x.c, a.group.ExternalID, a.group.DisplayName)
	if err != nil {
		return "", err
	}
	if g == nil {
		return x.createGroup(ctx, a)
	}
	a.TargetID = g.ID
	if err := x.readGroup(ctx, a); err != nil {
		return "", err
	}
	if err := x.c.PatchGroup(ctx, a.TargetID, a.ops); err != nil {
		return "", err
	}
	return StatusRematched, x.syncMembers(ctx, a, a.members)
}

// lookupGroup finds a group by externalId, else displayName; nil when
// there is none. (scim has the same lookup unexported, for CreateGroup.)
func lookupGroup(ctx context.Context, c *scim.Client, externalID, displayName string) (*scim.Group, error) {
	if externalID != "" {
		gs, err := c.ListGroups(ctx, scim.ListOptions{Filter: scim.Eq("externalId", externalID), ExcludedAttributes: []string{"members"}})
		if err != nil {
			return nil, err
		}
		if g := matchGroup(gs, "", externalID, "\x00"); g != nil {
			return g, nil
		}
	}
	g, err := c.FindGroup(ctx, displayName)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, nil
	}
	return g, err
}

// syncMembers adds the desired members the server does not list and
// removes the managed members it should not hold, then records the group.
func (x *executor) syncMembers(ctx context.Context, a *Action, server []string) error {
	dg := a.group
	ids := make([]string, len(dg.Members))
	var missing []string
	for i, m := range dg.Members {
		if r := x.st.User(m); r != nil && r.ID != "" {
			ids[i] = r.ID
		} else {
			missing = append(missing, m)
		}
	}
	rec := x.st.Group(dg.ExternalID, dg.DisplayName)
	adds, removes := memberDiff(server, ids, x.plan.managedMember(rec))
	var addIDs []string
	for _, i := range adds {
		if ids[i] != "" {
			addIDs = append(addIDs, ids[i])
		}
	}
	// The client reads the members again right before each change and
	// sends only real ones: a PATCH whose answer was lost and is retried
	// never lists a member twice.
	added, err := x.c.AddMembers(ctx, a.TargetID, addIDs...)
	if err != nil {
		return err
	}
	removed, err := x.c.RemoveMembers(ctx, a.TargetID, removes...)
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.sum.MemberAdds += len(added.Added)
	x.sum.MemberRemoves += len(removed.Removed)
	x.mu.Unlock()
	r := &GroupRecord{DisplayName: dg.DisplayName, ExternalID: dg.ExternalID, ID: a.TargetID}
	r.setMembers(sortedSet(ids))
	if len(missing) == 0 {
		r.Hash = a.hash
	}
	if err := x.st.putGroup(a.key, r); err != nil {
		return err
	}
	if a.oldKey != "" {
		if err := x.st.putGroup(a.oldKey, nil); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("group %s: %d members have no id at the target (their create failed), e.g. %s", dg.DisplayName, len(missing), missing[0])
	}
	return nil
}

// emptyGroup removes the managed members of a group that left the source.
func (x *executor) emptyGroup(ctx context.Context, a *Action, retry bool) (string, error) {
	removes := a.removes
	if retry {
		g, err := x.c.GetGroup(ctx, a.TargetID)
		if errors.Is(err, scim.ErrNotFound) {
			return StatusGone, x.st.putGroup(a.key, nil)
		}
		if err != nil {
			return "", err
		}
		_, removes = memberDiff(memberIDs(g), nil, x.plan.managedMember(x.st.groupByKey(a.key)))
	}
	_, err := x.c.RemoveMembers(ctx, a.TargetID, removes...)
	if errors.Is(err, scim.ErrNotFound) {
		return StatusGone, x.st.putGroup(a.key, nil)
	}
	if err != nil {
		return "", err
	}
	x.mu.Lock()
	x.sum.MemberRemoves += len(removes)
	x.mu.Unlock()
	rec := x.st.groupByKey(a.key)
	if rec == nil {
		rec = &GroupRecord{DisplayName: a.Identity, ID: a.TargetID}
	}
	rec.setMembers(nil)
	rec.Hash = ""
	return StatusEmptied, x.st.putGroup(a.key, rec)
}

// record applies a state update that needs no request.
func (x *executor) record(r record) error {
	if r.user != nil {
		return x.st.putUser(r.user.UserName, r.user)
	}
	if r.group != nil {
		if err := x.st.putGroup(r.groupKey, r.group); err != nil {
			return err
		}
	}
	if r.forget != "" {
		return x.st.putGroup(r.forget, nil)
	}
	return nil
}
