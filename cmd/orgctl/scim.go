package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/scim"
)

// scimOptions are the flags every `orgctl scim` command has.
type scimOptions struct {
	URL    string
	CAFile string
}

// TokenEnv is where the SCIM bearer token comes from, before the config
// file's scim.token. There is no flag: a token on the command line ends up
// in shell history and in ps.
const tokenEnv = "ORGCTL_SCIM_TOKEN"

func newSCIMCmd(f *factory) *cobra.Command {
	o := &scimOptions{}
	cmd := &cobra.Command{
		Use: "scim",
		Long: `Talk to the provider's SCIM 2.0 service (RFC 7643/7644).

The service is --url (ORGCTL_SCIM_URL, or scim.url in the config file), e.g.
https://provider.example/scim/v2; http:// is accepted for loopback only. The
bearer token comes from ORGCTL_SCIM_TOKEN, or scim.token in the config file, which
must then be readable by its owner only (chmod 600). The token is never printed,
logged or stored.

Requests are those strict servers accept: application/scim+json, lowercase PATCH
ops, one operation per attribute, JSON booleans, members removed by path. Failed
requests (429 with Retry-After, 5xx, timeouts, resets) are retried with backoff.`,
		Example: `  export ORGCTL_SCIM_URL=https://provider.example/scim/v2 ORGCTL_SCIM_TOKEN=…
  orgctl scim test
  orgctl scim users list -o json
  orgctl scim users update alice@main.com --department Research
  orgctl scim groups add-members Engineering alice@main.com bob@main.com`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.URL, "url", "", "base URL of the SCIM service, e.g. https://provider.example/scim/v2")
	pf.StringVar(&o.CAFile, "ca-file", "", "PEM file of CA certificates to trust as well as the system's (a private CA)")
	_ = pf.SetAnnotation("url", config.AnnotationKey, []string{"scim.url"})
	_ = pf.SetAnnotation("ca-file", config.AnnotationKey, []string{"scim.ca_file"})
	cmd.AddCommand(newSCIMTestCmd(f, o, nil), newSCIMUsersCmd(f, o), newSCIMGroupsCmd(f, o), newSCIMSyncCmd(f, o, nil))
	return cmd
}

// scimClient builds the client from the flags, the token and the config.
func (f *factory) scimClient(o *scimOptions) (*scim.Client, error) {
	return f.scimClientWith(o, nil)
}

// scimClientWith is scimClient with a say in the Config (tune) and
// client options: what a sync adds (connections per worker, a pacer).
func (f *factory) scimClientWith(o *scimOptions, tune func(*scim.Config), opts ...scim.Option) (*scim.Client, error) {
	if o.URL == "" {
		return nil, usageErrorf("give --url https://…/scim/v2, or set ORGCTL_SCIM_URL or scim.url in the config file", "no SCIM service URL")
	}
	tok, err := f.scimToken()
	if err != nil {
		return nil, err
	}
	cfg := scim.Config{URL: o.URL, Token: tok, CAFile: o.CAFile, UserAgent: "orgctl/" + version}
	if f.opts.Verbose {
		cfg.OnRequest = func(ri scim.RequestInfo) {
			f.traceMu.Lock()
			defer f.traceMu.Unlock()
			line := fmt.Sprintf("orgctl: trace: scim %s %s", ri.Method, ri.Path)
			if ri.Query != "" {
				line += "?" + ri.Query
			}
			if ri.Status > 0 {
				line += fmt.Sprintf(" → %d", ri.Status)
			}
			if ri.Err != nil && ri.Status == 0 {
				line += fmt.Sprintf(" → %v", ri.Err)
			}
			line += fmt.Sprintf(" (%s, attempt %d)", ri.Duration.Round(time.Millisecond), ri.Attempt)
			if ri.Retry {
				line += fmt.Sprintf("; retrying in %s", ri.Wait.Round(time.Millisecond))
			}
			fmt.Fprintln(f.io.ErrOut, line)
		}
	}
	if tune != nil {
		tune(&cfg)
	}
	if f.tuneSCIM != nil {
		f.tuneSCIM(&cfg)
	}
	c, err := scim.New(cfg, opts...)
	switch {
	case errors.Is(err, scim.ErrNoToken):
		return nil, &cliError{code: exitAuth, err: err, hint: "set " + tokenEnv + ", or scim.token in the config file (chmod 600)"}
	case err != nil:
		return nil, usageError(err, "")
	}
	return c, nil
}

