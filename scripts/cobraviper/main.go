// Command cobraviper is the baseline of make bench's start-up measurement:
// the least a cobra + viper CLI does before it runs a command — a root
// command with a persistent flag, viper bound to flags and the
// environment — so that orgctl's start-up is compared with the libraries'
// own cost, not with an empty program.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func main() {
	v := viper.New()
	root := &cobra.Command{Use: "cobraviper", SilenceUsage: true}
	root.PersistentFlags().StringP("output", "o", "text", "output format")
	_ = v.BindPFlags(root.PersistentFlags())
	v.SetEnvPrefix("COBRAVIPER")
	v.AutomaticEnv()
	root.AddCommand(&cobra.Command{Use: "version", Run: func(cmd *cobra.Command, _ []string) {
		fmt.Fprintln(cmd.OutOrStdout(), "cobraviper dev", v.GetString("output"))
	}})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
