package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/orgctl/orgctl/config"
	"github.com/orgctl/orgctl/internal/store"
	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/verify"
)

// globalOptions are the flags every command has (DESIGN.md §2).
type globalOptions struct {
	Output      string
	Quiet       bool
	Verbose     bool
	NoColor     bool
	ConfigFile  string
	Timeout     time.Duration
	StateDir    string
	Resolvers   []string
	Nameservers []string
	NSPort      int
	ConnectTo   []string
}

// factory is what commands get: streams, options, settings, clock.
type factory struct {
	io        *IOStreams
	opts      *globalOptions
	settings  config.Settings
	viper     *viper.Viper // the config file's contents, for keys that are not flags (scim.token)
	lookupEnv func(string) (string, bool)
	now       func() time.Time
	// after waits between the cycles of `scim sync --every`; tests make
	// it return at once.
	after   func(time.Duration) <-chan time.Time
	traceMu sync.Mutex
	// tune, set by tests, adjusts each Checker (shorter timeouts).
	tune func(*verify.Checker)
	// tuneSCIM, set by tests, adjusts each SCIM client's config (shorter
	// backoff).
	tuneSCIM func(*scim.Config)
	// readResolvConf, set by tests, replaces reading /etc/resolv.conf
	// for diagnose's split-horizon comparison.
	readResolvConf func() ([]string, error)
	store          *store.Store // opened by openStore, once
	// networkFlags are --resolver, --nameserver, --ns-port and
	// --connect-to, made once and shared by the commands that check
	// domains (addNetworkFlags).
	networkFlags *pflag.FlagSet
	// signals, set by run (not by tests), makes catchSignals catch SIGINT
	// and SIGTERM; interrupted is then the context they cancel, and
	// stopSignals stops catching them.
	signals     bool
	interrupted context.Context
	stopSignals context.CancelFunc
}

func (f *factory) getenv(k string) string {
	v, _ := f.lookupEnv(k)
	return v
}

func newFactory(io *IOStreams, lookupEnv func(string) (string, bool)) *factory {
	return &factory{io: io, opts: &globalOptions{}, lookupEnv: lookupEnv, now: time.Now, after: time.After}
}

