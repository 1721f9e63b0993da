package scimtest

import (
	"cmp"
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
// value is a well-behaved, strict server without authentication: strict as
// the strictest services orgctl meets, so that a client bug cannot pass
// in-process tests and fail against them. Lax and DuplicateMemberOnAdd
// imitate named lenient or faulty services.
//
// The fault switches count requests: the first request after NewHandler or
// SetOptions is number 1, and every request to a path not listed in
// ExemptPaths counts, whatever its method, and whether or not it would
// fail otherwise. When request n is due for several faults, GoneAfter wins,
// then ResetEvery, TooManyEvery, FailEvery and ResetAfterApplyEvery, in
// that order. A faulted request is not carried out, except under
// ResetAfterApplyEvery; faults come before authentication.
type Options struct {
	// Token is the bearer token requests must carry ("Authorization:
	// Bearer TOKEN"); "" turns authentication off. A request without it or
	// with another answers 401, on every endpoint, discovery included.
	Token string

	// Latency is waited before every response, exempt paths included.
	Latency time.Duration

	// TooManyEvery makes every Nth request answer 429 with a Retry-After
	// header of RetryAfter (or RetryAfterIn).
	TooManyEvery int
	// RetryAfter is the value of that header: seconds ("1", the default)
	// or an HTTP date, sent as it is.
	RetryAfter string
	// RetryAfterIn, when above zero, makes Retry-After the HTTP date this
	// long after the response, rounded up to a whole second (HTTP dates
	// have no fractions), so that a client honouring it never comes back
	// early. It overrides RetryAfter.
	RetryAfterIn time.Duration

	// FailEvery makes every Nth request answer FailStatus (default 503)
	// with a SCIM error body.
	FailEvery  int
	FailStatus int

	// ResetEvery makes every Nth request end with the connection reset
	// (closed without a response) after its body was read and before it
	// is carried out: nothing changes.
	ResetEvery int

	// ResetAfterApplyEvery makes every Nth request be carried out, a write
	// stored, and then end with the connection reset instead of the
	// response: the answer is lost although the request took effect, as
	// when a proxy or the network drops a response. A client that re-sends
	// a lost create this way makes a second group (group displayNames are
	// not unique) or meets 409 for a user.
	ResetAfterApplyEvery int

	// GoneAfter makes the service go away after that many counted
	// requests: every later request, to exempt paths too, has its
	// connection reset without an answer and is not carried out, until
	// SetOptions. The port keeps accepting connections, as a load balancer
	// does before a service that has died.
	GoneAfter int

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

	// Lax makes PATCH accept what a named lenient service accepts and RFC
	// 7644 does not allow. Its zero value accepts none of it.
	Lax Lax

	// DuplicateMemberOnAdd makes a PATCH add of a group member that is
	// already in the group append it again, so that the group lists it
	// twice, as elimity-com/scim based services do (their handlers append
	// what the library hands them). Without it a member added again is
	// kept once. Members listed twice in a POST or PUT are kept once
	// either way.
	DuplicateMemberOnAdd bool
}

// Lax lists the leniencies of PATCH that real services have and RFC 7644
// does not allow; each is off in the zero value, where such a request
// answers 400. A test that turns one on imitates a service that has it;
// LaxSCIMMY gives the set of scimmy, which orgctl's integration tests run.
//
// Microsoft Entra ID sends all four forms, which is why services meant for
// it accept them; a client written for every service must not.
type Lax struct {
	// OpCase accepts op in any case ("Replace", "ADD"), as scimmy 1.3.5
	// does; strict: 400 invalidSyntax.
	OpCase bool
	// StringBool accepts the strings "true" and "false", in any case, for
	// a boolean attribute in PATCH ("active":"False"), as services built
	// for Entra ID often do; scimmy and elimity-com/scim answer 400, as
	// does strict mode (invalidValue). POST and PUT take JSON booleans
	// only, either way.
	StringBool bool
	// DottedKeys accepts a path-less add or replace whose value has a path
	// as a key ({"name.givenName":"Al"}) and applies it as that path, as
	// scimmy 1.3.5 does; strict: 400 invalidSyntax.
	DottedKeys bool
	// RemoveValue accepts a remove that carries a value and removes just
	// those values of a multi-valued attribute (Entra's
	// {"op":"Remove","path":"members","value":[{"value":"id"}]}), as
	// scimmy 1.3.5 does; strict: 400 invalidSyntax (the members to remove
	// belong in the path: members[value eq "id"]).
	RemoveValue bool
}

// LaxSCIMMY returns the leniencies of scimmy 1.3.5 (the service of
// internal/peertest): ops in any case, dotted keys in a path-less value,
// and a remove with a value. It refuses "False" as a boolean.
func LaxSCIMMY() Lax {
	return Lax{OpCase: true, DottedKeys: true, RemoveValue: true}
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

// retryAfter is the Retry-After header of a 429 answered at now.
func (o Options) retryAfter(now time.Time) string {
	if o.RetryAfterIn > 0 {
		t := now.Add(o.RetryAfterIn)
		if t.Nanosecond() != 0 {
			t = t.Truncate(time.Second).Add(time.Second)
		}
		return t.UTC().Format(http.TimeFormat)
	}
	return cmp.Or(o.RetryAfter, "1")
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
	// Fault names the fault switch that hit the request, "" for none:
	// "reset", "reset-after-apply", "too-many", "fail" or "gone". Under
	// "reset-after-apply" Status is the status the lost response had.
	Fault string
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
