package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/codegen"
	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/internal/domain"
	"github.com/orgctl/orgctl/internal/english"
	"github.com/orgctl/orgctl/internal/store"
)

// Code validity (DESIGN.md §7).
const (
	defaultValidity = 10 * 24 * time.Hour
	maxValidity     = 30 * 24 * time.Hour
)

func newCodeCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use: "code",
	}
	cmd.AddCommand(newCodeNewCmd(f), newCodeShowCmd(f), newCodeListCmd(f), newCodeRevokeCmd(f))
	return cmd
}

// codeNewOptions are the options of `orgctl code new`.
type codeNewOptions struct {
	Subdomains []string
	Validity   time.Duration
	Code       string
	Force      bool
}

func newCodeNewCmd(f *factory) *cobra.Command {
	opts := &codeNewOptions{}
	cmd := &cobra.Command{
		Use:   "new DOMAIN",
		Short: "Generate a verification code for a domain and show how to publish it",
		Long: `Generate a verification code (a random UUIDv4) for DOMAIN, store it, and print
the DNS record to publish (zone-file line and FQDN form), the HTTP file URL and
body, and the dig and nslookup commands to check it.

With --code, store a code the provider issued instead of generating one.`,
		Example: `  orgctl code new main.com
  orgctl code new main.com --subdomain www --subdomain eu.shop --validity 72h
  orgctl code new main.com --code logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e`,
		Args: exactArgs(1, "DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCodeNew(cmd.Context(), f, opts, args[0])
		},
	}
	fs := cmd.Flags()
	stringsVar(fs, &opts.Subdomains, "subdomain", "also publish at this subdomain (www or www.main.com), repeatable")
	fs.Var(newDaysDuration(&opts.Validity, defaultValidity), "validity", "how long the code is valid, e.g. 10d or 72h (at most 30d)")
	fs.StringVar(&opts.Code, "code", "", "store this provider-issued code instead of generating one")
	requireValue(fs, "code")
	fs.BoolVar(&opts.Force, "force", false, "replace an active code (the old one is kept in the record's history)")
	return cmd
}

// codeView is the JSON shape of a stored code (stable: fields are added,
// never renamed).
type codeView struct {
	Domain     string        `json:"domain"`
	Code       string        `json:"code"`
	Value      string        `json:"value"`
	Status     string        `json:"status"` // active, expired, revoked
	CreatedAt  time.Time     `json:"created_at"`
	ExpiresAt  time.Time     `json:"expires_at"`
	RevokedAt  *time.Time    `json:"revoked_at,omitempty"`
	Subdomains []string      `json:"subdomains"`
	Records    []recordView  `json:"records"`
	HTTP       httpView      `json:"http"`
	History    []store.Check `json:"history,omitempty"`
	Previous   []codeBrief   `json:"previous,omitempty"`
}

type recordView struct {
	Name     string `json:"name"`
	ZoneLine string `json:"zone_line"`
	FQDNLine string `json:"fqdn_line"`
	Dig      string `json:"dig"`
	Nslookup string `json:"nslookup"`
}

type httpView struct {
	URL  string `json:"url"`
	Body string `json:"body"`
}

