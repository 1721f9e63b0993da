package scimtest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxBody bounds request bodies; a larger one answers 413.
	maxBody = 4 << 20
	// maxRequests bounds the request log of a long-running server; the
	// oldest tenth goes when it is full.
	maxRequests = 10000
	// contentType is the media type of every response (RFC 7644 §3.1).
	contentType = "application/scim+json"
)

// Handler is the SCIM service provider as an http.Handler, serving the
// endpoints under BasePath, for a server of one's own such as `orgctl
// sandbox`. Its methods are safe for concurrent use.
type Handler struct {
	// base is the URL of the endpoints, for meta.location and $ref; ""
	// takes it from each request's Host.
	base  string
	store *store

	mu   sync.Mutex // guards opts and n
	opts Options
	n    int // requests counted for the fault switches

	logMu sync.Mutex // guards log and stats
	log   []Request
	stats Stats
}

// NewHandler returns a handler without resources.
func NewHandler(opts Options) *Handler {
	return &Handler{store: newStore(), opts: copyOptions(opts)}
}

func copyOptions(o Options) Options {
	o.ExemptPaths = slices.Clone(o.ExemptPaths)
	return o
}

// SetOptions replaces the options and restarts the count of requests for
// the fault switches: the next request is number 1.
func (h *Handler) SetOptions(opts Options) {
	opts = copyOptions(opts)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.opts, h.n = opts, 0
}

// Options returns the options in force.
func (h *Handler) Options() Options {
	h.mu.Lock()
	defer h.mu.Unlock()
	return copyOptions(h.opts)
}

