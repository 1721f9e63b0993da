package verifytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Options are the fault switches and behaviours of a Server. The zero value
// is a well-behaved authoritative server. When several faults are on, Drop
// wins, then NoTCP (for TCP), then Refuse, then ServFail.
type Options struct {
	// Recursive makes the server act as a recursive resolver over all held
	// zones: replies, whether or not the query has RD=1, have RA=1 and AA=0,
	// and CNAMEs are chased across held zones (up to 16 hops). A chain that loops, runs too long, or leaves the
	// held zones, and a name under a delegation to a zone that is not held,
	// get SERVFAIL: a resolver without the internet could not finish either.
	// Without Recursive the server is authoritative only (AA=1, RA=0) and
	// follows a CNAME only inside the same zone, like BIND.
	Recursive bool

	// Refuse answers every query with REFUSED, like a lame server.
	Refuse bool

	// ServFail answers every query with SERVFAIL.
	ServFail bool

	// ServFailEDE, with ServFail, makes the server behave like a validating
	// resolver facing a DNSSEC-bogus zone: the SERVFAIL carries this extended
	// DNS error (RFC 8914) when the query has EDNS, and a query with CD=1 is
	// answered normally.
	ServFailEDE *dns.EDNS0_EDE

	// Drop reads queries and never answers, like an unreachable server:
	// clients time out. Queries are still logged.
	Drop bool

	// NoAA clears the AA bit on authoritative answers, like a lame server.
	NoAA bool

	// NoTCP closes every TCP connection without answering, so TCP clients
	// fail. The port stays bound so that the option can be switched off again.
	NoTCP bool

	// MaxUDP caps the size of UDP responses below what the client allows (its
	// EDNS0 buffer size, or 512 bytes without EDNS); 0 means no extra cap. A
	// response that does not fit is sent with TC=1 and no records (except the
	// OPT), so the client retries over TCP, which always gets everything.
	MaxUDP int

	// NoEDNS makes the server one from before EDNS (RFC 6891 §7): it
	// answers FORMERR, without an OPT record, to queries that carry one.
	NoEDNS bool

	// OnReload, if set, is called after every reload of a LoadDir directory
	// that ReloadIfChanged or a query triggered, with nil or the reason the
	// old data is still being served. It runs on the goroutine that found
	// the change and must not block for long.
	OnReload func(err error)
}

// Query is one query the server received.
type Query struct {
	Name string // as received, case preserved
	Type uint16
	Net  string // "udp" or "tcp"
	RD   bool   // recursion desired
	CD   bool   // checking disabled
	DO   bool   // DNSSEC OK (EDNS0)
	Time time.Time
}

// String formats q like "udp example.com. TXT +rd".
func (q Query) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", q.Net, q.Name, dns.Type(q.Type))
	for _, f := range []struct {
		on   bool
		name string
	}{{q.RD, " +rd"}, {q.CD, " +cd"}, {q.DO, " +do"}} {
		if f.on {
			b.WriteString(f.name)
		}
	}
	return b.String()
}

// maxQueries bounds the query log of a long-running server; the oldest tenth
// goes when it is full.
const maxQueries = 10000

// Server is a DNS server on a loopback address that serves zones from
// zone-file text over UDP and TCP on the same port. Its methods are safe for
// concurrent use.
type Server struct {
	// Addr is the address the server listens on, such as "127.0.0.1:PORT", for
	// UDP and TCP alike.
	Addr string

	udp, tcp   *dns.Server
	udpc, tcpc chan error // the servers' ActivateAndServe results

	mu    sync.RWMutex // guards opts and zones
	opts  Options
	zones zoneSet

	qmu     sync.Mutex // guards queries
	queries []Query

	rmu     sync.Mutex // guards the LoadDir state; held while reloading
	dir     string
	sig     map[string]fileSig
	checked time.Time
	lastErr error

	closeOnce sync.Once
	closeErr  error
}

// NewServer starts a server on 127.0.0.1 at a free port, serving zones, each
// the text of a zone file. A zone's origin is the owner of its SOA record;
// without an SOA, the first $ORIGIN line gives it and an SOA is made up
// (MINIMUM 60). A record without a TTL takes the $TTL, else the previous
// record's TTL, else 3600. $INCLUDE is not allowed. Like BIND, the server
// rejects data outside the origin, a CNAME next to other data, and a zone
// given twice.
func NewServer(opts Options, zones ...string) (*Server, error) {
	return NewServerAt("127.0.0.1:0", opts, zones...)
}

// NewServerAt is like NewServer but listens on addr, such as
// "127.0.0.1:5353". The host must be a loopback address: the server is a test
// and sandbox tool and is never reachable from other machines. With port 0 the
// server picks a port that is free for both UDP and TCP.
func NewServerAt(addr string, opts Options, zones ...string) (*Server, error) {
	zs, err := parseZones(zones)
	if err != nil {
		return nil, err
	}
	pc, l, err := listen(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Addr:  pc.LocalAddr().String(),
		opts:  copyOptions(opts),
		zones: zs,
	}
	if err := s.start(pc, l); err != nil {
		return nil, err
	}
	return s, nil
}

