package scimtest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
)

// BasePath is the path the SCIM endpoints are under.
const BasePath = "/scim/v2"

// Options are the behaviours and fault switches of a Handler. The zero
// value is a well-behaved server without authentication.
//
// The fault switches count requests: the first request after NewHandler or
// SetOptions is number 1, and every request to a path not listed in
// ExemptPaths counts, whatever its method, and whether or not it would
// fail otherwise. When request n is due for several faults, ResetEvery
// wins, then TooManyEvery, then FailEvery. A faulted request is not
// carried out; faults come before authentication.
type Options struct {
	// Token is the bearer token requests must carry ("Authorization:
	// Bearer TOKEN"); "" turns authentication off. A request without it or
	// with another answers 401, on every endpoint, discovery included.
	Token string

	// Latency is waited before every response, exempt paths included.
	Latency time.Duration

	// TooManyEvery makes every Nth request answer 429 with a Retry-After
	// header of RetryAfter.
	TooManyEvery int
	// RetryAfter is the value of that header: seconds ("1", the default)
	// or an HTTP date.
	RetryAfter string

	// FailEvery makes every Nth request answer FailStatus (default 503)
	// with a SCIM error body.
	FailEvery  int
	FailStatus int

	// ResetEvery makes every Nth request end with the connection reset
	// (closed without a response) after its body was read.
	ResetEvery int

	// ExemptPaths lists paths below BasePath, such as
	// "/ServiceProviderConfig" or "/Schemas", that the fault switches skip
	// and that do not count. A path covers the paths below it.
	ExemptPaths []string

	// MaxCount caps the page size of list responses; 0 means 200. The
	// default page size is 100, or MaxCount when that is smaller.
	MaxCount int
	// MisreportItemsPerPage makes itemsPerPage give the count the client
	// asked for (or the default one) instead of the number of resources
	// returned, as some servers do.
	MisreportItemsPerPage bool
	// IgnoreStartIndex serves every list from the first matching resource,
	// while still echoing the startIndex the client asked for.
	IgnoreStartIndex bool
	// NotFoundOnEmptyFilter answers 404 instead of an empty ListResponse
	// when a filter matches nothing.
	NotFoundOnEmptyFilter bool

	// StrictPatch makes PATCH reject with 400 what lenient servers accept
	// and RFC 7644 does not allow: an op not in lower case ("Replace"), a
	// string for a boolean attribute ("True"), a remove with a value
	// (members to remove belong in the path: members[value eq "…"]), and a
	// path-less add or replace whose value has a path as a key
	// ("name.givenName"). Without it, PATCH accepts all of these.
	StrictPatch bool
}

func (o Options) maxCount() int {
	if o.MaxCount > 0 {
		return o.MaxCount
	}
	return 200
}

func (o Options) defaultCount() int { return min(100, o.maxCount()) }

func (o Options) failStatus() int {
	if o.FailStatus > 0 {
		return o.FailStatus
	}
	return http.StatusServiceUnavailable
}

func (o Options) retryAfter() string {
	if o.RetryAfter != "" {
		return o.RetryAfter
	}
	return "1"
}

// exempt reports whether requests to path escape the fault switches.
func (o Options) exempt(path string) bool {
	rel, ok := strings.CutPrefix(path, BasePath)
	return ok && slices.ContainsFunc(o.ExemptPaths, func(e string) bool {
		e = strings.TrimSuffix(e, "/")
		return rel == e || strings.HasPrefix(rel, e+"/")
	})
}

// Request is a request the server received.
type Request struct {
	Method   string
	Path     string // as received, BasePath included
	RawQuery string
	Header   http.Header
	Body     []byte // the bytes received, exactly
	// Status is the status of the response; 0 when there was none: the
	// connection was reset, or the client went away first.
	Status int
}

// Server is a SCIM service provider listening on 127.0.0.1, like an
// httptest.Server. Its methods, promoted from Handler, are safe for
// concurrent use.
type Server struct {
	*Handler
	// URL is the base URL of the SCIM endpoints, like
	// "http://127.0.0.1:PORT/scim/v2".
	URL string

	srv *httptest.Server
}

// NewServer starts a server on a free port of 127.0.0.1. Close stops it.
func NewServer(opts Options) *Server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("scimtest: failed to listen on 127.0.0.1: %v", err))
	}
	s := &Server{URL: "http://" + l.Addr().String() + BasePath}
	s.Handler = NewHandler(opts)
	s.Handler.base = s.URL
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: s.Handler}}
	s.srv.Start()
	return s
}

// Client returns an HTTP client for the server, whose idle connections
// Close closes.
func (s *Server) Client() *http.Client {
	return s.srv.Client()
}

// Close stops the server; requests in progress, such as those waiting out
// Latency, are cut off.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}
