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
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], systemIO()))
}

// run executes one command line and returns the exit code. The first
// SIGINT or SIGTERM cancels the run, which then ends cleanly between
// requests; a second one ends the process at once (exit 130), whatever it
// is waiting for.
func run(args []string, io *IOStreams) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		cancel()
		if _, ok := <-sigs; ok {
			fmt.Fprintln(io.ErrOut, "orgctl: interrupted again: stopping now")
			os.Exit(exitInterrupted)
		}
	}()
	return execute(ctx, args, io, os.LookupEnv)
}
