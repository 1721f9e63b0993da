package scim_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/orgctl/orgctl/scim"
	"github.com/orgctl/orgctl/scim/scimtest"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// WithWrapTransport sees every request, over the client's own transport
// (which keeps Config.Connections idle connections).
func TestWithWrapTransport(t *testing.T) {
	srv := scimtest.Start(t, scimtest.Options{Token: "tok"})
	var seen atomic.Int32
	c, err := scim.New(scim.Config{URL: srv.URL, Token: scim.NewToken("tok"), Connections: 4},
		scim.WithWrapTransport(func(base http.RoundTripper) http.RoundTripper {
			if tr, ok := base.(*http.Transport); !ok || tr.MaxIdleConnsPerHost != 4 {
				t.Errorf("base transport %T does not keep 4 idle connections", base)
			}
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				seen.Add(1)
				return base.RoundTrip(r)
			})
		}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListUsers(context.Background(), scim.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if seen.Load() == 0 {
		t.Error("the wrapper saw no request")
	}
}
