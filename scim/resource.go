package scim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// kind describes a resource type for the generic operations below.
type kind[T any] struct {
	endpoint string // "/Users"
	noun     string // "user"
	id       func(*T) string
	version  func(*T) string
	// body is the request body for POST and PUT: without id and meta,
	// which the server owns.
	body func(*T) ([]byte, error)
	// lean are the attributes a search leaves out (a group's members).
	lean []string
}

func (k kind[T]) path(id string) string { return k.endpoint + "/" + url.PathEscape(id) }

// ListOptions narrow a list.
type ListOptions struct {
	// Filter is a SCIM filter (RFC 7644 §3.4.2.2), e.g. Eq("userName", s).
	Filter string
	// Attributes and ExcludedAttributes ask for fewer attributes, e.g.
	// ExcludedAttributes: []string{"members"} when listing large groups.
	Attributes         []string
	ExcludedAttributes []string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Filter != "" {
		q.Set("filter", o.Filter)
	}
	if len(o.Attributes) > 0 {
		q.Set("attributes", strings.Join(o.Attributes, ","))
	}
	if len(o.ExcludedAttributes) > 0 {
		q.Set("excludedAttributes", strings.Join(o.ExcludedAttributes, ","))
	}
	return q
}

// list reads every page of a query. Pages are asked for by startIndex and
// count; startIndex advances by the number of resources a page actually
// holds (servers clamp count and misreport itemsPerPage). It stops at an
// empty page or once startIndex passes totalResults. A page made only of
// resources already read means the server ignores startIndex: unless
// totalResults resources have been read by then, that is ErrPagination,
// as is going past Config.MaxPages.
func list[T any](ctx context.Context, c *Client, k kind[T], opt ListOptions) ([]*T, error) {
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	q := opt.query()
	q.Set("count", strconv.Itoa(d.PageSize))
	var all []*T
	seen := map[string]bool{}
	start, total := 1, 0
	for page := 1; ; page++ {
		if page > c.maxPages {
			return nil, fmt.Errorf("%w: GET %s: no end after %d pages (%d %ss read, totalResults %d); raise MaxPages",
				ErrPagination, c.rootPath+k.endpoint, c.maxPages, len(all), k.noun, total)
		}
		q.Set("startIndex", strconv.Itoa(start))
		lr, err := getList[T](ctx, c, k.endpoint, q)
		if err != nil {
			return nil, err
		}
		total = lr.TotalResults
		if len(lr.Resources) == 0 {
			return all, nil
		}
		fresh := 0
		for _, r := range lr.Resources {
			if id := k.id(r); id != "" {
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			all = append(all, r)
			fresh++
		}
		if fresh == 0 {
			if total > 0 && len(all) >= total {
				return all, nil
			}
			return nil, fmt.Errorf("%w: GET %s: the page at startIndex=%d holds only %ss already read: the server ignores startIndex (%d read, totalResults %d)",
				ErrPagination, c.rootPath+k.endpoint, start, k.noun, len(all), total)
		}
		start += len(lr.Resources)
		if total > 0 && start > total {
			return all, nil
		}
	}
}

// getList GETs one page. A 404 to a filtered query is an empty page: some
// servers (and Entra's expectations) answer a filter that matches nothing
// that way.
func getList[T any](ctx context.Context, c *Client, path string, q url.Values) (*ListResponse[*T], error) {
	resp, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: q})
	if errors.Is(err, ErrNotFound) && q.Get("filter") != "" {
		return &ListResponse[*T]{}, nil
	}
	if err != nil {
		return nil, err
	}
	var lr ListResponse[*T]
	if err := c.decode(http.MethodGet, path, resp, &lr); err != nil {
		return nil, err
	}
	return &lr, nil
}

