package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/verify"
)

const exitCodesHelp = `orgctl's exit status tells scripts what happened:

  0    success: every requested domain verified / the command did what was asked
  1    could not complete: network failure, timeout, SERVFAIL, internal error
       (indeterminate: retry later); a sync in which some objects failed,
       or another sync of the same service is running
  2    usage or configuration error: bad flag, bad domain, bad config file,
       missing code, a bad sync source (nothing was sent), state that cannot
       be used (a damaged state file, one from a newer orgctl, a state
       directory that cannot be made or read)
  3    checked, and at least one domain is not verified (not_found, mismatch,
       propagating or partial)
  4    authentication or authorization failed (SCIM 401/403, missing token)
  5    a safety stop: deletion threshold exceeded, or the sync job is quarantined
  130  interrupted (SIGINT or SIGTERM)

The state rule: state that orgctl cannot use as it is must be fixed by
someone, so it is exit 2 like any other configuration error; retrying would
fail the same way. Only a state locked by another orgctl for too long (10 s,
or until --timeout) is 1.

When several domains are checked and some could not be checked (status
"error") while others are not verified, the exit status is 1: retrying may
change the answer.

  orgctl verify dns main.com -q && deploy`

const environmentHelp = `Every flag can also be set with an environment variable ORGCTL_<FLAG>: the flag
name in upper case with dashes turned into underscores, and in the config file
($XDG_CONFIG_HOME/orgctl/config.yaml, or --config FILE, or ORGCTL_CONFIG) under
the flag name with underscores. Precedence: flag > environment > file > default.
'orgctl config show' prints every setting and where it came from.

  ORGCTL_OUTPUT        -o, --output: text, json or jsonl
  ORGCTL_QUIET         -q, --quiet
  ORGCTL_VERBOSE       -v, --verbose
  ORGCTL_NO_COLOR      --no-color
  ORGCTL_CONFIG        --config FILE
  ORGCTL_TIMEOUT       --timeout DURATION (e.g. 30s, 5m, 1d)
  ORGCTL_STATE_DIR     --state-dir DIR (default $XDG_STATE_HOME/orgctl,
                       or ~/.local/state/orgctl)
  ORGCTL_RESOLVER      --resolver HOST:PORT, comma-separated for several
  ORGCTL_NAMESERVER    --nameserver HOST:PORT, comma-separated for several
  ORGCTL_NS_PORT       --ns-port N
  ORGCTL_CONNECT_TO    --connect-to HOST:PORT:ADDR:PORT, comma-separated
  ORGCTL_CODE          --code of the verify commands
  ORGCTL_STRICT        --strict of verify, verify http and diagnose
  ORGCTL_SYSTEM_RESOLVER
                       --system-resolver of diagnose: HOST:PORT, comma-separated,
                       or none
  ORGCTL_SCIM_URL      --url of the scim commands (config: scim.url)
  ORGCTL_SCIM_CA_FILE  --ca-file of the scim commands (config: scim.ca_file)
  ORGCTL_SCIM_TOKEN    the SCIM bearer token (config: scim.token, in a file
                       only its owner can read); there is no flag for it

The config file may hold the key of any flag of any command (wait, validity,
scim.url…) and these, which are no flag's: scim.token, scim.verified_domains,
scim.mapping and scim.scope. A key that nothing reads is an error (exit 2)
naming the closest known key, so that a typo never falls back to a default.

Durations (--timeout, --validity, --wait, --interval…), on the command line, in
the environment or in the file, are Go durations (90s, 15m, 1h30m) or whole days
(10d).

Other variables:

  NO_COLOR             any value turns colour off (https://no-color.org)
  XDG_CONFIG_HOME      where the config file is looked for
  XDG_STATE_HOME       where state is kept

Example config file:

  output: text
  resolver: [127.0.0.1:53]
  timeout: 2m`

// addHelpTopics adds `orgctl help exit-codes`, `orgctl help environment`
// and `orgctl help findings`: commands with no Run are listed as help
// topics.
//
// The findings topic's Long is written when the topic is shown (its help
// function is the only reader besides the docs generator, which shows
// each topic first): formatting the whole catalogue was a fifth of the
// instructions every command ran before it started, `orgctl version`
// included.
func addHelpTopics(root *cobra.Command) {
	findings := &cobra.Command{Use: "findings", Short: "Every finding code of verify and diagnose"}
	show := root.HelpFunc()
	findings.SetHelpFunc(func(c *cobra.Command, args []string) {
		if c.Long == "" {
			c.Long = findingsHelp()
		}
		show(c, args)
	})
	root.AddCommand(
		&cobra.Command{Use: "exit-codes", Short: "What orgctl's exit status means", Long: exitCodesHelp},
		&cobra.Command{Use: "environment", Short: "Environment variables and the config file", Long: environmentHelp},
		findings,
	)
}

// findingsHelp lists the finding catalogue: each code, what it means and
// why it matters.
func findingsHelp() string {
	var b strings.Builder
	b.WriteString(`Every check explains itself with findings: a stable code, a severity (info,
warning, error), what was seen and the fix. 'orgctl diagnose' adds why each
one matters, as below. A finding of severity error explains why a status is
not "verified".
`)
	prev := ""
	for _, e := range verify.Catalogue() {
		group := e.Code[:strings.IndexByte(e.Code, '.')]
		if group != prev && group != "code" {
			fmt.Fprintf(&b, "\n%s\n\n", map[string]string{"dns": "DNS (orgctl verify dns)", "http": "HTTP (orgctl verify http)", "check": "Any method (a check cut short or failed)"}[group])
			prev = group
		}
		fmt.Fprintf(&b, "  %-27s %s\n", e.Code, e.Summary)
		for _, l := range wrap(e.Why, 72) {
			fmt.Fprintf(&b, "      %s\n", l)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
