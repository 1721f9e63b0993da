package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/verify/verifytest"
)

// BenchmarkVerifyStdin measures a whole `orgctl verify dns - -o jsonl`
// run over 100 domains read from stdin, with discovery through a resolver
// and one authoritative server, both in-process on loopback: flag and
// config handling, the checks (8 at a time), JSON output and the history
// written to the state store.
func BenchmarkVerifyStdin(b *testing.B) {
	var zone strings.Builder
	zone.WriteString("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns1.bench.test. h.bench.test. 1 3600 600 86400 60\n@ IN NS ns1.bench.test.\nns1 IN A 127.0.0.1\n")
	var list strings.Builder
	for i := range 100 {
		fmt.Fprintf(&zone, "d%d IN TXT \"%s\"\n", i, testCode)
		fmt.Fprintf(&list, "d%d.bench.test\n", i)
	}
	auth := verifytest.Start(b, verifytest.Options{}, zone.String())
	res := verifytest.Start(b, verifytest.Options{Recursive: true}, zone.String())
	_, port, _ := net.SplitHostPort(auth.Addr)
	state := b.TempDir()
	args := []string{"verify", "dns", "-", "-o", "jsonl", "--code", testCode,
		"--resolver", res.Addr, "--ns-port", port, "--state-dir", state}
	b.ReportAllocs()
	for b.Loop() {
		io, in, out, _ := testIO(false)
		in.WriteString(list.String())
		f := newFactory(io, func(string) (string, bool) { return "", false })
		if code := executeWith(context.Background(), f, args); code != 0 {
			b.Fatalf("exit %d", code)
		}
		if n := strings.Count(out.String(), "\n"); n != 100 {
			b.Fatalf("%d lines", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100, "µs/domain")
}

// BenchmarkProcessVerify runs the built binary as a user would, once per
// iteration: process start, config, one check with discovery through an
// in-process resolver and authoritative server, history written, exit.
func BenchmarkProcessVerify(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "orgctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	zone := "$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns1.bench.test. h.bench.test. 1 3600 600 86400 60\n" +
		"@ IN NS ns1.bench.test.\nns1 IN A 127.0.0.1\n@ IN TXT \"" + testCode + "\"\n"
	auth := verifytest.Start(b, verifytest.Options{}, zone)
	res := verifytest.Start(b, verifytest.Options{Recursive: true}, zone)
	_, port, _ := net.SplitHostPort(auth.Addr)
	state := b.TempDir()
	for b.Loop() {
		cmd := exec.Command(bin, "verify", "dns", "bench.test", "-q", "--code", testCode,
			"--resolver", res.Addr, "--ns-port", port, "--state-dir", state)
		cmd.Env = []string{"HOME=" + state}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkNewRoot measures building the command tree, which every
// command line pays for before it runs (part of `orgctl version`'s
// start-up, make bench (c)).
func BenchmarkNewRoot(b *testing.B) {
	io, _, _, _ := testIO(false)
	b.ReportAllocs()
	for b.Loop() {
		newRootCmd(newFactory(io, func(string) (string, bool) { return "", false }))
	}
}
