package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Discovery is what the service says about itself (RFC 7644 §4) and what
// the Client makes of it. Its JSON form is snake_case, as all of orgctl's
// output (DESIGN.md §2). Servers that do not serve /ResourceTypes or
// /Schemas (404, 405, 501) are tolerated, and so is a missing
// /ServiceProviderConfig, with the assumptions written in Notes.
type Discovery struct {
	// Which endpoints answered.
	HasServiceProviderConfig bool `json:"has_service_provider_config"`
	HasResourceTypes         bool `json:"has_resource_types"`
	HasSchemas               bool `json:"has_schemas"`

	// Patch: PATCH requests are used. False only when the
	// ServiceProviderConfig says so; the PATCH methods then return
	// ErrUnsupported.
	Patch bool `json:"patch"`
	// ETag: a resource's meta.version is sent as If-Match on replace.
	ETag bool `json:"etag"`
	// Bulk is reported; the Client does not use it.
	Bulk BulkSupport `json:"bulk"`
	// Filter: MaxResults caps the page size.
	Filter         FilterSupport `json:"filter"`
	Sort           bool          `json:"sort"`
	ChangePassword bool          `json:"change_password"`
	// AuthenticationSchemes are the types the service lists, e.g.
	// "oauthbearertoken".
	AuthenticationSchemes []string `json:"authentication_schemes"`

	// ResourceTypes and Schemas are nil when not served.
	ResourceTypes []ResourceType `json:"resource_types"`
	Schemas       []string       `json:"schemas"` // schema URNs

	// PageSize is the count asked for per page: Config.PageSize, capped
	// by Filter.MaxResults.
	PageSize int `json:"page_size"`
	// Notes say what was missing and what was assumed instead.
	Notes []string `json:"notes"`
}

// BulkSupport is the ServiceProviderConfig's bulk entry.
type BulkSupport struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"max_operations"`
	MaxPayloadSize int  `json:"max_payload_size"`
}

// FilterSupport is the ServiceProviderConfig's filter entry.
type FilterSupport struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"max_results"`
}

// ResourceType is one entry of /ResourceTypes.
type ResourceType struct {
	Name       string   `json:"name"`
	Endpoint   string   `json:"endpoint"`
	Schema     string   `json:"schema"`
	Extensions []string `json:"extensions"` // schemaExtensions' URNs
}

// feature is one entry of a ServiceProviderConfig, read leniently.
type feature struct {
	Supported      any        `json:"supported"`
	MaxOperations  lenientInt `json:"maxOperations"`
	MaxPayloadSize lenientInt `json:"maxPayloadSize"`
	MaxResults     lenientInt `json:"maxResults"`
}

// on reads supported as a boolean or a "true"/"false" string; absent is
// def.
func (f *feature) on(def bool) bool {
	if f == nil {
		return def
	}
	switch v := f.Supported.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return def
}

// Discover reads the discovery endpoints once per Client and returns what
// it found; later calls return the same *Discovery, which callers must not
// modify. Every method that depends on it calls it first. A failure (other
// than an endpoint that is not served) is returned and not cached.
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	select {
	case c.discLock <- struct{}{}:
		defer func() { <-c.discLock }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.disc != nil {
		return c.disc, nil
	}
	d, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	c.disc = d
	return d, nil
}