// Requests returns the requests received, oldest first: every one, those
// that failed or were faulted included. A request is logged when its
// response is ready, before the client can have it. A long-running server
// keeps the latest few thousand.
func (h *Handler) Requests() []Request {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	out := make([]Request, len(h.log))
	for i, r := range h.log {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ResetLog empties the request log.
func (h *Handler) ResetLog() {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	h.log = nil
}

// Stats returns the counts of requests received since NewHandler or
// ResetStats. Unlike the request log they have no limit.
func (h *Handler) Stats() Stats {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	st := h.stats
	st.ByMethod = maps.Clone(st.ByMethod)
	st.ByEndpoint = maps.Clone(st.ByEndpoint)
	st.ByStatus = maps.Clone(st.ByStatus)
	return st
}

// ResetStats sets the counts of Stats to zero, so that a test can count
// the requests of one step, such as a re-run that must not write.
func (h *Handler) ResetStats() {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	h.stats = Stats{}
}

// record logs a request whose outcome is known and counts it.
func (h *Handler) record(r Request) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	if len(h.log) >= maxRequests {
		n := copy(h.log, h.log[maxRequests/10:])
		h.log = h.log[:n]
	}
	h.log = append(h.log, r)
	h.stats.count(r)
}

// Users returns every user as GET would serve it, in the order they were
// created. The maps are copies.
func (h *Handler) Users() []map[string]any { return h.store.all(userKind, h.snapshotBase()) }

// Groups returns every group as GET would serve it, in the order they were
// created. The maps are copies.
func (h *Handler) Groups() []map[string]any { return h.store.all(groupKind, h.snapshotBase()) }

// Duplicates returns what the server holds more than once where a
// provisioning client should have made it once, as FindDuplicates finds it
// in Users and Groups. userNames are unique, so never among them.
func (h *Handler) Duplicates() []Duplicate { return FindDuplicates(h.Users(), h.Groups()) }

// snapshotBase is the base of locations in snapshots: the server's URL,
// or BasePath alone when the handler does not know where it is served.
func (h *Handler) snapshotBase() string {
	if h.base != "" {
		return h.base
	}
	return BasePath
}

// AddUser stores a user as a POST of u would and returns its id. u needs no
// "schemas"; an "id" in u is used as the id instead of a random UUID. It
// panics when u is not a valid user or its userName or id is taken.
func (h *Handler) AddUser(u map[string]any) (id string) { return h.add(userKind, u) }

// AddGroup stores a group as a POST of g would and returns its id, like
// AddUser. Its members must exist.
func (h *Handler) AddGroup(g map[string]any) (id string) { return h.add(groupKind, g) }

func (h *Handler) add(k *kind, m map[string]any) string {
	m, err := normalize(m)
	if err == nil {
		if member(m, "schemas") == nil {
			m["schemas"] = []any{k.core.ID}
		}
		id, _ := m["id"].(string)
		m, err = h.store.create(k, m, id, h.snapshotBase())
	}
	if err != nil {
		panic(fmt.Sprintf("scimtest: Add%s: %v", k.name, err))
	}
	return m["id"].(string)
}

// response is a response before it is written.
type response struct {
	status int
	header http.Header
	body   any // nil: no body
}

func errorResponse(err error) *response {
	var se *scimError
	if !errors.As(err, &se) {
		se = errorf(http.StatusInternalServerError, "", "%v", err)
	}
	return &response{status: se.status, body: se.body()}
}

// fault is the fault switch that hits a request, by the name
// Request.Fault gives it; "" for none.
type fault string

const (
	noFault           fault = ""
	goneFault         fault = "gone"
	resetFault        fault = "reset"
	tooManyFault      fault = "too-many"
	failFault         fault = "fail"
	resetAppliedFault fault = "reset-after-apply"
)

// next counts a request to path and returns the options for it and the
// fault it is due for.
func (h *Handler) next(path string) (Options, fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.opts
	if o.GoneAfter > 0 && h.n >= o.GoneAfter {
		return o, goneFault
	}
	if o.exempt(path) {
		return o, noFault
	}
	h.n++
	every := func(k int) bool { return k > 0 && h.n%k == 0 }
	switch {
	case every(o.ResetEvery):
		return o, resetFault
	case every(o.TooManyEvery):
		return o, tooManyFault
	case every(o.FailEvery):
		return o, failFault
	case every(o.ResetAfterApplyEvery):
		return o, resetAppliedFault
	}
	return o, noFault
}

// ServeHTTP serves one request: it reads the body, applies the fault
// switches, authenticates, and serves the endpoint.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	rec := Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	}
	opts, f := h.next(r.URL.Path)
	rec.Fault = string(f)
	if opts.Latency > 0 {
		t := time.NewTimer(opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			h.record(rec)
			return
		}
	}
	var resp *response
	switch f {
	case resetFault, goneFault:
		h.record(rec)
		reset(w)
		return
	case tooManyFault:
		after := opts.retryAfter(time.Now())
		resp = errorResponse(errorf(http.StatusTooManyRequests, "", "too many requests: retry after %s", after))
		resp.header = http.Header{"Retry-After": {after}}
	case failFault:
		resp = errorResponse(errorf(opts.failStatus(), "", "the service is failing on purpose (FailEvery %d)", opts.FailEvery))
	default:
		resp = h.serve(r, body, readErr, opts)
	}
	var out []byte
	if resp.body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(resp.body); err != nil {
			resp = errorResponse(err)
			out, _ = json.Marshal(resp.body)
		} else {
			out = buf.Bytes()
		}
	}
	rec.Status = resp.status
	h.record(rec)
	if f == resetAppliedFault {
		reset(w)
		return
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", contentType)
	if out != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	}
	w.WriteHeader(resp.status)
	w.Write(out) // nothing to do about a client that went away
}

// reset closes the connection without a response: with a TCP reset when
// the connection can be taken over, else by aborting the handler.
func reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// serve answers a request that no fault hit.
func (h *Handler) serve(r *http.Request, body []byte, readErr error, o Options) *response {
	if err := authenticate(r, o.Token); err != nil {
		resp := errorResponse(err)
		resp.header = http.Header{"Www-Authenticate": {`Bearer realm="scimtest"`}}
		if r.Header.Get("Authorization") != "" {
			resp.header.Set("Www-Authenticate", `Bearer realm="scimtest", error="invalid_token"`)
		}
		return resp
	}
	if readErr != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(readErr, &tooLarge) {
			return errorResponse(errorf(http.StatusRequestEntityTooLarge, "", "the request body is over %d bytes", maxBody))
		}
		return errorResponse(badRequest("invalidSyntax", "reading the request body: %v", readErr))
	}
	base := h.base
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host + BasePath
	}
	rt := &route{h: h, r: r, body: body, opts: o, base: base}
	resp, err := rt.serve()
	if err != nil {
		return errorResponse(err)
	}
	return resp
}

