package verify

import (
	"context"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// MaxIdleConns bounds the idle UDP sockets a ConnPool keeps per server.
const MaxIdleConns = 256

// ConnPool is an Exchanger for bulk runs that keeps its UDP sockets open
// between exchanges, one per exchange in flight, instead of opening and
// closing one for every query: at thousands of queries a second, those
// system calls were most of orgctl's CPU time (docs/performance.md). A
// socket that saw any error, a timeout included, is closed, so that a
// late answer can never be read as the answer to a later question; TCP
// exchanges use a connection each, as Checker's default does.
//
// A ConnPool is safe for concurrent use; Close closes its idle sockets.
type ConnPool struct {
	client *dns.Client

	mu     sync.Mutex
	idle   map[string][]*dns.Conn
	closed bool
}

// NewConnPool returns a ConnPool whose exchanges time out after timeout
// (0 is DefaultTimeout) and advertise udpSize (0 is DefaultUDPSize).
func NewConnPool(timeout time.Duration, udpSize uint16) *ConnPool {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if udpSize == 0 {
		udpSize = DefaultUDPSize
	}
	return &ConnPool{client: &dns.Client{Net: "udp", Timeout: timeout, UDPSize: udpSize}, idle: map[string][]*dns.Conn{}}
}

// Exchange sends m to addr over network and returns the reply.
func (p *ConnPool) Exchange(ctx context.Context, m *dns.Msg, network, addr string) (*dns.Msg, time.Duration, error) {
	if network != "udp" {
		return netExchanger{timeout: p.client.Timeout, udpSize: p.client.UDPSize}.Exchange(ctx, m, network, addr)
	}
	co := p.get(addr)
	if co == nil {
		var err error
		if co, err = p.client.DialContext(ctx, addr); err != nil {
			return nil, 0, err
		}
	}
	r, rtt, err := p.client.ExchangeWithConnContext(ctx, m, co)
	if err != nil {
		co.Close()
		return nil, rtt, err
	}
	p.put(addr, co)
	return r, rtt, nil
}

func (p *ConnPool) get(addr string) *dns.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[addr]
	if len(list) == 0 {
		return nil
	}
	co := list[len(list)-1]
	p.idle[addr] = list[:len(list)-1]
	return co
}

func (p *ConnPool) put(addr string, co *dns.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle[addr]) >= MaxIdleConns {
		co.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], co)
}

// Close closes the idle sockets; exchanges in flight close theirs when
// they end.
func (p *ConnPool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for addr, list := range p.idle {
		for _, co := range list {
			co.Close()
		}
		delete(p.idle, addr)
	}
	return nil
}