// executeWith builds a fresh command tree, runs args with a prepared
// factory (tests set its clock and streams) and maps the outcome to an
// exit code, printing the error if any.
func executeWith(ctx context.Context, f *factory, args []string) int {
	io := f.io
	root := newRootCmdFor(f, args)
	root.SetArgs(args)

	err := root.ExecuteContext(ctx)
	interrupted := ctx.Err() != nil || f.interrupted != nil && f.interrupted.Err() != nil
	if f.stopSignals != nil {
		f.stopSignals() // which cancels f.interrupted: asked before
	}
	if err != nil && interrupted {
		// The run was interrupted (SIGINT/SIGTERM): that, not whatever
		// the cancellation made fail, is the outcome.
		err = errInterrupted
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && f.opts.Timeout > 0 {
		err = &cliError{code: exitFailure, err: fmt.Errorf("gave up after %s (--timeout)", f.opts.Timeout),
			hint: "raise --timeout, or check that the servers answer (-v traces every exchange)"}
	}
	if err != nil {
		if errors.Is(err, errInterrupted) {
			fmt.Fprintln(io.ErrOut, "orgctl: interrupted")
		} else {
			report(io.ErrOut, err, palette{on: io.colorErr()})
		}
	}
	return exitCode(err)
}

// newRootBare is the root with its flags and help topics, and of
// topCommands those that want names, the others as stand-ins.
func newRootBare(f *factory, want func(name string) bool) *cobra.Command {
	o := f.opts
	var cancel context.CancelFunc
	root := &cobra.Command{
		Use:   "orgctl",
		Short: "Prove you own your e-mail domains, then provision users over SCIM",
		Long: `orgctl proves that an organization owns its e-mail domains (a verification code
published as a DNS TXT record or an HTTP file) and provisions its users to a SaaS
provider over SCIM 2.0.

  orgctl code new main.com          generate a code and show how to publish it
  orgctl verify dns main.com        check the TXT record on every authoritative server
  orgctl verify http main.com       check the file http://main.com/logmein-verification-code.txt
  orgctl verify main.com            DNS, then HTTP: verified if either method passes
  orgctl diagnose main.com          why verification fails: every probe, explained, with fixes
  orgctl scim test                  test the connection to the provider's SCIM service
  orgctl scim users list            users at the provider; also create, update, deactivate, groups
  orgctl sandbox                    local DNS, web and SCIM servers to try everything offline`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.catchSignals(cmd)
			if err := f.configure(cmd); err != nil {
				return err
			}
			if o.Timeout > 0 {
				var ctx context.Context
				ctx, cancel = context.WithTimeout(cmd.Context(), o.Timeout)
				cmd.SetContext(ctx)
			}
			return nil
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if cancel != nil {
				cancel()
			}
		},
	}
	// The streams first: cobra's completion command keeps the writer it
	// finds when it is made.
	root.SetIn(f.io.In)
	root.SetOut(f.io.Out)
	root.SetErr(f.io.ErrOut)
	root.SetVersionTemplate("orgctl {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(err, fmt.Sprintf("see '%s --help'", c.CommandPath()))
	})

	pf := root.PersistentFlags()
	pf.StringVarP(&o.Output, "output", "o", "text", "output format: text, json or jsonl")
	pf.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on stdout; the exit code tells")
	pf.BoolVarP(&o.Verbose, "verbose", "v", false, "show every server's answer and trace the exchanges on stderr")
	pf.BoolVar(&o.NoColor, "no-color", false, "never colour the output (also NO_COLOR)")
	pf.StringVar(&o.ConfigFile, "config", "", "config file (default $XDG_CONFIG_HOME/orgctl/config.yaml)")
	pf.Var(newDaysDuration(&o.Timeout, 0), "timeout", "give up after this long overall, e.g. 90s or 5m (0: no limit)")
	pf.StringVar(&o.StateDir, "state-dir", "", "where codes and history are kept (default $XDG_STATE_HOME/orgctl)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "jsonl"}, cobra.ShellCompDirectiveNoFileComp))

	for _, t := range topCommands {
		if want(t.name) {
			root.AddCommand(t.command(f))
			continue
		}
		root.AddCommand(&cobra.Command{
			Use:         t.name,
			Short:       t.short,
			Annotations: map[string]string{annotationStandIn: t.name},
			RunE: func(c *cobra.Command, _ []string) error {
				return fmt.Errorf("internal error: %s was not built", c.CommandPath())
			},
		})
	}
	addHelpTopics(root)
	return root
}

// topCommands are orgctl's commands. A command line builds only the one
// it runs (newRootCmdFor): the others stay stand-ins that hold their
// name and summary, all that the root's help shows of them.
var topCommands = []topCommand{
	{"code", "Generate, show, list and revoke verification codes", newCodeCmd},
	{"verify", "Check that domains publish their verification code", newVerifyCmd},
	{"diagnose", "Explain why a domain does not verify, and what exactly to change", newDiagnoseCmd},
	{"scim", "Talk to the provider's SCIM 2.0 service: test, users, groups", newSCIMCmd},
	{"sandbox", "Serve local DNS zones, a web root and a SCIM service on loopback to try orgctl offline", newSandboxCmd},
	{"config", "Show the effective settings", newConfigCmd},
	{"version", "Print the version of orgctl", newVersionCmd},
}

type topCommand struct {
	name, short string
	build       func(*factory) *cobra.Command
}

// command builds t's command.
func (t topCommand) command(f *factory) *cobra.Command {
	cmd := t.build(f)
	cmd.Short = t.short
	return cmd
}

// annotationStandIn marks a command of topCommands not built yet.
const annotationStandIn = "orgctl_stand_in"

// newRootCmd builds the whole command tree (help, completion, config
// show, the config file's key check and the generated docs need it).
func newRootCmd(f *factory) *cobra.Command {
	root := newRootBare(f, func(string) bool { return true })
	rejectUnknownWords(root)
	return root
}