// authenticate checks the bearer token; token "" lets every request in.
func authenticate(r *http.Request, token string) error {
	if token == "" {
		return nil
	}
	scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case scheme == "":
		return errorf(http.StatusUnauthorized, "", "authentication required: send Authorization: Bearer TOKEN")
	case !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1:
		return errorf(http.StatusUnauthorized, "", "invalid bearer token")
	}
	return nil
}

// route serves one authenticated request.
type route struct {
	h    *Handler
	r    *http.Request
	body []byte
	opts Options
	base string // the URL of the endpoints
}

func (rt *route) serve() (*response, error) {
	rel, ok := strings.CutPrefix(rt.r.URL.Path, BasePath)
	if !ok || (rel != "" && rel[0] != '/') {
		return nil, notFound("no such endpoint: %s (the SCIM endpoints are under %s)", rt.r.URL.Path, BasePath)
	}
	parts := strings.SplitN(strings.Trim(rel, "/"), "/", 2)
	name, id := parts[0], ""
	if len(parts) == 2 {
		id = parts[1]
	}
	switch name {
	case "ServiceProviderConfig":
		if id == "" {
			return rt.discovery(func() any { return spConfig(rt.opts, rt.base) })
		}
	case "ResourceTypes":
		return rt.discovery(func() any {
			if id == "" {
				return listResponse(mapSlice(kinds, func(k *kind) any { return resourceType(k, rt.base) }))
			}
			if i := slices.IndexFunc(kinds, func(k *kind) bool { return k.name == id }); i >= 0 {
				return resourceType(kinds[i], rt.base)
			}
			return nil
		})
	case "Schemas":
		return rt.discovery(func() any {
			if id == "" {
				return listResponse(mapSlice(schemas, func(s *schema) any { return schemaResource(s, rt.base) }))
			}
			if i := slices.IndexFunc(schemas, func(s *schema) bool { return strings.EqualFold(s.ID, id) }); i >= 0 {
				return schemaResource(schemas[i], rt.base)
			}
			return nil
		})
	case "Users":
		return rt.resources(userKind, id)
	case "Groups":
		return rt.resources(groupKind, id)
	case "Bulk":
		return nil, errorf(http.StatusNotImplemented, "", "bulk operations are not supported (see /ServiceProviderConfig)")
	}
	return nil, notFound("no such endpoint: %s", rt.r.URL.Path)
}

func mapSlice[T any](in []T, f func(T) any) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// discovery serves a GET of a discovery endpoint; doc returns nil for an
// unknown id.
func (rt *route) discovery(doc func() any) (*response, error) {
	if err := rt.allow(http.MethodGet); err != nil {
		return nil, err
	}
	if rt.r.URL.Query().Has("filter") {
		// RFC 7644 §4: so that clients do not take the filter as applied.
		return nil, errorf(http.StatusForbidden, "", "discovery endpoints take no filter")
	}
	d := doc()
	if d == nil {
		return nil, notFound("%s not found", rt.r.URL.Path)
	}
	return &response{status: http.StatusOK, body: d}, nil
}

// allow refuses methods other than those given with 405.
func (rt *route) allow(methods ...string) error {
	if slices.Contains(methods, rt.r.Method) {
		return nil
	}
	return &methodError{methods}
}

// methodError is a 405; the response carries an Allow header.
type methodError struct{ allow []string }

func (e *methodError) Error() string {
	return "method not allowed; allowed: " + strings.Join(e.allow, ", ")
}

// resources serves /Users and /Groups, with an id or without.
func (rt *route) resources(k *kind, id string) (*response, error) {
	var resp *response
	var err error
	if id == "" {
		if err = rt.allow(http.MethodGet, http.MethodPost); err == nil {
			if rt.r.Method == http.MethodGet {
				resp, err = rt.list(k)
			} else {
				resp, err = rt.create(k)
			}
		}
	} else if err = rt.allow(http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete); err == nil {
		resp, err = rt.one(k, id)
	}
	var me *methodError
	if errors.As(err, &me) {
		resp = errorResponse(errorf(http.StatusMethodNotAllowed, "", "%s %s: %v", rt.r.Method, rt.r.URL.Path, err))
		resp.header = http.Header{"Allow": {strings.Join(me.allow, ", ")}}
		return resp, nil
	}
	return resp, err
}

