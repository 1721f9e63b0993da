package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
		Use:   "scim",
		Short: "Talk to the provider's SCIM 2.0 service: test, users, groups",
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
	cmd.AddCommand(newSCIMTestCmd(f, o), newSCIMUsersCmd(f, o), newSCIMGroupsCmd(f, o))
	return cmd
}

// scimClient builds the client from the flags, the token and the config.
func (f *factory) scimClient(o *scimOptions) (*scim.Client, error) {
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
	c, err := scim.New(cfg)
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
	return scim.NewToken(f.viper.GetString("scim.token")), nil
}

// scimError gives SCIM errors their exit code: 4 for authentication, 1
// for the rest; the hint says what to check.
func scimError(err error) error {
	var se *scim.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, scim.ErrUnauthorized):
		return &cliError{code: exitAuth, err: err, hint: "check the token (" + tokenEnv + " or scim.token) and that it may manage users"}
	case errors.As(err, &se) && se.Status == 0:
		return &cliError{code: exitFailure, err: err, hint: "check --url and that the service is reachable; retry later"}
	default:
		return err
	}
}

func newSCIMTestCmd(f *factory, o *scimOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "test",
		Short: "Test the connection, as Entra ID's Test Connection does, and show what the service supports",
		Long: `Test the connection the way Microsoft Entra ID's "Test Connection" does: ask
GET /Users?filter=userName eq "<random uuid>", which must answer 200 with an empty
list (404 is tolerated), after reading /ServiceProviderConfig, /ResourceTypes and
/Schemas. Exit 0 when the service is usable, 4 when it refuses the token.`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.scimClient(o)
			if err != nil {
				return err
			}
			res, err := c.Test(cmd.Context())
			if err == nil || res != nil {
				printSCIMTest(f, res, err)
			}
			return scimError(err)
		},
	}
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