// scimToken reads the token: ORGCTL_SCIM_TOKEN, else scim.token of a
// config file that only its owner can read. No token is the zero Token
// (scim.New then says so).
func (f *factory) scimToken() (scim.Token, error) {
	if t, ok := f.lookupEnv(tokenEnv); ok && t != "" {
		return scim.NewToken(t), nil
	}
	if f.viper == nil || !f.viper.InConfig("scim.token") {
		return scim.Token{}, nil
	}
	path := f.viper.ConfigFileUsed()
	fi, err := os.Stat(path)
	if err != nil {
		return scim.Token{}, usageError(fmt.Errorf("config file %s: %w", path, err), "")
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return scim.Token{}, usageErrorf("chmod 600 "+path+", or give the token in "+tokenEnv,
			"config file %s holds scim.token but others can read it (mode %04o); the token is not used", path, perm)
	}
	tok, err := config.FileString(f.viper, "scim.token")
	if err != nil {
		return scim.Token{}, usageError(err, `write it as a string: token: "…"`)
	}
	return scim.NewToken(tok), nil
}

// scimError gives SCIM errors their exit code: 4 for authentication, 2
// for an argument the service cannot take (empty, or a name several
// resources hold), 1 for the rest; the hint says what to do.
func scimError(err error) error {
	var se *scim.Error
	var amb *scim.AmbiguousError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, scim.ErrUnauthorized):
		return &cliError{code: exitAuth, err: err, hint: "check the token (" + tokenEnv + " or scim.token) and that it may manage users"}
	case errors.As(err, &amb):
		return usageError(err, "name the "+amb.Kind+" by its id: "+strings.Join(amb.Matches, " or "))
	case errors.Is(err, scim.ErrInvalid):
		return usageError(err, "name it by its id")
	case errors.As(err, &se) && se.Status == 0:
		return &cliError{code: exitFailure, err: err, hint: "check --url and that the service is reachable; retry later"}
	default:
		return err
	}
}

// scimRun is what every scim subcommand's options carry: how to reach the
// service, and the factory for the printer. Its run functions never touch
// cobra.
type scimRun struct {
	f    *factory
	conn *scimOptions
}

func (r scimRun) client() (*scim.Client, error) { return r.f.scimClient(r.conn) }
func (r scimRun) printer() *printer             { return r.f.printer() }

// connect returns a client and what find makes of ref (resolveUser,
// resolveGroup).
func connect[T any](ctx context.Context, r scimRun, ref string, find func(context.Context, *scim.Client, string) (T, error)) (*scim.Client, T, error) {
	var zero T
	c, err := r.client()
	if err != nil {
		return nil, zero, err
	}
	v, err := find(ctx, c, ref)
	if err != nil {
		return nil, zero, err
	}
	return c, v, nil
}

// runner returns runF when a test gave one, else run.
func runner[O any](runF, run func(context.Context, *O) error) func(context.Context, *O) error {
	if runF != nil {
		return runF
	}
	return run
}

// nonEmpty refuses an empty argument: in a script it is an unset
// variable, and a service would be asked for "" (or create a group
// without a name). names name args in order, the last one the rest.
func nonEmpty(cmd *cobra.Command, args []string, names ...string) error {
	for i, a := range args {
		if a == "" {
			what := names[min(i, len(names)-1)]
			hint := "is a shell variable unset? see '" + cmd.CommandPath() + " --help'"
			switch strings.TrimPrefix(what, "--member ") {
			case "USER":
				hint = "name the user by its id, userName or externalId ('orgctl scim users list' shows them)"
			case "GROUP":
				hint = "name the group by its id, displayName or externalId ('orgctl scim groups list' shows them)"
			}
			return usageErrorf(hint, "%s: empty %s argument", cmd.CommandPath(), what)
		}
	}
	return nil
}

// checkName refuses a userName or group displayName that no service
// should be given (scim.CheckName): empty or only white space, or holding
// a control character, which a shell variable or a pasted value brings
// in unseen. what names the flag or argument; the value is quoted with
// Go escapes, so that the bad character shows.
func checkName(what, v, hint string) error {
	if err := scim.CheckName(v); err != nil {
		return usageErrorf(hint, "%s %s: %v", what, strconv.Quote(v), err)
	}
	return nil
}

// Hints of checkName's errors.
const (
	userNameHint  = "a userName is the user's sign-in name, e.g. --user-name alice@main.com"
	groupNameHint = "a group's name is its displayName, e.g. Engineering"
)

// resolveUser finds USER (an id, userName or externalId), with a hint
// when there is none.
func resolveUser(ctx context.Context, c *scim.Client, ref string) (*scim.User, error) {
	u, err := c.ResolveUser(ctx, ref)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, &cliError{code: exitFailure, err: err, hint: "'orgctl scim users list' shows the users"}
	}
	return u, scimError(err)
}