// newRootCmdFor builds the tree that the command line args needs: of
// orgctl's commands only the one args runs, found by cobra's own Find
// on the root and the stand-ins (the choice of a top-level command
// depends only on the root's flags, which are all there). Building the
// whole tree (a few hundred flags) was a tenth of `orgctl version`'s
// start-up. Anything else (no command, help, completion, config) gets
// the whole tree.
func newRootCmdFor(f *factory, args []string) *cobra.Command {
	root := newRootBare(f, func(string) bool { return false })
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	found, _, err := root.Find(args)
	if err != nil || found.Annotations[annotationStandIn] == "" || found.Name() == "config" {
		return newRootCmd(f) // afresh: flags bind the options again, nothing was parsed yet
	}
	for _, t := range topCommands {
		if t.name == found.Name() {
			root.RemoveCommand(found)
			root.AddCommand(t.command(f))
		}
	}
	rejectUnknownWords(root)
	return root
}

// configure applies the environment and the config file to the flags of
// cmd that were not given, then validates the global options.
func (f *factory) configure(cmd *cobra.Command) error {
	o := f.opts
	path, explicit := o.ConfigFile, cmd.Flags().Changed("config")
	if !explicit {
		if p, ok := f.lookupEnv(config.EnvPrefix + "CONFIG"); ok && p != "" {
			path, explicit = p, true
		} else {
			path = config.DefaultPath(f.getenv)
		}
	}
	if err := checkNonEmpty(cmd.Flags()); err != nil {
		return err
	}
	v := viper.New()
	if err := config.Read(v, path, explicit); err != nil {
		return usageError(err, "fix the file or point --config at another one")
	}
	f.viper = v
	// With no config file (or an empty one) there is no key to check, and
	// no reason to collect every flag of the tree. The file serves every
	// command: a key that no flag of the tree built for this command line
	// knows is checked against the whole tree, built apart (newRootCmdFor
	// built only the command that runs; building the others here would set
	// their defaults into options already parsed).
	if len(v.AllKeys()) > 0 && config.CheckKeys(v, flagKeys(cmd.Root())) != nil {
		if err := config.CheckKeys(v, flagKeys(newRootCmd(newFactory(f.io, f.lookupEnv)))); err != nil {
			return usageError(err, "fix the file; 'orgctl help environment' lists the keys")
		}
	}
	settings, err := config.Apply(v, cmd.Flags(), f.lookupEnv)
	if err != nil {
		return usageError(err, "")
	}
	f.settings = settings
	if s, ok := settings["config"]; ok && path != "" {
		s.Value = path
		if !explicit {
			s.Source = config.SourceDefault
		}
		settings["config"] = s
	}

	switch o.Output {
	case "text", "json", "jsonl":
	default:
		return usageErrorf("use -o text, -o json or -o jsonl", "invalid output format %q%s", o.Output, from(settings["output"], path))
	}
	if o.Quiet && o.Verbose {
		return usageErrorf("", "--quiet and --verbose cannot be used together")
	}
	if o.Timeout < 0 {
		return usageErrorf("", "invalid --timeout %s: must not be negative%s", o.Timeout, from(settings["timeout"], path))
	}
	if o.NoColor {
		f.io.noColor = true
	}
	if o.StateDir == "" {
		o.StateDir = defaultStateDir(f.getenv)
		if s, ok := settings["state_dir"]; ok {
			s.Value = o.StateDir
			settings["state_dir"] = s
		}
	}
	return nil
}

// from says where a setting's bad value came from, when not from the
// command line: " (config file F, key K)" or " (ORGCTL_K)".
func from(s config.Setting, path string) string {
	switch s.Source {
	case config.SourceFile:
		return fmt.Sprintf(" (config file %s, key %s)", path, s.Key)
	case config.SourceEnv:
		return fmt.Sprintf(" (environment variable %s)", s.Env)
	}
	return ""
}

// defaultStateDir is $XDG_STATE_HOME/orgctl, or ~/.local/state/orgctl.
func defaultStateDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "orgctl")
	}
	home := getenv("HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = h
		}
	}
	return filepath.Join(home, ".local", "state", "orgctl")
}

// flagSet is a shorthand for commands that register flags.
type flagSet = pflag.FlagSet
