package main

import (
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/orgctl/orgctl/cmd/orgctl/internal/sandbox"
	"github.com/orgctl/orgctl/scim/scimtest"
	"github.com/orgctl/orgctl/verify/verifytest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"orgctl": func() { os.Exit(run(os.Args[1:], systemIO())) },
	})
}

// TestScript runs the end-to-end scripts in testdata/script against the
// real binary. Custom commands:
//
//	dnsserver [-recursive] [-refuse] [-drop] [-servfail] [-noaa] [-notcp] [-maxudp N] NAME FILE...
//	    serve the zone files on 127.0.0.1 and set $NAME to the address
//	    and $NAME_PORT to its port
//	webserver NAME DIR
//	    serve DIR/<host>/<path> over HTTP on 127.0.0.1 (as the sandbox
//	    does) and set $NAME to the address and $NAME_PORT to its port
//	scimserver [-strict] [-token T] NAME
//	    serve an in-process SCIM service (scimtest) on 127.0.0.1 and set
//	    $NAME_URL to its base URL and $NAME_TOKEN to its bearer token
//	exitcode N PROGRAM ARGS...
//	    run PROGRAM and require exit status N (stdout and stderr are kept
//	    for the stdout/stderr commands)
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".state"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("NO_COLOR", "")
			env.Setenv("ORGCTL_SYSTEM_RESOLVER", "none") // never the machine's resolvers
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"dnsserver":  cmdDNSServer,
			"exitcode":   cmdExitCode,
			"webserver":  cmdWebServer,
			"scimserver": cmdSCIMServer,
		},
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
	})
}

func cmdDNSServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! dnsserver")
	}
	var opts verifytest.Options
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-recursive":
			opts.Recursive = true
		case "-refuse":
			opts.Refuse = true
		case "-drop":
			opts.Drop = true
		case "-servfail":
			opts.ServFail = true
		case "-noaa":
			opts.NoAA = true
		case "-notcp":
			opts.NoTCP = true
		case "-maxudp":
			if len(args) < 2 {
				ts.Fatalf("usage: -maxudp N")
			}
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			opts.MaxUDP = n
			args = args[1:]
		default:
			ts.Fatalf("dnsserver: unknown option %s", args[0])
		}
		args = args[1:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: dnsserver [options] NAME ZONEFILE...")
	}
	var zones []string
	for _, f := range args[1:] {
		zones = append(zones, ts.ReadFile(f))
	}
	s, err := verifytest.NewServer(opts, zones...)
	ts.Check(err)
	ts.Defer(func() { s.Close() })
	ts.Setenv(args[0], s.Addr)
	ts.Setenv(args[0]+"_PORT", s.Addr[strings.LastIndex(s.Addr, ":")+1:])
}

func cmdWebServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: webserver NAME DIR")
	}
	srv := httptest.NewServer(sandbox.WebRoot(ts.MkAbs(args[1])))
	ts.Defer(srv.Close)
	addr := srv.Listener.Addr().String()
	ts.Setenv(args[0], addr)
	ts.Setenv(args[0]+"_PORT", addr[strings.LastIndex(addr, ":")+1:])
}

func cmdSCIMServer(ts *testscript.TestScript, neg bool, args []string) {
	opts := scimtest.Options{Token: "t0ken-" + strconv.Itoa(os.Getpid())}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-token" && len(args) > 1:
			opts.Token = args[1]
			args = args[1:]
		default:
			ts.Fatalf("scimserver: unknown option %s", args[0])
		}
		args = args[1:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: scimserver [-token T] NAME")
	}
	srv := scimtest.NewServer(opts)
	ts.Defer(srv.Close)
	ts.Setenv(args[0]+"_URL", srv.URL)
	ts.Setenv(args[0]+"_TOKEN", opts.Token)
}

func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