type codeBrief struct {
	Code      string    `json:"code"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func viewOf(c store.Code, now time.Time, history []store.Check) codeView {
	value := codegen.Value(c.Code)
	v := codeView{Domain: c.Domain, Code: c.Code, Value: value, Status: codeStatus(c, now),
		CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(), RevokedAt: c.RevokedAt,
		Subdomains: append([]string{}, c.Subdomains...), History: history,
		HTTP: httpView{URL: codegen.Record{Domain: c.Domain, Name: c.Domain, Value: value}.URL(), Body: value}}
	for _, name := range append([]string{c.Domain}, c.Subdomains...) {
		r := codegen.Record{Domain: c.Domain, Name: name, Value: value}
		v.Records = append(v.Records, recordView{Name: name, ZoneLine: r.ZoneLine(), FQDNLine: r.FQDNLine(), Dig: r.Dig(), Nslookup: r.Nslookup()})
	}
	for _, p := range c.Previous {
		v.Previous = append(v.Previous, codeBrief{Code: p.Code, CreatedAt: p.CreatedAt.UTC(), ExpiresAt: p.ExpiresAt.UTC()})
	}
	return v
}

func codeStatus(c store.Code, now time.Time) string {
	switch {
	case c.RevokedAt != nil:
		return "revoked"
	case c.Expired(now):
		return "expired"
	default:
		return "active"
	}
}

func runCodeNew(ctx context.Context, f *factory, opts *codeNewOptions, arg string) error {
	d, err := domain.Normalize(arg)
	if err != nil {
		return usageError(err, "")
	}
	if opts.Validity <= 0 || opts.Validity > maxValidity {
		return usageErrorf("the provider accepts a code for 10 days; orgctl allows at most 30 days",
			"invalid --validity %s: must be more than 0 and at most 30d", (&daysDuration{d: &opts.Validity}).String())
	}
	var subs []string
	for _, s := range opts.Subdomains {
		n, err := domain.Join(d, s)
		if err != nil {
			return usageError(fmt.Errorf("--subdomain: %w", err), "")
		}
		if meant, ok := domain.MeantAsIs(d, s); ok {
			f.warnf("--subdomain %s is not under %s, so it is taken relative to it: the record goes at %s; if you meant %s, that is another domain: run 'orgctl code new %s'",
				s, d, n, meant, meant)
		}
		if n != d && !slices.Contains(subs, n) {
			subs = append(subs, n)
		}
	}
	var uuid string
	if opts.Code != "" {
		uuid, err = codegen.Parse(opts.Code)
		if err != nil {
			return usageError(fmt.Errorf("--code: %w", err), "")
		}
	} else if uuid, err = codegen.New(rand.Reader); err != nil {
		return fmt.Errorf("generating a code: %w", err)
	}
	st, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	now := f.now().UTC().Truncate(time.Second)
	rec := store.Code{Domain: d, Code: uuid, Subdomains: subs, CreatedAt: now, ExpiresAt: now.Add(opts.Validity)}
	if err := st.PutCode(ctx, rec, opts.Force); err != nil {
		if errors.Is(err, store.ErrExists) {
			return usageErrorf(fmt.Sprintf("see it with 'orgctl code show %s'; replace it with --force", d),
				"%s already has an active code", d)
		}
		return err
	}
	if stored, err := st.Code(ctx, d); err == nil {
		rec = stored // with the codes it replaced
	}
	v := viewOf(rec, now, nil)
	return f.printer().Print(v, func(t *textOut) { printCodeNew(t.W, t.P, v, now) })
}

func printCodeNew(w io.Writer, p palette, v codeView, now time.Time) {
	fmt.Fprintf(w, "Verification code for %s (valid until %s, %s):\n\n", p.bold(v.Domain),
		v.ExpiresAt.Format("2006-01-02 15:04 MST"), human(v.ExpiresAt.Sub(now)))
	fmt.Fprintf(w, "    %s\n\n", p.green(v.Value))
	fmt.Fprintf(w, "Publish it in one of two ways.\n\n")
	fmt.Fprintf(w, "1. DNS: a TXT record at each name below.\n")
	for _, r := range v.Records {
		fmt.Fprintf(w, "\n   %s\n", p.bold(r.Name))
		fmt.Fprintf(w, "     zone file:        %s   ($ORIGIN %s.)\n", r.ZoneLine, v.Domain)
		fmt.Fprintf(w, "     fully qualified:  %s\n", r.FQDNLine)
		fmt.Fprintf(w, "     check:            %s\n", r.Dig)
		fmt.Fprintf(w, "                       %s\n", r.Nslookup)
	}
	fmt.Fprintf(w, "\n2. HTTP: a plain-text file.\n\n")
	fmt.Fprintf(w, "     URL:   %s\n", v.HTTP.URL)
	fmt.Fprintf(w, "     body:  %s\n", v.HTTP.Body)
	fmt.Fprintf(w, "            (exactly this text: no HTML, no quotes, no byte-order mark)\n\n")
	fmt.Fprintf(w, "Then check it with: orgctl verify %s (DNS, then HTTP)\n", v.Domain)
}

func newCodeShowCmd(f *factory) *cobra.Command {
	var records, file bool
	cmd := &cobra.Command{
		Use:   "show DOMAIN",
		Short: "Show a stored code, its age, expiry and verification history",
		Example: `  orgctl code show main.com
  orgctl code show main.com --records >> /etc/bind/zones/main.com.zone
  orgctl code show main.com --file > /var/www/html/logmein-verification-code.txt`,
		Args: exactArgs(1, "DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if records && file {
				return usageErrorf("", "--records and --file cannot be used together")
			}
			return runCodeShow(cmd.Context(), f, args[0], records, file)
		},
	}
	cmd.Flags().BoolVar(&records, "records", false, "print only the TXT records, as fully qualified zone-file lines")
	cmd.Flags().BoolVar(&file, "file", false, "print only the HTTP file's content, exactly (no final newline)")
	for _, name := range []string{"records", "file"} {
		_ = cmd.Flags().SetAnnotation(name, config.AnnotationCommandLineOnly, []string{"true"})
	}
	return cmd
}

func runCodeShow(ctx context.Context, f *factory, arg string, records, file bool) error {
	d, err := domain.Normalize(arg)
	if err != nil {
		return usageError(err, "")
	}
	st, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	rec, err := st.Code(ctx, d)
	if errors.Is(err, store.ErrNotFound) {
		return usageErrorf(fmt.Sprintf("run 'orgctl code new %s' to create one; 'orgctl code list' shows the stored ones", d),
			"no code stored for %s", d)
	}
	if err != nil {
		return err
	}
	history, err := st.Checks(ctx, d)
	if err != nil {
		return err
	}
	now := f.now()
	v := viewOf(rec, now, history)
	return f.printer().Print(v, func(t *textOut) { printCodeShow(t, v, now, records, file) })
}

func printCodeShow(t *textOut, v codeView, now time.Time, records, file bool) {
	w, p := t.W, t.P
	if file {
		fmt.Fprint(w, v.HTTP.Body)
		return
	}
	if records {
		for _, r := range v.Records {
			fmt.Fprintln(w, r.FQDNLine)
		}
		return
	}
	fmt.Fprintf(w, "domain:    %s\n", p.bold(v.Domain))
	fmt.Fprintf(w, "code:      %s\n", v.Value)
	fmt.Fprintf(w, "status:    %s\n", v.Status)
	fmt.Fprintf(w, "created:   %s (%s ago)\n", v.CreatedAt.Format(time.RFC3339), human(now.Sub(v.CreatedAt)))
	if v.ExpiresAt.After(now) {
		fmt.Fprintf(w, "expires:   %s (in %s)\n", v.ExpiresAt.Format(time.RFC3339), human(v.ExpiresAt.Sub(now)))
	} else {
		fmt.Fprintf(w, "expired:   %s (%s ago)\n", v.ExpiresAt.Format(time.RFC3339), human(now.Sub(v.ExpiresAt)))
	}
	if v.RevokedAt != nil {
		fmt.Fprintf(w, "revoked:   %s\n", v.RevokedAt.UTC().Format(time.RFC3339))
	}
	for _, r := range v.Records {
		fmt.Fprintf(w, "record:    %s\n", r.FQDNLine)
	}
	fmt.Fprintf(w, "file:      %s\n", v.HTTP.URL)
	if len(v.History) == 0 {
		fmt.Fprintf(w, "history:   never checked\n")
	} else {
		fmt.Fprintf(w, "history:\n")
		for _, c := range v.History {
			fmt.Fprintf(w, "  %s  %-4s  %-30s %s\n", c.At.UTC().Format(time.RFC3339), c.Method, c.Name, c.Status)
		}
	}
	for _, pc := range v.Previous {
		fmt.Fprintf(w, "replaced:  %s (created %s)\n", codegen.Value(pc.Code), pc.CreatedAt.Format(time.RFC3339))
	}
}

func newCodeListCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the stored codes",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCodeList(cmd.Context(), f)
		},
	}
}

func runCodeList(ctx context.Context, f *factory) error {
	st, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	codes, err := st.Codes(ctx)
	if err != nil {
		return err
	}
	now := f.now()
	views := make([]codeView, 0, len(codes))
	for _, c := range codes {
		views = append(views, viewOf(c, now, c.History))
	}
	p := f.printer()
	if len(views) == 0 && !p.JSON() && !p.Quiet() {
		fmt.Fprintln(f.io.ErrOut, "orgctl: no codes stored; create one with 'orgctl code new DOMAIN'")
		return nil
	}
	return printAll(p, views, func(t *textOut) {
		rows := make([][]string, len(views))
		for i, v := range views {
			last := "never"
			if n := len(v.History); n > 0 {
				h := v.History[n-1]
				last = fmt.Sprintf("%s %s %s ago", h.Method, h.Status, human(now.Sub(h.At)))
			}
			rows[i] = []string{v.Domain, v.Code, v.Status, v.CreatedAt.Format(time.DateOnly), v.ExpiresAt.Format(time.DateOnly), last}
		}
		_ = t.Table([]string{"DOMAIN", "CODE", "STATUS", "CREATED", "EXPIRES", "LAST CHECK"}, rows)
	})
}

func newCodeRevokeCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke DOMAIN",
		Short: "Mark a stored code as revoked so that verify no longer uses it",
		Args:  exactArgs(1, "DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := domain.Normalize(args[0])
			if err != nil {
				return usageError(err, "")
			}
			st, err := f.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.Revoke(cmd.Context(), d, f.now().UTC().Truncate(time.Second)); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return usageErrorf("'orgctl code list' shows the stored codes", "no code stored for %s", d)
				}
				return err
			}
			rec, err := st.Code(cmd.Context(), d)
			if err != nil {
				return err
			}
			return f.printer().Print(viewOf(rec, f.now(), nil), func(t *textOut) {
				fmt.Fprintf(t.W, "revoked the code of %s\n", d)
			})
		},
	}
}

// exactArgs is cobra.ExactArgs with a usage error that names what is
// missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		if n == 0 {
			return usageErrorf("see '"+cmd.CommandPath()+" --help'", "%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
		}
		return usageErrorf("see '"+cmd.CommandPath()+" --help'", "%s takes %d argument (%s), got %d", cmd.CommandPath(), n, what, len(args))
	}
}

// human renders a duration roughly: "9 days", "3 hours", "5 minutes".
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(math.Round(d.Hours()/24)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	default:
		n := int(d.Seconds())
		return fmt.Sprintf("%d %s", n, english.Plural(n, "second", "seconds"))
	}
}