// listen binds UDP and then TCP to the same loopback port. When the port is
// chosen by the system, someone may hold it for TCP; then it tries again.
func listen(addr string) (*net.UDPConn, *net.TCPListener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("verifytest: %w", err)
	}
	if host == "" || strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, nil, fmt.Errorf("verifytest: %s is not a loopback address", host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, nil, fmt.Errorf("verifytest: bad port %q", port)
	}
	tries := 1
	if p == 0 {
		tries = 10
	}
	var lastErr error
	for range tries {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: int(p)})
		if err != nil {
			return nil, nil, fmt.Errorf("verifytest: %w", err)
		}
		l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: pc.LocalAddr().(*net.UDPAddr).Port})
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("verifytest: %w", lastErr)
}

// start serves on pc and l and returns once both serve.
func (s *Server) start(pc net.PacketConn, l net.Listener) error {
	mux := dns.NewServeMux()
	mux.HandleFunc(".", s.serveDNS)
	s.udp = &dns.Server{PacketConn: pc, Handler: mux, UDPSize: dns.DefaultMsgSize}
	s.tcp = &dns.Server{Listener: tcpListener{l, s}, Handler: mux}
	s.udpc = make(chan error, 1)
	s.tcpc = make(chan error, 1)

	if err := serve(s.udp, s.udpc); err != nil {
		pc.Close()
		l.Close()
		return fmt.Errorf("verifytest: serve udp: %w", err)
	}
	if err := serve(s.tcp, s.tcpc); err != nil {
		l.Close()
		s.udp.Shutdown()
		<-s.udpc
		return fmt.Errorf("verifytest: serve tcp: %w", err)
	}
	return nil
}

// serve runs srv until shut down, sending the result to done, and returns
// once it is listening or failed to.
func serve(srv *dns.Server, done chan<- error) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	go func() {
		err := srv.ActivateAndServe()
		errc <- err
		done <- err
	}()
	select {
	case <-started:
		return nil
	case err := <-errc:
		return err
	}
}

// tcpListener closes connections at once while NoTCP is set.
type tcpListener struct {
	net.Listener
	s *Server
}

// Accept returns the next connection the server should serve.
func (l tcpListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.s.options().NoTCP {
			return c, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // reset, so the client fails fast
		}
		c.Close()
	}
}

// SetZones atomically replaces the served zones, given as zone-file text as
// for NewServer. On error the old zones stay. It ends the watching of a
// LoadDir directory.
func (s *Server) SetZones(zones ...string) error {
	zs, err := parseZones(zones)
	if err != nil {
		return err
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.dir, s.sig, s.lastErr = "", nil, nil
	s.setZones(zs)
	return nil
}

func (s *Server) setZones(zs zoneSet) {
	s.mu.Lock()
	s.zones = zs
	s.mu.Unlock()
}

// Zones returns the origins of the served zones, sorted.
func (s *Server) Zones() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.zones.origins()
}

// SetOptions replaces the options; queries that arrive afterwards see them.
func (s *Server) SetOptions(opts Options) {
	opts = copyOptions(opts)
	s.mu.Lock()
	s.opts = opts
	s.mu.Unlock()
}

// copyOptions copies what opts points to, so the caller may reuse it.
func copyOptions(opts Options) Options {
	if opts.ServFailEDE != nil {
		ede := *opts.ServFailEDE
		opts.ServFailEDE = &ede
	}
	return opts
}

func (s *Server) options() Options {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.opts
}

// Queries returns the queries received so far, oldest first. A long-running
// server keeps only the latest few thousand.
func (s *Server) Queries() []Query {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return append([]Query(nil), s.queries...)
}

func (s *Server) logQuery(q Query) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if len(s.queries) >= maxQueries {
		n := copy(s.queries, s.queries[maxQueries/10:])
		s.queries = s.queries[:n]
	}
	s.queries = append(s.queries, q)
}

// Close stops the server, waiting up to 5 seconds for queries in progress. It
// may be called more than once; later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		for _, x := range []struct {
			srv  *dns.Server
			done chan error
		}{{s.udp, s.udpc}, {s.tcp, s.tcpc}} {
			if err := x.srv.ShutdownContext(ctx); err != nil {
				errs = append(errs, err)
				continue
			}
			select {
			case err := <-x.done:
				if err != nil {
					errs = append(errs, err)
				}
			case <-ctx.Done():
				errs = append(errs, ctx.Err())
			}
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("verifytest: close %s: %w", s.Addr, err)
		}
	})
	return s.closeErr
}