// resolveGroup finds GROUP (an id, displayName or externalId), with a
// hint when there is none.
func resolveGroup(ctx context.Context, c *scim.Client, ref string) (*scim.Group, error) {
	g, err := c.ResolveGroup(ctx, ref)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, &cliError{code: exitFailure, err: err, hint: "'orgctl scim groups list' shows the groups"}
	}
	return g, scimError(err)
}

// scimTestOptions are the options of `scim test`.
type scimTestOptions struct{ scimRun }

func newSCIMTestCmd(f *factory, conn *scimOptions, runF func(context.Context, *scimTestOptions) error) *cobra.Command {
	opts := &scimTestOptions{scimRun{f, conn}}
	return &cobra.Command{
		Use:   "test",
		Short: "Test the connection, as Entra ID's Test Connection does, and show what the service supports",
		Long: `Test the connection the way Microsoft Entra ID's "Test Connection" does: ask
GET /Users?filter=userName eq "<random uuid>", which must answer 200 with an empty
list (404 is tolerated), after reading /ServiceProviderConfig, /ResourceTypes and
/Schemas. Exit 0 when the service is usable, 4 when it refuses the token.`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runner(runF, runSCIMTest)(cmd.Context(), opts)
		},
	}
}

func runSCIMTest(ctx context.Context, o *scimTestOptions) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	res, err := c.Test(ctx)
	if res != nil {
		if perr := printSCIMTest(o.printer(), res, err); perr != nil && err == nil {
			err = perr
		}
	}
	return scimError(err)
}

// scimTestView is the JSON of `scim test`.
type scimTestView struct {
	URL        string          `json:"url"`
	OK         bool            `json:"ok"`
	Error      string          `json:"error,omitempty"`
	Filter     string          `json:"filter"`
	Status     int             `json:"status,omitempty"`
	DurationMS int64           `json:"duration_ms"`
	Discovery  *scim.Discovery `json:"discovery,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
}

func printSCIMTest(p *printer, res *scim.TestResult, err error) error {
	v := scimTestView{URL: res.URL, OK: err == nil, Filter: res.Filter, Status: res.FilterStatus,
		DurationMS: res.Duration.Milliseconds(), Discovery: res.Discovery, Notes: res.Notes}
	if err != nil {
		v.Error = err.Error()
	}
	return p.Print(v, func(t *textOut) {
		w := t.W
		verdict := t.P.green("connection OK")
		if err != nil {
			verdict = t.P.red("connection failed")
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", t.P.bold(safe(res.URL)), verdict, res.Duration.Round(time.Millisecond))
		if res.Filter != "" {
			got := "no answer"
			switch res.FilterStatus {
			case 200:
				got = "200, empty list"
			case 404:
				got = "404 (tolerated)"
			case 0:
			default:
				got = strconv.Itoa(res.FilterStatus)
			}
			fmt.Fprintf(w, "  test:            GET /Users?filter=%s → %s\n", safe(res.Filter), got)
		}
		if d := res.Discovery; d != nil {
			fmt.Fprintf(w, "  PATCH:           %s\n", yesNo(d.Patch))
			bulk := "no"
			if d.Bulk.Supported {
				bulk = fmt.Sprintf("yes (max %d operations; not used)", d.Bulk.MaxOperations)
			}
			fmt.Fprintf(w, "  bulk:            %s\n", bulk)
			filter := yesNo(d.Filter.Supported)
			if d.Filter.MaxResults > 0 {
				filter += fmt.Sprintf(" (max %d results; pages of %d)", d.Filter.MaxResults, d.PageSize)
			}
			fmt.Fprintf(w, "  filter:          %s\n", filter)
			fmt.Fprintf(w, "  ETag:            %s\n", yesNo(d.ETag))
			if len(d.AuthenticationSchemes) > 0 {
				fmt.Fprintf(w, "  authentication:  %s\n", safe(strings.Join(d.AuthenticationSchemes, ", ")))
			}
			var rts []string
			for _, rt := range d.ResourceTypes {
				s := rt.Name + " (" + rt.Endpoint + ")"
				if len(rt.Extensions) > 0 {
					s += " + " + strings.Join(rt.Extensions, ", ")
				}
				rts = append(rts, safe(s))
			}
			if len(rts) > 0 {
				fmt.Fprintf(w, "  resource types:  %s\n", strings.Join(rts, "; "))
			}
		}
		for _, n := range res.Notes {
			fmt.Fprintf(w, "  note: %s\n", safe(n))
		}
		if d := res.Discovery; d != nil {
			for _, n := range d.Notes {
				fmt.Fprintf(w, "  note: %s\n", safe(n))
			}
		}
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// userAttrFlags are the attribute flags of `users create` and `users
// update`: flag name, the attribute it sets, and its help.
var userAttrFlags = []struct {
	name  string
	field func(*scim.User) *string
	usage string
}{
	{"user-name", func(u *scim.User) *string { return &u.UserName }, "userName, usually the e-mail address (alice@main.com)"},
	{"external-id", func(u *scim.User) *string { return &u.ExternalID }, "externalId: the user's id in your directory"},
	{"given-name", func(u *scim.User) *string { return &u.Name.GivenName }, "name.givenName"},
	{"family-name", func(u *scim.User) *string { return &u.Name.FamilyName }, "name.familyName"},
	{"email", nil, "the work e-mail address (emails[type eq \"work\"]); '' removes every address"},
	{"department", func(u *scim.User) *string { return &u.Enterprise.Department }, "enterprise extension: department"},
	{"employee-number", func(u *scim.User) *string { return &u.Enterprise.EmployeeNumber }, "enterprise extension: employeeNumber"},
	{"cost-center", func(u *scim.User) *string { return &u.Enterprise.CostCenter }, "enterprise extension: costCenter"},
	{"division", func(u *scim.User) *string { return &u.Enterprise.Division }, "enterprise extension: division"},
}

// userAttrs are the attributes given on the command line: only the flags
// given, each with its value (” to remove the attribute, on update).
type userAttrs struct {
	Values map[string]string // by flag name
	Active *bool
}

// addUserFlags registers the attribute flags; read collects them once
// parsed.
func addUserFlags(fs *flagSet) (read func() userAttrs) {
	vals := make([]string, len(userAttrFlags))
	for i, a := range userAttrFlags {
		fs.StringVar(&vals[i], a.name, "", a.usage)
	}
	active := fs.Bool("active", true, "active (--active=false for a disabled account)")
	return func() userAttrs {
		attrs := userAttrs{Values: map[string]string{}}
		for i, a := range userAttrFlags {
			if fs.Changed(a.name) {
				attrs.Values[a.name] = vals[i]
			}
		}
		if fs.Changed("active") {
			attrs.Active = active
		}
		return attrs
	}
}

// apply sets the given attributes in u; an empty value clears one (an
// empty --email removes every address).
func (a userAttrs) apply(u *scim.User) {
	for _, f := range userAttrFlags {
		v, ok := a.Values[f.name]
		switch {
		case !ok:
		case f.field != nil:
			*f.field(u) = v
		case v == "":
			u.Emails = []scim.Email{}
		default:
			u.Emails = []scim.Email{{Value: v, Type: "work", Primary: true}}
		}
	}
	if a.Active != nil {
		active := *a.Active
		u.Active = &active
	}
}

func newSCIMUsersCmd(f *factory, conn *scimOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "List, show, create, update, deactivate and delete users"}
	cmd.AddCommand(
		newSCIMUsersListCmd(f, conn, nil),
		newSCIMUserRefCmd(f, conn, "get", "Show a user, by id, userName or externalId", nil),
		newSCIMUsersCreateCmd(f, conn, nil),
		newSCIMUsersUpdateCmd(f, conn, nil),
		newSCIMUserRefCmd(f, conn, "deactivate", "Deactivate a user (active=false); the account stays", nil),
		newSCIMUserRefCmd(f, conn, "delete", "Delete a user for good (deactivate keeps the account)", nil),
	)
	return cmd
}

