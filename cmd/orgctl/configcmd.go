package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newConfigCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use: "config",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Show every setting, its value and where it came from (flag, env, file, default)",
		Long: `Show every setting of every command with its effective value and its source:
flag, env (ORGCTL_<FLAG>), file (the config file) or default. Secrets are
redacted. On a terminal the table has a header; piped, it is tab-separated.`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := f.allSettings(cmd.Root())
			if err != nil {
				return err
			}
			settings := all.Sorted()
			return printAll(f.printer(), settings, func(t *textOut) {
				rows := make([][]string, len(settings))
				for i, s := range settings {
					rows[i] = []string{s.Key, s.Value, string(s.Source), s.Env}
				}
				_ = t.Table([]string{"KEY", "VALUE", "SOURCE", "ENV"}, rows)
			})
		},
	})
	return cmd
}

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Args:        exactArgs(0, ""),
		Annotations: map[string]string{annotationInstant: "true"},
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