func printSCIMTest(f *factory, res *scim.TestResult, err error) {
	if f.opts.Quiet {
		return
	}
	v := scimTestView{URL: res.URL, OK: err == nil, Filter: res.Filter, Status: res.FilterStatus,
		DurationMS: res.Duration.Milliseconds(), Discovery: res.Discovery, Notes: res.Notes}
	if err != nil {
		v.Error = err.Error()
	}
	if f.opts.Output != "text" {
		_ = writeJSON(f.io.Out, f.opts.Output, v)
		return
	}
	w, p := f.io.Out, palette{on: f.io.colorOut()}
	verdict := p.green("connection OK")
	if err != nil {
		verdict = p.red("connection failed")
	}
	fmt.Fprintf(w, "%s: %s (%s)\n", p.bold(res.URL), verdict, res.Duration.Round(time.Millisecond))
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
		fmt.Fprintf(w, "  test:            GET /Users?filter=%s → %s\n", res.Filter, got)
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
			fmt.Fprintf(w, "  authentication:  %s\n", strings.Join(d.AuthenticationSchemes, ", "))
		}
		var rts []string
		for _, rt := range d.ResourceTypes {
			s := rt.Name + " (" + rt.Endpoint + ")"
			if len(rt.Extensions) > 0 {
				s += " + " + strings.Join(rt.Extensions, ", ")
			}
			rts = append(rts, s)
		}
		if len(rts) > 0 {
			fmt.Fprintf(w, "  resource types:  %s\n", strings.Join(rts, "; "))
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if d := res.Discovery; d != nil {
		for _, n := range d.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// userFlags are the attributes `users create` and `users update` set.
type userFlags struct {
	UserName, ExternalID, GivenName, FamilyName, Email string
	Department, EmployeeNumber, CostCenter, Division   string
	Active                                             bool
}

func addUserFlags(fs *flagSet, u *userFlags) {
	fs.StringVar(&u.UserName, "user-name", "", "userName, usually the e-mail address (alice@main.com)")
	fs.StringVar(&u.ExternalID, "external-id", "", "externalId: the user's id in your directory")
	fs.StringVar(&u.GivenName, "given-name", "", "name.givenName")
	fs.StringVar(&u.FamilyName, "family-name", "", "name.familyName")
	fs.StringVar(&u.Email, "email", "", "the work e-mail address (emails[type eq \"work\"])")
	fs.StringVar(&u.Department, "department", "", "enterprise extension: department")
	fs.StringVar(&u.EmployeeNumber, "employee-number", "", "enterprise extension: employeeNumber")
	fs.StringVar(&u.CostCenter, "cost-center", "", "enterprise extension: costCenter")
	fs.StringVar(&u.Division, "division", "", "enterprise extension: division")
	fs.BoolVar(&u.Active, "active", true, "active (--active=false for a disabled account)")
}

// apply copies the flags given on the command line into u.
func (uf *userFlags) apply(cmd *cobra.Command, u *scim.User) {
	set := func(name string, dst *string, v string) {
		if cmd.Flags().Changed(name) {
			*dst = v
		}
	}
	set("user-name", &u.UserName, uf.UserName)
	set("external-id", &u.ExternalID, uf.ExternalID)
	set("given-name", &u.Name.GivenName, uf.GivenName)
	set("family-name", &u.Name.FamilyName, uf.FamilyName)
	set("department", &u.Enterprise.Department, uf.Department)
	set("employee-number", &u.Enterprise.EmployeeNumber, uf.EmployeeNumber)
	set("cost-center", &u.Enterprise.CostCenter, uf.CostCenter)
	set("division", &u.Enterprise.Division, uf.Division)
	if cmd.Flags().Changed("email") {
		u.Emails = nil
		if uf.Email != "" {
			u.Emails = []scim.Email{{Value: uf.Email, Type: "work", Primary: true}}
		}
	}
	if cmd.Flags().Changed("active") {
		active := uf.Active
		u.Active = &active
	}
}

func newSCIMUsersCmd(f *factory, o *scimOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "List, show, create, update, deactivate and delete users"}
	client := func(cmd *cobra.Command, arg string) (*scim.Client, *scim.User, error) {
		return connectAndFind(cmd, f, o, arg, findUser)
	}

	var filter string
	list := &cobra.Command{
		Use:   "list",
		Short: "List users (every page)",
		Example: `  orgctl scim users list
  orgctl scim users list --filter 'userName sw "a"' -o jsonl`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.scimClient(o)
			if err != nil {
				return err
			}
			users, err := c.ListUsers(cmd.Context(), scim.ListOptions{Filter: filter})
			if err != nil {
				return scimError(err)
			}
			return printUsers(f, users)
		},
	}
	list.Flags().StringVar(&filter, "filter", "", "a SCIM filter, e.g. 'userName eq \"alice@main.com\"'")

	get := &cobra.Command{
		Use:   "get USER",
		Short: "Show a user, by id or userName",
		Args:  exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, u, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			return printUser(f, u)
		},
	}

	cf := &userFlags{}
	create := &cobra.Command{
		Use:     "create --user-name NAME [flags]",
		Short:   "Create a user (an existing one with the same userName is adopted, not duplicated)",
		Example: `  orgctl scim users create --user-name alice@main.com --given-name Alice --family-name Liddell --department Research`,
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cf.UserName == "" {
				return usageErrorf("e.g. --user-name alice@main.com", "users create needs --user-name")
			}
			c, err := f.scimClient(o)
			if err != nil {
				return err
			}
			active := cf.Active // true unless --active=false
			want := &scim.User{Active: &active}
			cf.apply(cmd, want)
			u, adopted, err := c.CreateUser(cmd.Context(), want)
			if err != nil {
				return scimError(err)
			}
			if adopted {
				// The user was there already: bring it to what was asked,
				// keeping the userName as the service spells it (it
				// matched without regard to case).
				want := merged(u, cmd, cf)
				want.UserName = u.UserName
				if ops := scim.DiffUser(u, want); len(ops) > 0 {
					if u, err = patchUser(cmd.Context(), c, u.ID, ops); err != nil {
						return scimError(err)
					}
				}
			}
			return done(f, u, "%s user %s (id %s)", pick(adopted, "adopted existing", "created"), u.UserName, u.ID)
		},
	}
	addUserFlags(create.Flags(), cf)

	uf := &userFlags{}
	update := &cobra.Command{
		Use:   "update USER [flags]",
		Short: "Change a user's attributes: only those given, with a minimal PATCH",
		Example: `  orgctl scim users update alice@main.com --department Research --active=false
  orgctl scim users update alice@main.com --email ''     # remove the attribute`,
		Args: exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			changed := false
			cmd.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) { changed = changed || fl.Changed })
			if !changed {
				return usageErrorf("e.g. --department Research; see 'orgctl scim users update --help'", "users update needs at least one attribute to change")
			}
			c, have, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			ops := scim.DiffUser(have, merged(have, cmd, uf))
			if len(ops) == 0 {
				return done(f, have, "user %s already has these values; nothing sent", have.UserName)
			}
			u, err := patchUser(cmd.Context(), c, have.ID, ops)
			if err != nil {
				return scimError(err)
			}
			paths := make([]string, len(ops))
			for i, op := range ops {
				paths[i] = op.Op + " " + shortPath(op.Path)
			}
			return done(f, u, "updated user %s: %s", u.UserName, strings.Join(paths, ", "))
		},
	}
	addUserFlags(update.Flags(), uf)

	// act is a command that finds USER and does one thing to it.
	act := func(use, short, past string, do func(context.Context, *scim.Client, *scim.User) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " USER",
			Short: short,
			Args:  exactArgs(1, "USER"),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, u, err := client(cmd, args[0])
				if err != nil {
					return err
				}
				if err := do(cmd.Context(), c, u); err != nil {
					return scimError(err)
				}
				return done(f, u, "%s user %s (id %s)", past, u.UserName, u.ID)
			},
		}
	}
	deactivate := act("deactivate", "Deactivate a user (active=false); the account stays", "deactivated",
		func(ctx context.Context, c *scim.Client, u *scim.User) error {
			if err := c.DeactivateUser(ctx, u.ID); err != nil {
				return err
			}
			inactive := false
			u.Active = &inactive
			return nil
		})
	del := act("delete", "Delete a user for good (deactivate keeps the account)", "deleted",
		func(ctx context.Context, c *scim.Client, u *scim.User) error { return c.DeleteUser(ctx, u.ID) })
	cmd.AddCommand(list, get, create, update, deactivate, del)
	return cmd
}