// usersListOptions are the options of `scim users list`.
type usersListOptions struct {
	scimRun
	Filter string
}

func newSCIMUsersListCmd(f *factory, conn *scimOptions, runF func(context.Context, *usersListOptions) error) *cobra.Command {
	opts := &usersListOptions{scimRun: scimRun{f, conn}}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users (every page)",
		Example: `  orgctl scim users list
  orgctl scim users list --filter 'userName sw "a"' -o jsonl`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runner(runF, runUsersList)(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Filter, "filter", "", "a SCIM filter, e.g. 'userName eq \"alice@main.com\"'")
	return cmd
}

func runUsersList(ctx context.Context, o *usersListOptions) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	users, err := c.ListUsers(ctx, scim.ListOptions{Filter: o.Filter})
	if err != nil {
		return scimError(err)
	}
	return printAll(o.printer(), users, func(t *textOut) {
		rows := make([][]string, 0, len(users))
		for _, u := range users {
			rows = append(rows, []string{u.ID, u.UserName, activeText(u.Active), strings.TrimSpace(u.Name.GivenName + " " + u.Name.FamilyName), u.ExternalID, u.Enterprise.Department})
		}
		_ = t.Table([]string{"ID", "USERNAME", "ACTIVE", "NAME", "EXTERNAL ID", "DEPARTMENT"}, rows)
	})
}

func activeText(a *bool) string {
	if a == nil {
		return ""
	}
	return strconv.FormatBool(*a)
}

