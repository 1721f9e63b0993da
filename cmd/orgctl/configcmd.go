package main

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/config"
)

func newConfigCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective settings",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Show every setting, its value and where it came from (flag, env, file, default)",
		Long: `Show every global setting with its effective value and its source: flag, env
(ORGCTL_<FLAG>), file (the config file) or default. Secrets are redacted.`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.opts.Quiet {
				return nil
			}
			settings := f.settings.Sorted()
			if s, ok := f.tokenSetting(); ok {
				settings = append(settings, s)
				slices.SortFunc(settings, func(a, b config.Setting) int { return strings.Compare(a.Key, b.Key) })
			}
			if f.opts.Output != "text" {
				return writeJSONList(f.io.Out, f.opts.Output, settings)
			}
			tw := tabwriter.NewWriter(f.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE\tENV")
			for _, s := range settings {
				v := s.Value
				if v == "" {
					v = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Key, v, s.Source, s.Env)
			}
			return tw.Flush()
		},
	})
	return cmd
}

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of orgctl",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
				Commit  string `json:"commit,omitempty"`
			}{Version: version}
			if bi, ok := debug.ReadBuildInfo(); ok {
				v.Go = bi.GoVersion
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						v.Commit = s.Value
					}
				}
			}
			return f.printer().Print(v, func(t *textOut) {
				fmt.Fprintf(t.W, "orgctl %s (%s)\n", v.Version, v.Go)
			})
		},
	}
}
