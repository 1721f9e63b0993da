package scimtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/scim/scimtest"
)

// client sends SCIM requests to a test server with net/http alone.
type client struct {
	t     testing.TB
	base  string
	hc    *http.Client
	token string
}

func newClient(t testing.TB, srv *scimtest.Server) *client {
	return &client{t: t, base: srv.URL, hc: srv.Client()}
}

// reply is a decoded response.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends a request; body is sent as is when it is a string, else as its
// JSON encoding.
func (c *client) do(method, path string, body any) reply {
	c.t.Helper()
	r, err := c.try(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) try(method, path string, body any) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		return reply{}, err
	}
	if len(r.raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(r.raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			c.t.Fatalf("%s %s: response is not a JSON object: %v\n%s", method, path, err, r.raw)
		}
	}
	return r, nil
}

// want fails the test unless the reply has the status.
func (r reply) want(t testing.TB, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.raw)
	}
	return r
}

// wantError fails the test unless the reply is a SCIM error with the
// status and scimType ("" for none).
func (r reply) wantError(t testing.TB, status int, scimType string) {
	t.Helper()
	r.want(t, status)
	if got := r.body["schemas"]; !equalJSON(got, []any{"urn:ietf:params:scim:api:messages:2.0:Error"}) {
		t.Errorf("error schemas = %v", got)
	}
	if got := r.body["status"]; got != strconv.Itoa(status) {
		t.Errorf("error status = %#v, want the string %q", got, strconv.Itoa(status))
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q; detail: %v", got, scimType, r.body["detail"])
	}
	if d, _ := r.body["detail"].(string); d == "" {
		t.Errorf("error without detail: %s", r.raw)
	}
}

// user is a minimal valid user body.
func user(userName string, extra ...any) map[string]any {
	u := map[string]any{
		"schemas":  []string{scimtest.SchemaUser},
		"userName": userName,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		u[extra[i].(string)] = extra[i+1]
	}
	return u
}

func group(displayName string, memberIDs ...string) map[string]any {
	g := map[string]any{
		"schemas":     []string{scimtest.SchemaGroup},
		"displayName": displayName,
	}
	var members []any
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	if members != nil {
		g["members"] = members
	}
	return g
}

func patchBody(ops ...map[string]any) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": ops,
	}
}

func op(name, path string, value any) map[string]any {
	o := map[string]any{"op": name}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return o
}

// filterQuery is "?filter=" and the filter, escaped.
func filterQuery(f string) string { return "?filter=" + url.QueryEscape(f) }

// quote is a filter string literal for s.
func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// equalJSON compares decoded JSON values by their encoding.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// get digs a value out of decoded JSON: get(m, "name", "givenName"),
// get(m, "emails", 0, "value").
func get(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// userNames lists the userNames of a ListResponse's resources.
func userNames(body map[string]any) []string {
	var out []string
	for _, r := range body["Resources"].([]any) {
		out = append(out, r.(map[string]any)["userName"].(string))
	}
	return out
}

// statusOf sends a request made by hand and returns the response status.
func statusOf(t testing.TB, srv *scimtest.Server, req *http.Request) int {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