// userRefOptions are the options of `scim users get`, `deactivate` and
// `delete`: the command's name and USER.
type userRefOptions struct {
	scimRun
	Action string // get, deactivate or delete
	User   string
}

func newSCIMUserRefCmd(f *factory, conn *scimOptions, action, short string, runF func(context.Context, *userRefOptions) error) *cobra.Command {
	opts := &userRefOptions{scimRun: scimRun{f, conn}, Action: action}
	return &cobra.Command{
		Use:   action + " USER",
		Short: short,
		Long:  short + ".\n\nUSER is a user's id, userName (in any case) or externalId, tried in that order.",
		Args:  exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nonEmpty(cmd, args, "USER"); err != nil {
				return err
			}
			opts.User = args[0]
			return runner(runF, runUserRef)(cmd.Context(), opts)
		},
	}
}

func runUserRef(ctx context.Context, o *userRefOptions) error {
	c, u, err := connect(ctx, o.scimRun, o.User, resolveUser)
	if err != nil {
		return err
	}
	switch o.Action {
	case "get":
		return printUser(o.printer(), u)
	case "deactivate":
		if err := c.DeactivateUser(ctx, u.ID); err != nil {
			return scimError(err)
		}
		inactive := false
		u.Active = &inactive
	case "delete":
		if err := c.DeleteUser(ctx, u.ID); err != nil {
			return scimError(err)
		}
	default:
		return fmt.Errorf("scim users: unknown action %q", o.Action)
	}
	return o.printer().Print(u, func(t *textOut) {
		fmt.Fprintf(t.W, "%sd user %s (id %s)\n", o.Action, safe(u.UserName), safe(u.ID))
	})
}

func printUser(p *printer, u *scim.User) error {
	return p.Print(u, func(t *textOut) {
		line := func(k, v string) {
			if v != "" {
				fmt.Fprintf(t.W, "%-16s %s\n", k+":", safe(v))
			}
		}
		line("id", u.ID)
		line("userName", u.UserName)
		line("externalId", u.ExternalID)
		line("active", activeText(u.Active))
		line("givenName", u.Name.GivenName)
		line("familyName", u.Name.FamilyName)
		for _, e := range u.Emails {
			line("email", strings.TrimSpace(e.Value+" "+e.Type))
		}
		line("department", u.Enterprise.Department)
		line("employeeNumber", u.Enterprise.EmployeeNumber)
		line("costCenter", u.Enterprise.CostCenter)
		line("division", u.Enterprise.Division)
		line("created", u.Meta.Created)
		line("lastModified", u.Meta.LastModified)
	})
}

// usersCreateOptions are the options of `scim users create`.
type usersCreateOptions struct {
	scimRun
	Attrs userAttrs
}

func newSCIMUsersCreateCmd(f *factory, conn *scimOptions, runF func(context.Context, *usersCreateOptions) error) *cobra.Command {
	opts := &usersCreateOptions{scimRun: scimRun{f, conn}}
	cmd := &cobra.Command{
		Use:     "create --user-name NAME [flags]",
		Short:   "Create a user (an existing one with the same userName is adopted and updated, not duplicated)",
		Example: `  orgctl scim users create --user-name alice@main.com --given-name Alice --family-name Liddell --department Research`,
		Args:    exactArgs(0, ""),
	}
	read := addUserFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.Attrs = read()
		if opts.Attrs.Values["user-name"] == "" {
			return usageErrorf("e.g. --user-name alice@main.com", "users create needs --user-name")
		}
		if err := checkName("--user-name", opts.Attrs.Values["user-name"], userNameHint); err != nil {
			return err
		}
		if opts.Attrs.Active == nil {
			active := true // a new account is active unless --active=false
			opts.Attrs.Active = &active
		}
		return runner(runF, runUsersCreate)(cmd.Context(), opts)
	}
	return cmd
}

func runUsersCreate(ctx context.Context, o *usersCreateOptions) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	want := &scim.User{}
	o.Attrs.apply(want)
	u, adopted, err := c.EnsureUser(ctx, want)
	if err != nil {
		return scimError(err)
	}
	return o.printer().Print(u, func(t *textOut) {
		fmt.Fprintf(t.W, "%s user %s (id %s)\n", pick(adopted, "adopted existing", "created"), safe(u.UserName), safe(u.ID))
	})
}

// usersUpdateOptions are the options of `scim users update`.
type usersUpdateOptions struct {
	scimRun
	User  string
	Attrs userAttrs
}