// findOne returns the one resource whose attr equals value. match checks
// each result, so that a server that ignores the filter cannot hand back
// the wrong resource. None is ErrNotFound.
func findOne[T any](ctx context.Context, c *Client, k kind[T], attr, value string, match func(*T) bool) (*T, error) {
	lr, err := getList[T](ctx, c, k.endpoint, ListOptions{Filter: Eq(attr, value), ExcludedAttributes: k.lean}.query())
	if err != nil {
		return nil, err
	}
	var hits []*T
	for _, r := range lr.Resources {
		if r != nil && match(r) {
			hits = append(hits, r)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%w: no %s with %s %s", ErrNotFound, k.noun, attr, quote(value))
	case 1:
		return hits[0], nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = k.id(h)
	}
	return nil, &AmbiguousError{Kind: k.noun, Attr: attr, Value: value, Matches: ids}
}

func get[T any](ctx context.Context, c *Client, k kind[T], id string) (*T, error) {
	if id == "" {
		return nil, invalidf("scim: no %s id given", k.noun)
	}
	resp, err := c.do(ctx, &request{method: http.MethodGet, path: k.path(id)})
	if err != nil {
		return nil, err
	}
	return decodeResource[T](c, http.MethodGet, k.path(id), resp)
}

// decodeResource reads the resource a response carries, or nil when it
// carries none (204, or an empty body).
func decodeResource[T any](c *Client, method, path string, resp *response) (*T, error) {
	if resp.status == http.StatusNoContent || len(bytes.TrimSpace(resp.body)) == 0 {
		return nil, nil
	}
	v := new(T)
	if err := c.decode(method, path, resp, v); err != nil {
		return nil, err
	}
	return v, nil
}

// create POSTs v. A POST is not idempotent, so before sending it again
// after a failure the server may have applied (a timeout, a reset, a 5xx;
// not a 429), it asks lookup whether the resource exists now, and adopts
// it if so. A 409 is resolved the same way. Adopted is true when the
// returned resource was found rather than created by this call. decode
// reads the created resource from the answer, nil when it carries none
// (decodeResource, or a leaner reading such as createdFrom).
func create[T any](ctx context.Context, c *Client, k kind[T], v *T, lookup func(context.Context) (*T, error),
	decode func(c *Client, method, path string, resp *response) (*T, error)) (*T, bool, error) {
	body, err := k.body(v)
	if err != nil {
		return nil, false, fmt.Errorf("scim: encoding the %s: %w", k.noun, err)
	}
	var found *T
	find := func(ctx context.Context) (bool, error) {
		r, err := lookup(ctx)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		found = r
		return err == nil, err
	}
	resp, err := c.do(ctx, &request{method: http.MethodPost, path: k.endpoint, body: body, recheck: find})
	switch {
	case errors.Is(err, errAdopted):
		return found, true, nil
	case errors.Is(err, ErrConflict):
		if ok, ferr := find(ctx); !ok {
			if ferr == nil {
				ferr = fmt.Errorf("no existing %s matches it", k.noun)
			}
			return nil, false, fmt.Errorf("%w; looking for the existing %s to adopt: %w", err, k.noun, ferr)
		}
		return found, true, nil
	case err != nil:
		return nil, false, err
	}
	created, err := decode(c, http.MethodPost, k.endpoint, resp)
	if err == nil && created == nil {
		// 201 without a body: find out the id.
		created, err = lookup(ctx)
	}
	if err != nil {
		return nil, false, err
	}
	return created, false, nil
}

// replace PUTs v, with If-Match when the server supports ETags and v
// carries a version.
func replace[T any](ctx context.Context, c *Client, k kind[T], v *T) (*T, error) {
	id := k.id(v)
	if id == "" {
		return nil, fmt.Errorf("scim: replacing a %s: no id", k.noun)
	}
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	body, err := k.body(v)
	if err != nil {
		return nil, fmt.Errorf("scim: encoding %s %s: %w", k.noun, id, err)
	}
	r := &request{method: http.MethodPut, path: k.path(id), body: body}
	if d.ETag {
		r.ifMatch = k.version(v)
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	return decodeResource[T](c, http.MethodPut, r.path, resp)
}

// patch sends ops to path in one request; nothing when ops is empty.
// PATCH is retried like PUT: the operations this package builds are
// idempotent (replace, add of members, remove by value filter).
func (c *Client) patch(ctx context.Context, path string, ops []PatchOp) (*response, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	if !d.Patch {
		return nil, fmt.Errorf("%w: PATCH %s: the ServiceProviderConfig says PATCH is not supported", ErrUnsupported, c.rootPath+path)
	}
	body, err := patchBody(ops)
	if err != nil {
		return nil, fmt.Errorf("scim: encoding PATCH %s: %w", c.rootPath+path, err)
	}
	return c.do(ctx, &request{method: http.MethodPatch, path: path, body: body})
}

// remove DELETEs path. A 404 after a retry means an earlier attempt got
// through, which is success.
func (c *Client) remove(ctx context.Context, path string) error {
	_, err := c.do(ctx, &request{method: http.MethodDelete, path: path})
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.Attempts > 1 {
		return nil
	}
	return err
}

// resolve returns what the first of steps (by id, by name, by externalId)
// finds. A step that finds nothing hands over to the next; so does a
// server that refuses ref as an id (400: not the form its ids take). An
// ambiguous match or any other failure stops the search.
func resolve[T any](ctx context.Context, ref, noun, nameAttr string, steps ...func(context.Context) (*T, error)) (*T, error) {
	for i, step := range steps {
		v, err := step(ctx)
		var e *Error
		switch {
		case err == nil:
			return v, nil
		case errors.Is(err, ErrNotFound):
		case i == 0 && errors.As(err, &e) && e.Status == http.StatusBadRequest:
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: no %s with id, %s or externalId %s", ErrNotFound, noun, nameAttr, quote(ref))
}
