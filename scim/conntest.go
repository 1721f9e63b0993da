package scim

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/orgctl/orgctl/codegen"
)

// TestResult is what Test found out.
// Its JSON form is snake_case, the duration in whole milliseconds
// (duration_ms).
type TestResult struct {
	URL       string     `json:"url"`
	Discovery *Discovery `json:"discovery,omitempty"` // nil when discovery failed
	// Filter is the query Test sent, and FilterStatus the status of its
	// answer: 200, or 404 (tolerated).
	Filter       string        `json:"filter"`
	FilterStatus int           `json:"filter_status,omitempty"`
	Duration     time.Duration `json:"-"`
	Notes        []string      `json:"notes,omitempty"`
}

// MarshalJSON writes r with its duration as duration_ms.
func (r TestResult) MarshalJSON() ([]byte, error) {
	type plain TestResult // without this method
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(r), r.Duration.Milliseconds()})
}

// Test checks the connection the way Entra ID's "Test Connection" does:
// it runs discovery, then asks GET /Users?filter=userName eq "<random
// UUID>", which must answer 200 with an empty list (a 404 is tolerated).
// The result is returned even when the test fails; the error says why: an
// *Error (ErrUnauthorized for a token the server refuses), or a server
// that returns users for a name nobody has (it ignores filters), or every
// endpoint answering 404 (a wrong base URL).
func (c *Client) Test(ctx context.Context) (*TestResult, error) {
	start := time.Now()
	res := &TestResult{URL: c.root}
	defer func() { res.Duration = time.Since(start) }()
	d, err := c.Discover(ctx)
	if err != nil {
		return res, err
	}
	res.Discovery = d
	res.Notes = append(res.Notes, d.Notes...)

	name, err := codegen.New(rand.Reader)
	if err != nil {
		return res, fmt.Errorf("scim: test: %w", err)
	}
	res.Filter = Eq("userName", name)
	q := ListOptions{Filter: res.Filter}.query()
	resp, err := c.do(ctx, &request{method: http.MethodGet, path: userKind.endpoint, query: q})
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		res.FilterStatus = e.Status
		if !d.HasServiceProviderConfig && !d.HasResourceTypes && !d.HasSchemas {
			return res, fmt.Errorf("scim: test: every endpoint below %s answers 404: is that the service's base URL (often …/scim/v2)?", c.root)
		}
		res.Notes = append(res.Notes, "Users: 404 for a filter that matches nobody (tolerated)")
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.FilterStatus = resp.status
	var lr ListResponse[*User]
	if err := c.decode(http.MethodGet, userKind.endpoint, resp, &lr); err != nil {
		return res, err
	}
	if n := max(lr.TotalResults, len(lr.Resources)); n > 0 {
		return res, fmt.Errorf("scim: test: GET %s?filter=%s answered %d users for a userName nobody has: the server does not apply filters",
			c.rootPath+userKind.endpoint, res.Filter, n)
	}
	return res, nil
}
