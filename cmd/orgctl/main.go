// Command orgctl proves that an organization owns its e-mail domains and
// provisions its users to a SaaS provider over SCIM 2.0.
//
// This package is the command-line glue only: it parses flags into
// options, calls the libraries (verify, codegen, internal/store) and
// prints their results. Run `orgctl help` for the commands and
// `orgctl help exit-codes` for what its exit status means.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], systemIO()))
}

// run executes one command line and returns the exit code.
func run(args []string, io *IOStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return execute(ctx, args, io, os.LookupEnv)
}