func newSCIMUsersUpdateCmd(f *factory, conn *scimOptions, runF func(context.Context, *usersUpdateOptions) error) *cobra.Command {
	opts := &usersUpdateOptions{scimRun: scimRun{f, conn}}
	cmd := &cobra.Command{
		Use:   "update USER [flags]",
		Short: "Change a user's attributes: only those given, with a minimal PATCH",
		Long: `Change a user's attributes: only those given, with one PATCH of what differs.
An empty value removes the attribute (userName cannot be removed).

USER is a user's id, userName (in any case) or externalId, tried in that order.`,
		Example: `  orgctl scim users update alice@main.com --department Research --active=false
  orgctl scim users update alice@main.com --email ''     # remove the attribute`,
		Args: exactArgs(1, "USER"),
	}
	read := addUserFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := nonEmpty(cmd, args, "USER"); err != nil {
			return err
		}
		opts.User, opts.Attrs = args[0], read()
		if len(opts.Attrs.Values) == 0 && opts.Attrs.Active == nil {
			return usageErrorf("e.g. --department Research; see 'orgctl scim users update --help'", "users update needs at least one attribute to change")
		}
		if name, ok := opts.Attrs.Values["user-name"]; ok && name == "" {
			return usageErrorf("give the new userName, e.g. --user-name alice@main.com", "users update: userName cannot be removed (--user-name '')")
		} else if ok {
			if err := checkName("--user-name", name, userNameHint); err != nil {
				return err
			}
		}
		return runner(runF, runUsersUpdate)(cmd.Context(), opts)
	}
	return cmd
}

func runUsersUpdate(ctx context.Context, o *usersUpdateOptions) error {
	c, have, err := connect(ctx, o.scimRun, o.User, resolveUser)
	if err != nil {
		return err
	}
	want := scim.Overlay(have, &scim.User{}) // a copy
	o.Attrs.apply(want)
	ops := scim.DiffUser(have, want)
	p := o.printer()
	if len(ops) == 0 {
		return p.Print(have, func(t *textOut) {
			fmt.Fprintf(t.W, "user %s already has these values; nothing sent\n", safe(have.UserName))
		})
	}
	u, err := c.PatchUser(ctx, have.ID, ops)
	if err != nil {
		return scimError(err)
	}
	paths := make([]string, len(ops))
	for i, op := range ops {
		paths[i] = op.Op + " " + strings.TrimPrefix(op.Path, scim.SchemaEnterpriseUser+":")
	}
	return p.Print(u, func(t *textOut) {
		fmt.Fprintf(t.W, "updated user %s: %s\n", safe(u.UserName), strings.Join(paths, ", "))
	})
}

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func newSCIMGroupsCmd(f *factory, conn *scimOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "groups", Short: "List, show, create, rename and delete groups; add and remove members"}
	cmd.AddCommand(
		newSCIMGroupsListCmd(f, conn, nil),
		newSCIMGroupRefCmd(f, conn, "get", "Show a group and its members, by id, displayName or externalId", nil),
		newSCIMGroupsCreateCmd(f, conn, nil),
		newSCIMGroupsRenameCmd(f, conn, nil),
		newSCIMGroupRefCmd(f, conn, "delete", "Delete a group (its users stay)", nil),
		newSCIMGroupMembersCmd(f, conn, "add-members", "Add users to a group: only those not yet members (PATCH add, at most 100 a request)", nil),
		newSCIMGroupMembersCmd(f, conn, "remove-members", "Remove users from a group, keeping the other members (PATCH remove by path)", nil),
	)
	return cmd
}

// groupsListOptions are the options of `scim groups list`.
type groupsListOptions struct{ scimRun }

func newSCIMGroupsListCmd(f *factory, conn *scimOptions, runF func(context.Context, *groupsListOptions) error) *cobra.Command {
	opts := &groupsListOptions{scimRun{f, conn}}
	return &cobra.Command{
		Use:   "list",
		Short: "List groups (without their members; 'groups get' shows them)",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runner(runF, runGroupsList)(cmd.Context(), opts)
		},
	}
}

func runGroupsList(ctx context.Context, o *groupsListOptions) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	groups, err := c.ListGroups(ctx, scim.ListOptions{ExcludedAttributes: []string{"members"}})
	if err != nil {
		return scimError(err)
	}
	return printAll(o.printer(), groups, func(t *textOut) {
		rows := make([][]string, 0, len(groups))
		for _, g := range groups {
			rows = append(rows, []string{g.ID, g.DisplayName, g.ExternalID})
		}
		_ = t.Table([]string{"ID", "DISPLAY NAME", "EXTERNAL ID"}, rows)
	})
}

// groupRefOptions are the options of `scim groups get` and `delete`.
type groupRefOptions struct {
	scimRun
	Action string // get or delete
	Group  string
}

