// Command barelookup is make bench's stand-in for zdns, the fastest
// open-source bulk resolver, which neither the Go module proxy nor
// Debian serves here: the bare lookup zdns makes with --name-servers,
// one TXT query a name to one recursive resolver, from a pool of
// worker threads (zdns's 100 in the issue), each on a socket of its own,
// a timeout retried like dig's +tries. It checks nothing: it is the
// resolver's own limit, against which orgctl's full check is measured.
//
//	barelookup -server 127.0.0.1:5392 -threads 100 <names.txt
//
// It prints one line a name (the name, the rcode, the TXT records
// answered) and a summary on stderr.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

func main() {
	server := flag.String("server", "127.0.0.1:53", "recursive resolver HOST:PORT")
	threads := flag.Int("threads", 100, "queries in flight at once")
	timeout := flag.Duration("timeout", 2*time.Second, "wait this long for an answer")
	tries := flag.Int("tries", 3, "send a query this many times before giving up on a name")
	flag.Parse()
	if *threads < 1 || *tries < 1 {
		fmt.Fprintln(os.Stderr, "barelookup: -threads and -tries must be at least 1")
		os.Exit(2)
	}

	names := make(chan string, *threads)
	lines := make(chan string, *threads)
	var failed, answered int
	var wg sync.WaitGroup
	for range *threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{server: *server, timeout: *timeout, tries: *tries}
			defer w.close()
			for name := range names {
				lines <- w.lookup(name)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		out := bufio.NewWriter(os.Stdout)
		for l := range lines {
			if strings.Contains(l, " NOERROR") {
				answered++
			} else {
				failed++
			}
			out.WriteString(l)
			out.WriteByte('\n')
		}
		out.Flush()
		close(done)
	}()

	start := time.Now()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if n := strings.TrimSpace(in.Text()); n != "" {
			names <- n
		}
	}
	close(names)
	wg.Wait()
	close(lines)
	<-done
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "barelookup: %d answered, %d failed in %.2fs: %.0f names/s\n",
		answered, failed, d.Seconds(), float64(answered+failed)/d.Seconds())
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "barelookup: reading stdin:", err)
		os.Exit(1)
	}
}

// worker asks over a connected UDP socket of its own, made again after
// a timeout (a late answer must not be read as the next name's).
type worker struct {
	server  string
	timeout time.Duration
	tries   int
	conn    *dns.Conn
}

func (w *worker) lookup(name string) string {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	m.SetEdns0(1232, false)
	var err error
	for range w.tries {
		if w.conn == nil {
			var c net.Conn
			if c, err = net.Dial("udp", w.server); err != nil {
				continue
			}
			w.conn = &dns.Conn{Conn: c, UDPSize: 1232}
		}
		m.Id = dns.Id()
		var r *dns.Msg
		if r, err = w.exchange(m); err == nil {
			var txt []string
			for _, rr := range r.Answer {
				if t, ok := rr.(*dns.TXT); ok {
					txt = append(txt, strings.Join(t.Txt, ""))
				}
			}
			return fmt.Sprintf("%s %s %s", name, dns.RcodeToString[r.Rcode], strings.Join(txt, " "))
		}
		w.close()
	}
	return fmt.Sprintf("%s FAILED %v", name, err)
}

func (w *worker) exchange(m *dns.Msg) (*dns.Msg, error) {
	_ = w.conn.SetDeadline(time.Now().Add(w.timeout))
	if err := w.conn.WriteMsg(m); err != nil {
		return nil, err
	}
	for {
		r, err := w.conn.ReadMsg()
		if err != nil {
			return nil, err
		}
		if r.Id == m.Id {
			return r, nil
		}
	}
}

func (w *worker) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}
