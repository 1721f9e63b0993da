package main

import (
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/orgctl/orgctl/config"
)

// rejectUnknownWords makes every command of the tree that only groups
// others (the root, code, scim, config, completion…) refuse a word it does
// not know, and `orgctl help` refuse a topic it does not know, with a usage
// error (exit 2) that names the word and suggests the closest one. Cobra
// itself prints the group's help and exits 0, so that a script calling
// `orgctl code revok X` would go on as if it had worked.
//
// It walks the tree once it is complete: cobra's own help and completion
// commands are added first, as cobra would add them at execution.
func rejectUnknownWords(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = unknownSubcommand
			c.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, c := range root.Commands() {
		if c.Name() == "help" && c.Run != nil {
			show := c.Run
			c.Run = nil
			c.RunE = func(c *cobra.Command, args []string) error {
				cmd, rest, err := c.Root().Find(args)
				if err != nil || len(rest) > 0 {
					word := args[len(args)-len(rest)]
					if cmd == nil {
						cmd = c.Root()
					}
					return usageError(fmt.Errorf("unknown help topic %q", strings.Join(args, " ")), suggestion(cmd, word, "orgctl help"))
				}
				show(c, args)
				return nil
			}
		}
	}
}

// unknownSubcommand is the Args of a group command: no word at all shows
// the help, any word is one it does not know (the known ones were matched
// as subcommands before).
func unknownSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageError(fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath()), suggestion(c, args[0], c.CommandPath()+" --help"))
}

// suggestion is the hint for an unknown word below c: the closest
// subcommand or help topic, and where to look.
func suggestion(c *cobra.Command, word, see string) string {
	var names []string
	for _, sub := range c.Commands() {
		if !sub.Hidden && sub.Name() != "help" {
			names = append(names, sub.Name())
		}
	}
	hint := fmt.Sprintf("see '%s'", see)
	if s := config.Suggest(word, names); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, hint)
	}
	return hint
}

// walkFlags calls fn for every flag of every command of the tree below c,
// each once: a persistent flag with the command that declares it. Cobra's
// --help and --version are left out.
func walkFlags(c *cobra.Command, fn func(*cobra.Command, *pflag.Flag)) {
	visit := func(fl *pflag.Flag) {
		if fl.Name != "help" && fl.Name != "version" {
			fn(c, fl)
		}
	}
	c.LocalNonPersistentFlags().VisitAll(visit)
	c.PersistentFlags().VisitAll(visit)
	for _, sub := range c.Commands() {
		walkFlags(sub, fn)
	}
}

// flagKeys are the config keys of every flag of the tree, which with the
// keys config knows of are all that a config file may hold. It reads each
// command's own flag sets rather than walkFlags' LocalNonPersistentFlags,
// which cobra rebuilds on every call: that walk was a third of the
// instructions `orgctl version` ran. A flag a command inherits has the key
// of its declaring parent, which the walk (parents first) has seen already.
func flagKeys(root *cobra.Command) []string {
	var keys []string
	seen := map[string]bool{}
	add := func(fl *pflag.Flag) {
		if k := config.Key(fl); fl.Name != "help" && fl.Name != "version" && !config.CommandLineOnly(fl) && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return keys
}

// allSettings are the settings of every command of the tree, not only
// those of the command being run (which f.settings holds, already
// applied): each flag's value and source as that command would see it, and
// the keys that are no flag's. A flag whose key several commands share
// (--code, --strict) is shown once.
func (f *factory) allSettings(root *cobra.Command) (config.Settings, error) {
	others := pflag.NewFlagSet("all", pflag.ContinueOnError)
	keys := map[string]bool{}
	walkFlags(root, func(_ *cobra.Command, fl *pflag.Flag) {
		k := config.Key(fl)
		if _, ok := f.settings[k]; ok || keys[k] || config.CommandLineOnly(fl) {
			return
		}
		keys[k] = true
		c := *fl // the same value; no shorthand, which two commands may share
		c.Shorthand = ""
		if others.Lookup(c.Name) != nil {
			// Two commands' flags of one name with different keys
			// (code new --force, scim sync --force): the key tells them
			// apart here.
			c.Name = k
		}
		others.AddFlag(&c)
	})
	settings, err := config.Apply(f.viper, others, f.lookupEnv)
	if err != nil {
		return nil, usageError(err, "")
	}
	for k, s := range config.FileSettings(f.viper, f.lookupEnv) {
		if _, ok := settings[k]; !ok {
			settings[k] = s
		}
	}
	maps.Copy(settings, f.settings)
	return settings, nil
}