func newSCIMGroupRefCmd(f *factory, conn *scimOptions, action, short string, runF func(context.Context, *groupRefOptions) error) *cobra.Command {
	opts := &groupRefOptions{scimRun: scimRun{f, conn}, Action: action}
	return &cobra.Command{
		Use:   action + " GROUP",
		Short: short,
		Long:  short + ".\n\nGROUP is a group's id, displayName (in any case) or externalId, tried in that order;\na name that several groups hold is refused: use the id.",
		Args:  exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nonEmpty(cmd, args, "GROUP"); err != nil {
				return err
			}
			opts.Group = args[0]
			return runner(runF, runGroupRef)(cmd.Context(), opts)
		},
	}
}

func runGroupRef(ctx context.Context, o *groupRefOptions) error {
	c, g, err := connect(ctx, o.scimRun, o.Group, resolveGroup)
	if err != nil {
		return err
	}
	switch o.Action {
	case "get":
		if g.Members == nil {
			// Found by a search, which leaves the members out.
			if g, err = c.GetGroup(ctx, g.ID); err != nil {
				return scimError(err)
			}
		}
		return printGroup(o.printer(), g)
	case "delete":
		if err := c.DeleteGroup(ctx, g.ID); err != nil {
			return scimError(err)
		}
		return o.printer().Print(g, func(t *textOut) {
			fmt.Fprintf(t.W, "deleted group %s (id %s)\n", safe(g.DisplayName), safe(g.ID))
		})
	}
	return fmt.Errorf("scim groups: unknown action %q", o.Action)
}

func printGroup(p *printer, g *scim.Group) error {
	return p.Print(g, func(t *textOut) {
		fmt.Fprintf(t.W, "%-16s %s\n%-16s %s\n", "id:", safe(g.ID), "displayName:", safe(g.DisplayName))
		if g.ExternalID != "" {
			fmt.Fprintf(t.W, "%-16s %s\n", "externalId:", safe(g.ExternalID))
		}
		fmt.Fprintf(t.W, "%-16s %d\n", "members:", len(g.Members))
		for _, m := range g.Members {
			fmt.Fprintf(t.W, "  %s\n", safe(strings.TrimSpace(m.Value+" "+m.Display)))
		}
	})
}

// groupsCreateOptions are the options of `scim groups create`.
type groupsCreateOptions struct {
	scimRun
	Name       string
	ExternalID string
	Members    []string
}

func newSCIMGroupsCreateCmd(f *factory, conn *scimOptions, runF func(context.Context, *groupsCreateOptions) error) *cobra.Command {
	opts := &groupsCreateOptions{scimRun: scimRun{f, conn}}
	cmd := &cobra.Command{
		Use:   "create NAME [--external-id ID] [--member USER]...",
		Short: "Create a group, unless one with the same externalId or name exists (it is adopted)",
		Long: `Create a group, unless the service has one already: looked up by --external-id,
then by NAME without regard to case. An existing group is adopted (renamed to NAME
and given the externalId when they differ), so running this twice makes one group.
Members not yet in the group are added.`,
		Example: `  orgctl scim groups create Engineering --external-id eng-1 --member alice@main.com --member bob@main.com`,
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nonEmpty(cmd, args, "NAME"); err != nil {
				return err
			}
			if err := nonEmpty(cmd, opts.Members, "--member USER"); err != nil {
				return err
			}
			if err := checkName("NAME", args[0], groupNameHint); err != nil {
				return err
			}
			opts.Name = args[0]
			return runner(runF, runGroupsCreate)(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.ExternalID, "external-id", "", "externalId: the group's id in your directory")
	stringsVar(cmd.Flags(), &opts.Members, "member", "a member (user id, userName or externalId), repeatable")
	return cmd
}

func runGroupsCreate(ctx context.Context, o *groupsCreateOptions) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	users, err := resolveUsers(ctx, c, o.Members)
	if err != nil {
		return err
	}
	g, adopted, err := c.EnsureGroup(ctx, &scim.Group{DisplayName: o.Name, ExternalID: o.ExternalID})
	if err != nil {
		return scimError(err)
	}
	if len(users) > 0 {
		if _, err := c.AddMembers(ctx, g.ID, userIDs(users)...); err != nil {
			return scimError(err)
		}
	}
	// Read it back for the members, which creates and searches leave out.
	if g, err = c.GetGroup(ctx, g.ID); err != nil {
		return scimError(err)
	}
	return o.printer().Print(g, func(t *textOut) {
		fmt.Fprintf(t.W, "%s group %s (id %s, %d %s)\n", pick(adopted, "adopted existing", "created"),
			safe(g.DisplayName), safe(g.ID), len(g.Members), plural(len(g.Members), "member", "members"))
	})
}

