package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/orgctl/orgctl/cmd/orgctl/internal/sandbox"
)

// sandboxOptions are the options of `orgctl sandbox`.
type sandboxOptions struct {
	Dir      string
	Resolver string
	Auth     string
	Web      string
	WebRoot  string
	SCIM     string
	EnvFile  string
}

func newSandboxCmd(f *factory) *cobra.Command {
	opts := &sandboxOptions{}
	cmd := &cobra.Command{
		Use: "sandbox",
		Long: `Serve a directory of zone files on 127.0.0.1: an authoritative server and a
resolver answering from the same data. Edit a zone file and the change is served
at once. A web server on 127.0.0.1 serves the web root, a directory per host name
(web/example.test/logmein-verification-code.txt), for the HTTP method. An in-memory
SCIM 2.0 service takes users and groups ('orgctl scim …'); it starts empty each
time. The command prints the flags (and environment variables) that point orgctl
at it, and runs until interrupted.

An empty directory gets an example zone, example.test.`,
		Example: `  orgctl sandbox --dir ./zones --env-file sandbox.env
  set -a; . ./sandbox.env; set +a
  orgctl code new example.test && orgctl verify dns example.test
  orgctl code show example.test --file > zones/web/example.test/logmein-verification-code.txt
  orgctl verify http example.test`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandbox(cmd.Context(), f, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Dir, "dir", "", "directory of zone files (default: sandbox/zones under --state-dir)")
	fs.StringVar(&opts.Resolver, "listen-resolver", "127.0.0.1:0", "address of the sandbox resolver (loopback only)")
	fs.StringVar(&opts.Auth, "listen-auth", "127.0.0.1:0", "address of the sandbox authoritative server (loopback only)")
	fs.StringVar(&opts.Web, "listen-web", "127.0.0.1:0", "address of the sandbox web server (loopback only)")
	fs.StringVar(&opts.WebRoot, "web-root", "", "directory of web roots, one per host name (default: web under --dir)")
	fs.StringVar(&opts.SCIM, "listen-scim", "127.0.0.1:0", "address of the sandbox SCIM service (loopback only)")
	fs.StringVar(&opts.EnvFile, "env-file", "", "also write the ORGCTL_* assignments that point orgctl at the sandbox to this file")
	return cmd
}

func runSandbox(ctx context.Context, f *factory, opts *sandboxOptions) error {
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Join(f.opts.StateDir, "sandbox", "zones")
	}
	onReload := func(err error) {
		if err != nil {
			f.warnf("sandbox: the edited zone files do not load, still serving the previous data: %v", err)
		} else if f.opts.Verbose {
			fmt.Fprintf(f.io.ErrOut, "orgctl: sandbox: reloaded the zone files in %s\n", dir)
		}
	}
	sb, err := sandbox.Start(sandbox.Options{Dir: dir, Resolver: opts.Resolver, Authoritative: opts.Auth, OnReload: onReload,
		Web: opts.Web, WebRoot: opts.WebRoot, SCIM: opts.SCIM})
	if err != nil {
		return usageError(err, "")
	}
	defer sb.Close()
	if opts.EnvFile != "" {
		if err := writeFileAtomic(opts.EnvFile, []byte(sb.Env())); err != nil {
			return fmt.Errorf("writing --env-file: %w", err)
		}
	}
	v := map[string]string{"zones": sb.Dir, "resolver": sb.Resolver.Addr, "authoritative": sb.Auth.Addr, "ns_port": sb.NSPort(),
		"web": sb.WebAddr, "web_root": sb.WebRoot, "connect_to": sb.ConnectTo(), "flags": sb.Flags(),
		"scim_url": sb.SCIMURL, "scim_token": sb.SCIMToken}
	err = f.printer().Print(v, func(t *textOut) {
		w := t.W
		fmt.Fprintf(w, "sandbox: serving the zone files in %s\n", sb.Dir)
		fmt.Fprintf(w, "  resolver:       %s (udp, tcp)\n", sb.Resolver.Addr)
		fmt.Fprintf(w, "  authoritative:  %s (udp, tcp)\n", sb.Auth.Addr)
		fmt.Fprintf(w, "  web:            %s (http, a directory per host in %s)\n", sb.WebAddr, sb.WebRoot)
		fmt.Fprintf(w, "  scim:           %s (in memory; token %s)\n", sb.SCIMURL, sb.SCIMToken)
		fmt.Fprintf(w, "point orgctl at it with:\n  %s\nor:\n", sb.Flags())
		fmt.Fprintf(w, "  export ORGCTL_RESOLVER=%s ORGCTL_NS_PORT=%s ORGCTL_CONNECT_TO=%s\n", sb.Resolver.Addr, sb.NSPort(), sb.ConnectTo())
		fmt.Fprintf(w, "  export ORGCTL_SCIM_URL=%s ORGCTL_SCIM_TOKEN=%s\n", sb.SCIMURL, sb.SCIMToken)
		fmt.Fprintf(w, "edit a zone file to publish a record, or add a file to the web root; Ctrl-C stops the sandbox\n")
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	if opts.EnvFile != "" {
		_ = os.Remove(opts.EnvFile)
	}
	// Interrupting is the way to stop a sandbox: it ends normally.
	return nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so that a reader never sees half of it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".orgctl-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
