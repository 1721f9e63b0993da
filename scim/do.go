package scim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// mediaType is SCIM's media type (RFC 7644 §8.1), sent as Content-Type and
// Accept.
const mediaType = "application/scim+json"

// maxBody bounds a response body: a list page or a large group.
const maxBody = 64 << 20

// request is one SCIM request, sent by do with retries.
type request struct {
	method  string
	path    string // below the base URL, escaped: "/Users/42"
	query   url.Values
	body    []byte
	ifMatch string
	// recheck, set on a POST, runs before the POST is sent again after a
	// failed attempt that the server may have applied anyway: any but a
	// 429, which says the request was refused. When it finds the
	// resource, do stops with errAdopted.
	recheck func(context.Context) (bool, error)
}

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errAdopted says that a recheck found what a POST was creating.
var errAdopted = errors.New("scim: created by an earlier attempt")

// do sends r until it succeeds (2xx), fails for good, or runs out of
// attempts. Every failure is an *Error.
func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	query := encodeQuery(r.query)
	path := c.rootPath + r.path
	for attempt := 1; ; attempt++ {
		start := time.Now()
		resp, err := c.send(ctx, r, query)
		info := RequestInfo{Method: r.method, Path: path, Query: query, Attempt: attempt, Duration: time.Since(start)}
		var retry bool
		var wait time.Duration
		var e *Error
		refused := false // the server says it did not carry the request out
		switch {
		case err != nil && ctx.Err() != nil:
			e = &Error{Method: r.method, Path: path, Err: ctx.Err()}
		case err != nil:
			retry, wait = transient(err), c.backoff(attempt)
			e = &Error{Method: r.method, Path: path, Err: err}
		case resp.status >= 200 && resp.status < 300:
			info.Status = resp.status
			c.report(info)
			return resp, nil
		default:
			info.Status = resp.status
			retry, wait = c.retryHTTP(resp, attempt)
			e = c.httpError(r.method, path, resp)
			refused = resp.status == http.StatusTooManyRequests
		}
		e.Attempts = attempt
		info.Err, info.Retry = e, retry && attempt < c.retry.Attempts
		if info.Retry {
			info.Wait = wait
		}
		c.report(info)
		if !info.Retry {
			return nil, e
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, &Error{Method: r.method, Path: path, Err: serr, Attempts: attempt}
		}
		if r.recheck != nil && !refused {
			found, rerr := r.recheck(ctx)
			if rerr != nil {
				return nil, fmt.Errorf("%w; then checking whether it was applied anyway: %w", e, rerr)
			}
			if found {
				return nil, errAdopted
			}
		}
	}
}

func (c *Client) report(info RequestInfo) {
	if c.onRequest != nil {
		c.onRequest(info)
	}
}

// send makes one attempt and reads the whole response.
func (c *Client) send(ctx context.Context, r *request, query string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.root + r.path
	if query != "" {
		target += "?" + query
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	// The header map is built with its keys already canonical: Set would
	// canonicalize each one on every request.
	req.Header = make(http.Header, 5)
	req.Header["Authorization"] = []string{"Bearer " + c.token.value()}
	req.Header["Accept"] = []string{mediaType}
	req.Header["User-Agent"] = []string{c.userAgent}
	if r.body != nil {
		req.Header["Content-Type"] = []string{mediaType}
	}
	if r.ifMatch != "" {
		req.Header["If-Match"] = []string{r.ifMatch}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	// Sized from Content-Length when the server sends one, so that a
	// response is read into one allocation rather than a growing slice.
	size := int64(bytes.MinRead)
	if resp.ContentLength > 0 && resp.ContentLength <= maxBody {
		size += resp.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	data := buf.Bytes()
	if len(data) > maxBody {
		return nil, fmt.Errorf("the response body is over %d MiB", maxBody>>20)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// transportError drops url.Error's wrapping (it repeats the whole URL) and
// names a timeout of the attempt as such.
func (c *Client) transportError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no response within %s: %w", c.timeout, context.DeadlineExceeded)
	}
	return err
}

// transient reports whether a transport error may go away on another
// attempt: timeouts and broken or refused connections, not TLS or DNS
// failures. The caller's own cancellation is handled before.
func transient(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// httpError makes the Error for a non-2xx response.
func (c *Client) httpError(method, path string, resp *response) *Error {
	e := &Error{Method: method, Path: path, Status: resp.status}
	e.parseErrorBody(resp.body, c.token.value())
	if loc := resp.header.Get("Location"); resp.status >= 300 && resp.status < 400 && loc != "" {
		e.Detail = "the server redirects to " + clean(loc, 200) + " (redirects are not followed: fix the URL)"
	}
	return e
}

// retryHTTP says whether a status is worth another attempt, and after how
// long.
func (c *Client) retryHTTP(resp *response, attempt int) (bool, time.Duration) {
	switch resp.status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if d, ok := c.retryAfter(resp.header.Get("Retry-After")); ok {
			// Never earlier than the server asked: a wait longer than
			// the client may take ends the request with the server's
			// answer instead.
			return d <= c.retry.MaxRetryAfter, d
		}
		return true, c.backoff(attempt)
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true, c.backoff(attempt)
	}
	return false, 0
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func (c *Client) retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(c.now()), 0)
	} else {
		return 0, false
	}
	return d, true
}

// backoff is the delay before attempt+1: full jitter, uniform in
// [0, min(Max, Base·2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.Base
	for i := 1; i < attempt && d < c.retry.Max; i++ {
		d *= 2
	}
	d = min(d, c.retry.Max)
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// encodeQuery encodes a query with spaces as %20, not +: a filter's
// spaces must survive servers that do not read + as a space.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}