// groupsRenameOptions are the options of `scim groups rename`.
type groupsRenameOptions struct {
	scimRun
	Group   string
	NewName string
}

func newSCIMGroupsRenameCmd(f *factory, conn *scimOptions, runF func(context.Context, *groupsRenameOptions) error) *cobra.Command {
	opts := &groupsRenameOptions{scimRun: scimRun{f, conn}}
	return &cobra.Command{
		Use:   "rename GROUP NEW-NAME",
		Short: "Rename a group in place (a PATCH of displayName; members are kept)",
		Args:  exactArgs(2, "GROUP NEW-NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nonEmpty(cmd, args, "GROUP", "NEW-NAME"); err != nil {
				return err
			}
			if err := checkName("NEW-NAME", args[1], groupNameHint); err != nil {
				return err
			}
			opts.Group, opts.NewName = args[0], args[1]
			return runner(runF, runGroupsRename)(cmd.Context(), opts)
		},
	}
}

func runGroupsRename(ctx context.Context, o *groupsRenameOptions) error {
	c, g, err := connect(ctx, o.scimRun, o.Group, resolveGroup)
	if err != nil {
		return err
	}
	old := g.DisplayName
	renamed, err := c.RenameGroup(ctx, g, o.NewName)
	if err != nil {
		return scimError(err)
	}
	return o.printer().Print(g, func(t *textOut) {
		if !renamed {
			fmt.Fprintf(t.W, "group %s already has that name; nothing sent\n", safe(g.DisplayName))
			return
		}
		fmt.Fprintf(t.W, "renamed group %s to %s (id %s)\n", safe(old), safe(g.DisplayName), safe(g.ID))
	})
}

// groupMembersOptions are the options of `scim groups add-members` and
// `remove-members`.
type groupMembersOptions struct {
	scimRun
	Remove bool
	Group  string
	Users  []string
}

func newSCIMGroupMembersCmd(f *factory, conn *scimOptions, use, short string, runF func(context.Context, *groupMembersOptions) error) *cobra.Command {
	opts := &groupMembersOptions{scimRun: scimRun{f, conn}, Remove: use == "remove-members"}
	return &cobra.Command{
		Use:   use + " GROUP USER...",
		Short: short,
		Long: short + `.

The group's members are read first, so that only real changes are sent; the output
says for each USER what happened. GROUP is an id, displayName or externalId; USER an
id, userName or externalId.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("see '"+cmd.CommandPath()+" --help'", "%s needs a group and at least one user", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nonEmpty(cmd, args, "GROUP", "USER"); err != nil {
				return err
			}
			opts.Group, opts.Users = args[0], args[1:]
			return runner(runF, runGroupMembers)(cmd.Context(), opts)
		},
	}
}

// membersView is the JSON of add-members and remove-members: members are
// the ids changed, and the library's account of each id.
type membersView struct {
	Group   string   `json:"group"`
	ID      string   `json:"id"`
	Action  string   `json:"action"`
	Members []string `json:"members"`
	*scim.MemberChanges
}

func runGroupMembers(ctx context.Context, o *groupMembersOptions) error {
	c, g, err := connect(ctx, o.scimRun, o.Group, resolveGroup)
	if err != nil {
		return err
	}
	users, err := resolveUsers(ctx, c, o.Users)
	if err != nil {
		return err
	}
	change, action := c.AddMembers, "added"
	if o.Remove {
		change, action = c.RemoveMembers, "removed"
	}
	ch, err := change(ctx, g.ID, userIDs(users)...)
	if err != nil {
		return scimError(err)
	}
	name := map[string]string{}
	for _, u := range users {
		name[u.ID] = u.UserName
	}
	changed, unchanged, how := ch.Added, ch.AlreadyMembers, "is already a member of"
	if o.Remove {
		changed, unchanged, how = ch.Removed, ch.NotMembers, "is not a member of"
	}
	v := membersView{Group: g.DisplayName, ID: g.ID, Action: action, Members: append([]string{}, changed...), MemberChanges: ch}
	return o.printer().Print(v, func(t *textOut) {
		for _, id := range changed {
			fmt.Fprintf(t.W, "%s %s %s group %s\n", action, safe(name[id]), pick(o.Remove, "from", "to"), safe(g.DisplayName))
		}
		for _, id := range unchanged {
			fmt.Fprintf(t.W, "%s %s group %s\n", safe(name[id]), how, safe(g.DisplayName))
		}
	})
}

// resolveUsers resolves USER arguments, in order.
func resolveUsers(ctx context.Context, c *scim.Client, refs []string) ([]*scim.User, error) {
	users := make([]*scim.User, 0, len(refs))
	for _, r := range refs {
		u, err := resolveUser(ctx, c, r)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

func userIDs(users []*scim.User) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}