// one serves GET, PUT, PATCH and DELETE of the resource id.
func (rt *route) one(k *kind, id string) (*response, error) {
	st := rt.h.store
	proj, err := parseProjection(k, rt.r.URL.Query())
	if err != nil {
		return nil, err
	}
	var res map[string]any
	switch rt.r.Method {
	case http.MethodDelete:
		if err := st.remove(k, id); err != nil {
			return nil, err
		}
		return &response{status: http.StatusNoContent}, nil
	case http.MethodGet:
		res, err = st.get(k, id, rt.base)
	case http.MethodPut:
		var body map[string]any
		if body, err = rt.decode(); err == nil {
			res, err = st.replace(k, id, body, rt.base)
		}
	case http.MethodPatch:
		var msg map[string]any
		var ops []patchOp
		if msg, err = rt.decode(); err == nil {
			if ops, err = parsePatch(msg, rt.opts.Lax); err == nil {
				p := patcher{k: k, lax: rt.opts.Lax, repeatMembers: rt.opts.DuplicateMemberOnAdd}
				res, err = st.patch(k, id, ops, p, rt.base)
			}
		}
		if err == nil && k == groupKind && proj == nil {
			// RFC 7644 §3.5.2 lets PATCH answer 204, except when the
			// attributes parameter asks for some.
			return &response{status: http.StatusNoContent}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: proj.apply(k, res)}, nil
}

// create serves POST.
func (rt *route) create(k *kind) (*response, error) {
	proj, err := parseProjection(k, rt.r.URL.Query())
	if err != nil {
		return nil, err
	}
	body, err := rt.decode()
	if err != nil {
		return nil, err
	}
	res, err := rt.h.store.create(k, body, "", rt.base)
	if err != nil {
		return nil, err
	}
	loc := res["meta"].(map[string]any)["location"].(string)
	return &response{
		status: http.StatusCreated,
		header: http.Header{"Location": {loc}},
		body:   proj.apply(k, res),
	}, nil
}

// list serves GET of a resource endpoint: a filtered page of resources.
func (rt *route) list(k *kind) (*response, error) {
	q := rt.r.URL.Query()
	proj, err := parseProjection(k, q)
	if err != nil {
		return nil, err
	}
	var f filter
	if s := q.Get("filter"); s != "" {
		if f, err = parseFilter(k, s); err != nil {
			return nil, err
		}
	}
	// RFC 7644 §3.4.2.4: a startIndex below 1 means 1, a negative count 0.
	start, err := intParam(q.Get("startIndex"), 1)
	if err != nil {
		return nil, err
	}
	start = max(start, 1)
	asked, err := intParam(q.Get("count"), rt.opts.defaultCount())
	if err != nil {
		return nil, err
	}
	asked = max(asked, 0)
	from := start
	if rt.opts.IgnoreStartIndex {
		from = 1
	}
	total, page := rt.h.store.list(k, f, from, min(asked, rt.opts.maxCount()), rt.base)
	if f != nil && total == 0 && rt.opts.NotFoundOnEmptyFilter {
		return nil, notFound("no %s matches the filter", k.name)
	}
	items := len(page)
	if rt.opts.MisreportItemsPerPage {
		items = asked
	}
	resources := make([]any, len(page))
	for i, res := range page {
		resources[i] = proj.apply(k, res)
	}
	return &response{status: http.StatusOK, body: map[string]any{
		"schemas":      []string{msgListResponse},
		"totalResults": total,
		"startIndex":   start,
		"itemsPerPage": items,
		"Resources":    resources,
	}}, nil
}

func intParam(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("invalidValue", "want an integer, got %s", quoteShort(s))
	}
	return n, nil
}

// decode reads the request body: a JSON object, sent as
// application/scim+json or application/json.
func (rt *route) decode() (map[string]any, error) {
	mt, _, err := mime.ParseMediaType(rt.r.Header.Get("Content-Type"))
	if err != nil || (mt != contentType && mt != "application/json") {
		return nil, errorf(http.StatusUnsupportedMediaType, "", "the body must be sent as %s (or application/json), not %s", contentType, quoteShort(rt.r.Header.Get("Content-Type")))
	}
	var m map[string]any
	if err := decodeJSON(rt.body, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, badRequest("invalidSyntax", "the body must be a JSON object")
	}
	return m, nil
}

// decodeJSON decodes exactly one JSON value, keeping numbers as
// json.Number so that they come back as they were sent.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		if _, end := dec.Token(); end != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	if err != nil {
		return badRequest("invalidSyntax", "the body is not valid JSON: %v", err)
	}
	return nil
}