// patchUser applies ops and returns the user as the service now has it:
// from the PATCH response, or read again when the service answered 204.
func patchUser(ctx context.Context, c *scim.Client, id string, ops []scim.PatchOp) (*scim.User, error) {
	u, err := c.PatchUser(ctx, id, ops)
	if err != nil || u != nil {
		return u, err
	}
	return c.GetUser(ctx, id)
}

// merged is have with the attributes given on the command line applied.
func merged(have *scim.User, cmd *cobra.Command, uf *userFlags) *scim.User {
	want := *have
	want.Emails = append([]scim.Email(nil), have.Emails...)
	if have.Active != nil {
		a := *have.Active
		want.Active = &a
	}
	uf.apply(cmd, &want)
	return &want
}

// shortPath names an enterprise attribute without its URN in messages.
func shortPath(p string) string {
	return strings.TrimPrefix(p, scim.SchemaEnterpriseUser+":")
}

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// connectAndFind connects to the service and resolves a USER or GROUP
// argument with find.
func connectAndFind[T any](cmd *cobra.Command, f *factory, o *scimOptions, arg string, find func(context.Context, *scim.Client, string) (T, error)) (*scim.Client, T, error) {
	var zero T
	c, err := f.scimClient(o)
	if err != nil {
		return nil, zero, err
	}
	v, err := find(cmd.Context(), c, arg)
	if err != nil {
		return nil, zero, scimError(err)
	}
	return c, v, nil
}

// findUser resolves USER: an id, or a userName.
func findUser(ctx context.Context, c *scim.Client, arg string) (*scim.User, error) {
	if !strings.Contains(arg, "@") {
		u, err := c.GetUser(ctx, arg)
		if !errors.Is(err, scim.ErrNotFound) {
			return u, err
		}
	}
	u, err := c.FindUser(ctx, arg)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, &cliError{code: exitFailure, err: fmt.Errorf("no user with id or userName %q at %s", arg, c.URL()),
			hint: "'orgctl scim users list' shows the users"}
	}
	return u, err
}

