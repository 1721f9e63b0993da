package scim

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Config (DESIGN.md §7).
const (
	DefaultTimeout         = 60 * time.Second
	DefaultUserAgent       = "orgctl"
	DefaultPageSize        = 100
	DefaultMaxPages        = 10000
	DefaultMembersPerPatch = 100
	DefaultAttempts        = 5
	DefaultBackoffBase     = 500 * time.Millisecond
	DefaultBackoffMax      = 30 * time.Second
	DefaultMaxRetryAfter   = 60 * time.Second
)

// Config says where the SCIM service is and how to talk to it. Zero
// fields take the defaults above. Printing a Config never shows the token.
type Config struct {
	// URL is the service's base URL, e.g. https://scim.example.com/scim/v2;
	// /Users, /Groups and the discovery endpoints are below it. It must be
	// https, except to a loopback host (127.0.0.0/8, ::1, localhost), and
	// must not carry credentials, a query or a fragment.
	URL string
	// Token is the bearer token, sent only in the Authorization header.
	Token Token
	// CAFile names a PEM file of CA certificates to trust in addition to
	// the system's roots, or, with CAFileOnly, instead of them. TLS is
	// always verified.
	CAFile     string
	CAFileOnly bool
	// Timeout bounds each HTTP attempt, reading the body included.
	Timeout time.Duration
	// UserAgent is sent with every request, e.g. "orgctl/1.2.0".
	UserAgent string
	// PageSize is the count asked for per page of a list; the server's
	// filter.maxResults caps it.
	PageSize int
	// MaxPages bounds the pages of one list; reaching it is ErrPagination.
	MaxPages int
	// MembersPerPatch bounds the member values (AddMembers) or operations
	// (RemoveMembers) in one PATCH request.
	MembersPerPatch int
	// Retry bounds retries of failed attempts.
	Retry Retry
	// Connections is how many idle connections to the service are kept
	// open for reuse: one per worker of a concurrent caller (default 2,
	// net/http's).
	Connections int
	// OnRequest, when set, is called after every HTTP attempt (for -v
	// tracing), from the goroutine making the request: it must be safe
	// for concurrent use when the Client is.
	OnRequest func(RequestInfo)
}

// Retry says how failed attempts are retried: 429 (after Retry-After when
// given), 500, 502, 503, 504, timeouts and broken connections, with
// exponential backoff and full jitter (a delay drawn uniformly from 0 to
// min(Max, Base·2^(n-1)) before attempt n+1). Zero fields take the
// defaults; Attempts 1 turns retries off.
type Retry struct {
	Attempts      int           // attempts per request, the first included (default 5)
	Base          time.Duration // first backoff bound (default 500 ms)
	Max           time.Duration // largest backoff bound (default 30 s)
	MaxRetryAfter time.Duration // longest Retry-After waited for; a longer one ends the request (default 60 s)
}

// RequestInfo describes one HTTP attempt, for Config.OnRequest. It holds
// no header, body or token.
type RequestInfo struct {
	Method   string
	Path     string // e.g. /scim/v2/Users
	Query    string // the encoded query, e.g. filter=userName%20eq%20%22ann%22
	Attempt  int    // 1 for the first attempt
	Status   int    // 0 when there was no response
	Duration time.Duration
	Err      error         // nil when the attempt succeeded
	Retry    bool          // another attempt follows
	Wait     time.Duration // the delay before it
}

// Option sets what a Config does not: hooks for tests.
type Option func(*Client)

// WithSleep replaces the wait between attempts. sleep must return early
// with ctx.Err() when ctx is done. Tests pass one that records the delay
// and returns at once.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithClock replaces time.Now where the client needs the date: reading a
// Retry-After that is an HTTP date.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// WithTransport replaces the HTTP transport (and with it CAFile): for
// tests, or to route requests elsewhere.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.hc.Transport = rt }
}

// WithWrapTransport wraps the client's own transport (which carries
// CAFile and Connections) with wrap: a request pacer, a recorder. Unlike
// WithTransport it keeps what Config asked for.
func WithWrapTransport(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(c *Client) { c.hc.Transport = wrap(c.hc.Transport) }
}