func (c *Client) discover(ctx context.Context) (*Discovery, error) {
	d := &Discovery{PageSize: c.pageSize}
	var spc struct {
		Patch, Bulk, Filter, ETag, Sort, ChangePassword *feature
		AuthenticationSchemes                           []struct{ Type, Name string }
	}
	var err error
	if d.HasServiceProviderConfig, err = c.getOptional(ctx, "/ServiceProviderConfig", &spc, d); err != nil {
		return nil, err
	}
	if !d.HasServiceProviderConfig {
		d.note("assuming PATCH and filters work, without ETags or Bulk")
	}
	d.Patch = spc.Patch.on(true)
	if !d.Patch {
		d.note("ServiceProviderConfig: PATCH is not supported, so updates need ReplaceUser or ReplaceGroup")
	}
	d.ETag = spc.ETag.on(false)
	d.Sort = spc.Sort.on(false)
	d.ChangePassword = spc.ChangePassword.on(false)
	d.Bulk = BulkSupport{spc.Bulk.on(false), 0, 0}
	if spc.Bulk != nil {
		d.Bulk.MaxOperations, d.Bulk.MaxPayloadSize = int(spc.Bulk.MaxOperations), int(spc.Bulk.MaxPayloadSize)
	}
	d.Filter = FilterSupport{Supported: spc.Filter.on(true)}
	if spc.Filter != nil && spc.Filter.MaxResults > 0 {
		d.Filter.MaxResults = int(spc.Filter.MaxResults)
		d.PageSize = min(d.PageSize, d.Filter.MaxResults)
	}
	if !d.Filter.Supported {
		d.note("ServiceProviderConfig: filtering is not supported; FindUser and FindGroup try anyway and check what comes back")
	}
	for _, s := range spc.AuthenticationSchemes {
		d.AuthenticationSchemes = append(d.AuthenticationSchemes, firstNonEmpty(s.Type, s.Name))
	}

	var types []struct {
		Name, Endpoint, Schema string
		SchemaExtensions       []struct{ Schema string }
	}
	if d.HasResourceTypes, err = c.getOptional(ctx, "/ResourceTypes", listOf(&types), d); err != nil {
		return nil, err
	}
	d.ResourceTypes = make([]ResourceType, 0, len(types))
	for _, t := range types {
		rt := ResourceType{Name: t.Name, Endpoint: t.Endpoint, Schema: t.Schema}
		for _, e := range t.SchemaExtensions {
			rt.Extensions = append(rt.Extensions, e.Schema)
		}
		d.ResourceTypes = append(d.ResourceTypes, rt)
	}

	var schemas []struct{ ID string }
	if d.HasSchemas, err = c.getOptional(ctx, "/Schemas", listOf(&schemas), d); err != nil {
		return nil, err
	}
	d.Schemas = make([]string, 0, len(schemas))
	for _, s := range schemas {
		d.Schemas = append(d.Schemas, s.ID)
	}
	if !d.HasResourceTypes {
		d.ResourceTypes = nil
	}
	if !d.HasSchemas {
		d.Schemas = nil
	}
	return d, nil
}

func (d *Discovery) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

// getOptional GETs path into v. An endpoint that is not served (404, 405,
// 501) is (false, nil), with a note in d.
func (c *Client) getOptional(ctx context.Context, path string, v any, d *Discovery) (bool, error) {
	resp, err := c.do(ctx, &request{method: http.MethodGet, path: path})
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			d.note("%s: not served (%d %s)", path[1:], e.Status, http.StatusText(e.Status))
			return false, nil
		}
	}
	if err != nil {
		return false, err
	}
	return true, c.decode(http.MethodGet, path, resp, v)
}

// listOf decodes a ListResponse's Resources, or a bare array, into *dst:
// servers serve discovery lists either way.
type listDecoder[T any] struct{ dst *[]T }

func listOf[T any](dst *[]T) *listDecoder[T] { return &listDecoder[T]{dst} }

func (l *listDecoder[T]) UnmarshalJSON(data []byte) error {
	if strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
		return json.Unmarshal(data, l.dst)
	}
	var page ListResponse[T]
	if err := json.Unmarshal(data, &page); err != nil {
		return err
	}
	*l.dst = page.Resources
	return nil
}

// decode reads a response body into v, naming the request when it cannot.
func (c *Client) decode(method, path string, resp *response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return fmt.Errorf("scim: %s %s: reading the response: %w (it starts: %s)",
			method, c.rootPath+path, err, snippet(scrub(string(resp.body), c.token.value())))
	}
	return nil
}