// findGroup resolves GROUP: an id, or a displayName.
func findGroup(ctx context.Context, c *scim.Client, arg string) (*scim.Group, error) {
	g, err := c.GetGroup(ctx, arg)
	if !errors.Is(err, scim.ErrNotFound) {
		return g, err
	}
	g, err = c.FindGroup(ctx, arg)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, &cliError{code: exitFailure, err: fmt.Errorf("no group with id or displayName %q at %s", arg, c.URL()),
			hint: "'orgctl scim groups list' shows the groups"}
	}
	return g, err
}

// done reports a change: the object in JSON, a sentence in text.
func done(f *factory, v any, format string, args ...any) error {
	if f.opts.Quiet {
		return nil
	}
	if f.opts.Output != "text" {
		return writeJSON(f.io.Out, f.opts.Output, v)
	}
	fmt.Fprintf(f.io.Out, format+"\n", args...)
	return nil
}

// table writes rows: aligned with a header on a terminal, tab-separated
// without one when piped (for cut and awk).
func table(f *factory, header []string, rows [][]string) error {
	var w io.Writer = f.io.Out
	var tw *tabwriter.Writer
	if f.io.outTTY {
		tw = tabwriter.NewWriter(f.io.Out, 0, 4, 2, ' ', 0)
		w = tw
		fmt.Fprintln(w, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		for i, c := range r {
			if c == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// printList prints resources: JSON (an array, or a line each), or a
// table of the columns row gives.
func printList[T any](f *factory, items []T, header []string, row func(T) []string) error {
	if f.opts.Quiet {
		return nil
	}
	if f.opts.Output != "text" {
		if items == nil {
			items = []T{}
		}
		return writeJSONList(f.io.Out, f.opts.Output, items)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	return table(f, header, rows)
}

func printUsers(f *factory, users []*scim.User) error {
	return printList(f, users, []string{"ID", "USERNAME", "ACTIVE", "NAME", "EXTERNAL ID", "DEPARTMENT"}, func(u *scim.User) []string {
		return []string{u.ID, u.UserName, activeText(u.Active), strings.TrimSpace(u.Name.GivenName + " " + u.Name.FamilyName), u.ExternalID, u.Enterprise.Department}
	})
}

func activeText(a *bool) string {
	if a == nil {
		return ""
	}
	return strconv.FormatBool(*a)
}

func printUser(f *factory, u *scim.User) error {
	if f.opts.Quiet {
		return nil
	}
	if f.opts.Output != "text" {
		return writeJSON(f.io.Out, f.opts.Output, u)
	}
	w := f.io.Out
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-16s %s\n", k+":", v)
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
	return nil
}

func newSCIMGroupsCmd(f *factory, o *scimOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "groups", Short: "List, show, create, rename and delete groups; add and remove members"}
	client := func(cmd *cobra.Command, arg string) (*scim.Client, *scim.Group, error) {
		return connectAndFind(cmd, f, o, arg, findGroup)
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List groups (without their members; 'groups get' shows them)",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.scimClient(o)
			if err != nil {
				return err
			}
			groups, err := c.ListGroups(cmd.Context(), scim.ListOptions{ExcludedAttributes: []string{"members"}})
			if err != nil {
				return scimError(err)
			}
			return printList(f, groups, []string{"ID", "DISPLAY NAME", "EXTERNAL ID"}, func(g *scim.Group) []string {
				return []string{g.ID, g.DisplayName, g.ExternalID}
			})
		},
	}

	get := &cobra.Command{
		Use:   "get GROUP",
		Short: "Show a group and its members, by id or displayName",
		Args:  exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, g, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			if g.Members == nil {
				// Found by name: searches leave the members out.
				if g, err = c.GetGroup(cmd.Context(), g.ID); err != nil {
					return scimError(err)
				}
			}
			if f.opts.Quiet {
				return nil
			}
			if f.opts.Output != "text" {
				return writeJSON(f.io.Out, f.opts.Output, g)
			}
			w := f.io.Out
			fmt.Fprintf(w, "%-16s %s\n%-16s %s\n", "id:", g.ID, "displayName:", g.DisplayName)
			if g.ExternalID != "" {
				fmt.Fprintf(w, "%-16s %s\n", "externalId:", g.ExternalID)
			}
			fmt.Fprintf(w, "%-16s %d\n", "members:", len(g.Members))
			for _, m := range g.Members {
				fmt.Fprintf(w, "  %s\n", strings.TrimSpace(m.Value+" "+m.Display))
			}
			return nil
		},
	}

	var externalID string
	var members []string
	create := &cobra.Command{
		Use:     "create NAME [--external-id ID] [--member USER]...",
		Short:   "Create a group (an existing one with the same externalId or name is adopted)",
		Example: `  orgctl scim groups create Engineering --external-id eng-1 --member alice@main.com --member bob@main.com`,
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.scimClient(o)
			if err != nil {
				return err
			}
			ids, err := userIDs(cmd.Context(), c, members)
			if err != nil {
				return err
			}
			// Created empty, members added in chunks: a large group
			// never goes in one request.
			g, adopted, err := c.CreateGroup(cmd.Context(), &scim.Group{DisplayName: args[0], ExternalID: externalID})
			if err != nil {
				return scimError(err)
			}
			if len(ids) > 0 {
				if err := c.AddMembers(cmd.Context(), g.ID, ids...); err != nil {
					return scimError(err)
				}
				if g, err = c.GetGroup(cmd.Context(), g.ID); err != nil {
					return scimError(err)
				}
			}
			return done(f, g, "%s group %s (id %s, %d members)", pick(adopted, "adopted existing", "created"), g.DisplayName, g.ID, len(g.Members))
		},
	}
	create.Flags().StringVar(&externalID, "external-id", "", "externalId: the group's id in your directory")
	create.Flags().StringSliceVar(&members, "member", nil, "a member (user id or userName), repeatable")

	rename := &cobra.Command{
		Use:   "rename GROUP NEW-NAME",
		Short: "Rename a group in place (a PATCH of displayName; members are kept)",
		Args:  exactArgs(2, "GROUP NEW-NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, g, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.RenameGroup(cmd.Context(), g.ID, args[1]); err != nil {
				return scimError(err)
			}
			old := g.DisplayName
			g.DisplayName = args[1]
			return done(f, g, "renamed group %s to %s (id %s)", old, g.DisplayName, g.ID)
		},
	}

	del := &cobra.Command{
		Use:   "delete GROUP",
		Short: "Delete a group (its users stay)",
		Args:  exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, g, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteGroup(cmd.Context(), g.ID); err != nil {
				return scimError(err)
			}
			return done(f, g, "deleted group %s (id %s)", g.DisplayName, g.ID)
		},
	}

	memberCmd := func(use, short, verb string, apply func(*scim.Client, context.Context, string, ...string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " GROUP USER...",
			Short: short,
			Args: func(cmd *cobra.Command, args []string) error {
				if len(args) < 2 {
					return usageErrorf("see '"+cmd.CommandPath()+" --help'", "%s needs a group and at least one user", cmd.CommandPath())
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				c, g, err := client(cmd, args[0])
				if err != nil {
					return err
				}
				ids, err := userIDs(cmd.Context(), c, args[1:])
				if err != nil {
					return err
				}
				if err := apply(c, cmd.Context(), g.ID, ids...); err != nil {
					return scimError(err)
				}
				v := struct {
					Group   string   `json:"group"`
					ID      string   `json:"id"`
					Action  string   `json:"action"`
					Members []string `json:"members"`
				}{g.DisplayName, g.ID, verb, ids}
				return done(f, v, "%s %d %s %s group %s", verb, len(ids), plural(len(ids), "member", "members"), pick(verb == "added", "to", "from"), g.DisplayName)
			},
		}
	}
	add := memberCmd("add-members", "Add users to a group (PATCH add, at most 100 a request)", "added", (*scim.Client).AddMembers)
	remove := memberCmd("remove-members", "Remove users from a group, keeping the other members (PATCH remove by path)", "removed", (*scim.Client).RemoveMembers)

	cmd.AddCommand(list, get, create, rename, del, add, remove)
	return cmd
}

// userIDs resolves users (ids or userNames) to ids.
func userIDs(ctx context.Context, c *scim.Client, args []string) ([]string, error) {
	ids := make([]string, 0, len(args))
	for _, a := range args {
		u, err := findUser(ctx, c, a)
		if err != nil {
			return nil, scimError(err)
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}
