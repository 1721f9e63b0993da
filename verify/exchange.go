package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Exchanger sends one DNS message to addr over network ("udp" or "tcp") and
// returns the reply. The default sends it over the network with
// miekg/dns; tests substitute one that redirects addresses to in-process
// servers.
type Exchanger interface {
	Exchange(ctx context.Context, m *dns.Msg, network, addr string) (*dns.Msg, time.Duration, error)
}

// netExchanger is the default Exchanger.
type netExchanger struct {
	timeout time.Duration
	udpSize uint16
}

func (e netExchanger) Exchange(ctx context.Context, m *dns.Msg, network, addr string) (*dns.Msg, time.Duration, error) {
	c := &dns.Client{Net: network, Timeout: e.timeout, UDPSize: e.udpSize}
	return c.ExchangeContext(ctx, m, addr)
}

// Defaults of a Checker (DESIGN.md §7).
const (
	DefaultTimeout = 2 * time.Second
	DefaultTries   = 3
	DefaultUDPSize = 1232
	DefaultNSPort  = 53
	MaxCNAMEHops   = 16
)

func (c *Checker) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Checker) tries() int {
	if c.Tries > 0 {
		return c.Tries
	}
	return DefaultTries
}

func (c *Checker) udpSize() uint16 {
	if c.UDPSize > 0 {
		return c.UDPSize
	}
	return DefaultUDPSize
}

func (c *Checker) exchanger() Exchanger {
	if c.Exchanger != nil {
		return c.Exchanger
	}
	return netExchanger{timeout: c.timeout(), udpSize: c.udpSize()}
}

func (c *Checker) tracef(format string, args ...any) {
	if c.Trace != nil {
		c.Trace(format, args...)
	}
}

// reply is one server's answer to one question, after retries and the TCP
// fallback.
type reply struct {
	msg       *dns.Msg
	transport string
	truncated bool // the UDP reply had TC=1
	rtt       time.Duration
	err       error // no reply at all
	tcpErr    error // TC=1 over UDP and TCP failed
}

// question is one DNS question and how to ask it.
type question struct {
	name  string
	qtype uint16
	rd    bool // recursion desired: asked of a resolver
	cd    bool // checking disabled: a validating resolver skips DNSSEC
	// tries bounds the exchanges on timeouts; 0 is the Checker's.
	tries int
}

// query asks addr one question, retrying timeouts and network errors,
// with EDNS0 and a TCP retry when the UDP answer is truncated.
func (c *Checker) query(ctx context.Context, addr string, q question) reply {
	name, qtype, tries := q.name, q.qtype, q.tries
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = q.rd
	m.CheckingDisabled = q.cd
	m.SetEdns0(c.udpSize(), false)

	r := c.exchange(ctx, m, "udp", addr, tries)
	if r.err == nil && (r.msg.Rcode == dns.RcodeFormatError || r.msg.Rcode == dns.RcodeNotImplemented) && r.msg.IsEdns0() == nil {
		// A server from before EDNS (RFC 6891 §7): ask again without it.
		c.tracef("%s: %s answered %s to EDNS, retrying without", addr, name, dns.RcodeToString[r.msg.Rcode])
		m.Extra = nil
		r = c.exchange(ctx, m, "udp", addr, tries)
	}
	if r.err != nil || !r.msg.Truncated {
		return r
	}
	c.tracef("%s: %s %s truncated over UDP, retrying over TCP", addr, name, dns.TypeToString[qtype])
	t := c.exchange(ctx, m, "tcp", addr, tries)
	if t.err != nil {
		r.tcpErr = t.err
		r.truncated = true
		return r
	}
	t.truncated = true
	return t
}

// exchange sends m to addr over network, up to tries times (0: the
// Checker's Tries) while the failure is a timeout or a network error.
func (c *Checker) exchange(ctx context.Context, m *dns.Msg, network, addr string, tries int) reply {
	if tries <= 0 {
		tries = c.tries()
	}
	var last error
	for try := 0; try < tries; try++ {
		if err := ctxErr(ctx); err != nil {
			return reply{err: err}
		}
		var pace *serverPace
		var sent time.Time
		if c.Pacer != nil {
			var err error
			if pace, sent, err = c.Pacer.start(ctx, addr); err != nil {
				return reply{err: err}
			}
		}
		m.Id = dns.Id()
		ectx, cancel := context.WithTimeout(ctx, c.timeout())
		start := time.Now()
		resp, rtt, err := c.exchanger().Exchange(ectx, m, network, addr)
		cancel()
		if pace != nil {
			if ctxErr(ctx) != nil {
				sent = time.Time{} // cut short: says nothing of the server
			}
			c.Pacer.end(pace, sent, err != nil && isTimeout(err))
		}
		if rtt == 0 {
			rtt = time.Since(start)
		}
		if err == nil && resp != nil {
			c.tracef("%s %s: %s %s → %s (%d answers, %s)", network, addr, m.Question[0].Name,
				dns.TypeToString[m.Question[0].Qtype], dns.RcodeToString[resp.Rcode], len(resp.Answer), rtt.Round(time.Millisecond))
			return reply{msg: resp, transport: network, rtt: rtt}
		}
		if err == nil {
			err = errors.New("empty reply")
		}
		last = err
		c.tracef("%s %s: %s %s: try %d: %v", network, addr, m.Question[0].Name, dns.TypeToString[m.Question[0].Qtype], try+1, err)
		if !retryable(err) || ctxErr(ctx) != nil {
			break
		}
	}
	return reply{err: describe(last, network)}
}

// retryable reports whether an exchange error may go away on another try:
// timeouts and network errors, not malformed answers.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, net.ErrClosed)
}

// describe turns an exchange error into words for findings.
func describe(err error, network string) error {
	if err == nil {
		return nil
	}
	if isTimeout(err) {
		return fmt.Errorf("no answer over %s (timeout)", network)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("connection refused over %s (nothing listens on that port)", network)
	}
	return fmt.Errorf("%s: %w", network, err)
}

// isTimeout reports whether err says an exchange got no answer in time.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ctxErr is ctx.Err(), but also reports a deadline that has passed before
// ctx's timer fired: a socket deadline taken from ctx can expire first.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// edeOf returns the extended DNS errors (RFC 8914) of m.
func edeOf(m *dns.Msg) []ExtendedError {
	if m == nil {
		return nil
	}
	opt := m.IsEdns0()
	if opt == nil {
		return nil
	}
	var out []ExtendedError
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			out = append(out, ExtendedError{Code: e.InfoCode, Name: dns.ExtendedErrorCodeToString[e.InfoCode], Text: e.ExtraText})
		}
	}
	return out
}

// edeSuffix formats extended errors for a message: " (EDE 7 …)".
func edeSuffix(ede []ExtendedError) string {
	if len(ede) == 0 {
		return ""
	}
	parts := make([]string, len(ede))
	for i, e := range ede {
		parts[i] = e.String()
	}
	return " (" + strings.Join(parts, "; ") + ")"
}
