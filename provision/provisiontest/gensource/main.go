// Command gensource writes a generated source of users (see
// provisiontest) to stdout or a file, for benchmarks of whole runs:
//
//	go run ./provision/provisiontest/gensource -users 1000000 -o users.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/orgctl/orgctl/provision/provisiontest"
)

func main() {
	users := flag.Int("users", 10000, "number of users")
	groups := flag.Int("groups", 30, "number of groups")
	seed := flag.Uint64("seed", 1, "seed of the generator")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	if err := run(*out, provisiontest.Options{Users: *users, Groups: *groups, Seed: *seed}); err != nil {
		fmt.Fprintln(os.Stderr, "gensource:", err)
		os.Exit(1)
	}
}

func run(out string, o provisiontest.Options) error {
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	if err := provisiontest.WriteCSV(bw, o); err != nil {
		return err
	}
	return bw.Flush()
}