// Client talks to one SCIM service. It is safe for concurrent use; what
// discovery finds is cached for its lifetime (one run). Create it with New.
type Client struct {
	root     string // scheme://host/path, no trailing slash
	rootPath string // the escaped path of root, for messages
	token    Token

	userAgent       string
	timeout         time.Duration
	pageSize        int
	maxPages        int
	membersPerPatch int
	retry           Retry
	onRequest       func(RequestInfo)

	hc    *http.Client
	sleep func(context.Context, time.Duration) error
	now   func() time.Time

	discLock chan struct{} // held while discovering; a channel so that waiting honours ctx
	disc     *Discovery
}

// New checks cfg and returns a Client. It sends nothing. Every error it
// returns is a configuration error (exit 2), except ErrNoToken, which
// matches ErrUnauthorized (exit 4).
func New(cfg Config, opts ...Option) (*Client, error) {
	base, err := checkURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Token.IsZero() {
		return nil, ErrNoToken
	}
	if strings.ContainsFunc(cfg.Token.value(), func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, errors.New("scim: the token holds white space, control or non-ASCII characters")
	}
	tlsConf, err := tlsConfig(cfg.CAFile, cfg.CAFileOnly)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.Connections > 0 {
		transport.MaxIdleConnsPerHost = cfg.Connections
	}
	transport.TLSClientConfig = tlsConf
	c := &Client{
		root:            strings.TrimSuffix(base.String(), "/"),
		rootPath:        strings.TrimSuffix(base.EscapedPath(), "/"),
		token:           cfg.Token,
		userAgent:       cmp.Or(cfg.UserAgent, DefaultUserAgent),
		timeout:         cmp.Or(cfg.Timeout, DefaultTimeout),
		pageSize:        cmp.Or(cfg.PageSize, DefaultPageSize),
		maxPages:        cmp.Or(cfg.MaxPages, DefaultMaxPages),
		membersPerPatch: cmp.Or(cfg.MembersPerPatch, DefaultMembersPerPatch),
		retry: Retry{
			Attempts:      cmp.Or(cfg.Retry.Attempts, DefaultAttempts),
			Base:          cmp.Or(cfg.Retry.Base, DefaultBackoffBase),
			Max:           cmp.Or(cfg.Retry.Max, DefaultBackoffMax),
			MaxRetryAfter: cmp.Or(cfg.Retry.MaxRetryAfter, DefaultMaxRetryAfter),
		},
		onRequest: cfg.OnRequest,
		hc: &http.Client{
			Transport: transport,
			// A SCIM API does not redirect; following one would resend the
			// request (and the token) elsewhere. The 3xx becomes an Error
			// that names the Location.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sleep:    sleep,
		now:      time.Now,
		discLock: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// String names the service, never the token.
func (c *Client) String() string { return "scim.Client(" + c.root + ")" }

// GoString is String, so that %#v does not dump the fields.
func (c *Client) GoString() string { return c.String() }

// URL returns the base URL requests go to.
func (c *Client) URL() string { return c.root }

// checkURL parses a base URL and refuses what would leak the token.
func checkURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("scim: no URL given (want the service's base URL, e.g. https://host/scim/v2)")
	}
	if !strings.Contains(raw, "://") {
		// url.Parse reads "127.0.0.1:8080/scim/v2" as a bad scheme and
		// "host/scim/v2" as a path: say what is missing instead.
		return nil, fmt.Errorf("scim: URL %q has no scheme: add https:// (https://%s), or http:// for a loopback host", raw, strings.TrimPrefix(raw, "//"))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("scim: URL %q: %w", raw, err)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("scim: URL %s carries credentials: give the token separately", u.Redacted())
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("scim: URL %s: want an https:// URL", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("scim: URL %s has no host", u.Redacted())
	case u.Port() != "" && !validPort(u.Port()):
		return nil, fmt.Errorf("scim: URL %s: port %s is not 1-65535", u.Redacted(), u.Port())
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("scim: URL %s: a base URL takes no query or fragment", u.Redacted())
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return nil, fmt.Errorf("scim: refusing %s: plain http is allowed only to loopback hosts (127.0.0.0/8, ::1, localhost); use https", u.Redacted())
	}
	return u, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig trusts the system roots plus caFile's certificates, or only
// them with only.
func tlsConfig(caFile string, only bool) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		if only {
			return nil, errors.New("scim: CAFileOnly needs a CAFile")
		}
		return conf, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("scim: reading the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !only {
		if sys, err := x509.SystemCertPool(); err == nil {
			pool = sys
		}
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("scim: CA file %s holds no PEM certificate", caFile)
	}
	conf.RootCAs = pool
	return conf, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
