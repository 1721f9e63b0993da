package scim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

const annJSON = `{"id":"u1","userName":"ann@main.com","externalId":"e1","active":true}`

func TestCreateAdopts(t *testing.T) {
	tests := []struct {
		name    string
		post    func(t *testing.T, w http.ResponseWriter, n int32) // the n-th POST
		exists  func(posts int32) bool                             // whether a search finds ann, after so many POSTs
		adopted bool
		err     string
		methods string // the requests, in order
	}{
		{name: "created", post: func(t *testing.T, w http.ResponseWriter, n int32) { reply(w, 201, annJSON) },
			methods: "POST"},
		{name: "409 on the first try", post: func(t *testing.T, w http.ResponseWriter, n int32) {
			reply(w, 409, `{"status":"409","scimType":"uniqueness","detail":"userName taken"}`)
		}, exists: func(int32) bool { return true }, adopted: true, methods: "POST GET"},
		{name: "reset, but applied", post: func(t *testing.T, w http.ResponseWriter, n int32) { hangUp(t, w) },
			exists: func(int32) bool { return true }, adopted: true, methods: "POST GET"},
		{name: "503, not applied: sent again", post: func(t *testing.T, w http.ResponseWriter, n int32) {
			if n == 1 {
				reply(w, 503, "")
				return
			}
			reply(w, 201, annJSON)
		}, exists: func(int32) bool { return false }, methods: "POST GET GET POST"}, // searched by userName, then externalId
		{name: "429, refused: sent again without a search", post: func(t *testing.T, w http.ResponseWriter, n int32) {
			if n == 1 {
				reply(w, 429, "")
				return
			}
			reply(w, 201, annJSON)
		}, exists: func(int32) bool { return false }, methods: "POST POST"},
		{name: "reset, then 409 on the retry", post: func(t *testing.T, w http.ResponseWriter, n int32) {
			if n == 1 {
				hangUp(t, w)
				return
			}
			reply(w, 409, `{"status":409}`)
		}, exists: func(posts int32) bool { return posts > 1 }, adopted: true, methods: "POST GET GET POST GET"},
		{name: "409 and nothing to adopt", post: func(t *testing.T, w http.ResponseWriter, n int32) {
			reply(w, 409, `{"status":"409","scimType":"uniqueness","detail":"email taken"}`)
		}, exists: func(int32) bool { return false }, methods: "POST GET GET",
			err: `scim: POST /scim/v2/Users: 409 Conflict (scimType uniqueness): email taken; looking for the existing user to adopt: no existing user matches it`},
	}
	creates := []struct {
		name string
		fn   func(*Client, context.Context, *User) (*User, bool, error)
	}{{"CreateUser", (*Client).CreateUser}, {"CreateUserLean", func(c *Client, ctx context.Context, u *User) (*User, bool, error) {
		created, _, adopted, err := c.CreateUserLean(ctx, u)
		return created, adopted, err
	}}}
	for _, cr := range creates {
		for _, tt := range tests {
			t.Run(cr.name+"/"+tt.name, func(t *testing.T) {
				var posts atomic.Int32
				s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" {
						tt.post(t, w, posts.Add(1))
						return
					}
					if tt.exists(posts.Load()) && strings.Contains(r.URL.Query().Get("filter"), `"ann@main.com"`) {
						reply(w, 200, `{"totalResults":1,"Resources":[`+annJSON+`]}`)
						return
					}
					reply(w, 200, `{"totalResults":0,"Resources":[]}`)
				})
				c, _ := newClient(t, s, Config{})
				u, adopted, err := cr.fn(c, context.Background(), &User{UserName: "ann@main.com", ExternalID: "e1"})
				var methods []string
				for _, r := range s.requests() {
					methods = append(methods, r.Method)
				}
				if got := strings.Join(methods, " "); got != tt.methods {
					t.Errorf("requests %s, want %s", got, tt.methods)
				}
				if tt.err != "" {
					if err == nil || err.Error() != tt.err || !errors.Is(err, ErrConflict) {
						t.Errorf("got  %v\nwant %s", err, tt.err)
					}
					return
				}
				if err != nil || u.ID != "u1" || adopted != tt.adopted {
					t.Errorf("got %+v, adopted %v, %v; want u1, adopted %v", u, adopted, err, tt.adopted)
				}
				// An adopted user is the server's, read whole (active is
				// only in the server's copy).
				if err == nil && adopted && (u.Active == nil || !*u.Active) {
					t.Errorf("adopted user %+v, want it as the server has it (active)", u)
				}
			})
		}
	}
}

// CreateUserLean reads only id and meta of the created user; what it
// cannot read that way fails or is looked up as with CreateUser.
func TestCreateUserLean(t *testing.T) {
	tests := []struct {
		name   string
		status int
		answer string
		want   string // the user returned, as "id userName version displayName", or the error
	}{
		{"id and meta from the answer, the rest as sent", 201,
			`{"ID":"u9","userName":"ANN@MAIN.COM","externalId":"theirs","meta":{"version":"W/\"3\""}}`, `u9 ann@main.com W/"3" e1`},
		{"no body: looked up", 201, "", `u1 ann@main.com  e1`},
		{"not an object", 201, `[]`, "scim: POST /scim/v2/Users: reading the response: decoding a user: json: cannot unmarshal array into Go value of type scim.object (it starts: [])"},
		{"not JSON", 201, `{"id":`, "scim: POST /scim/v2/Users: reading the response: unexpected end of JSON input (it starts: {\"id\":)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "POST" {
					reply(w, tt.status, tt.answer)
					return
				}
				reply(w, 200, `{"totalResults":1,"Resources":[`+annJSON+`]}`)
			})
			c, _ := newClient(t, s, Config{})
			u, sent, adopted, err := c.CreateUserLean(context.Background(), &User{UserName: "ann@main.com", ExternalID: "e1"})
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = u.ID + " " + u.UserName + " " + u.Meta.Version + " " + u.ExternalID
			}
			if got != tt.want || adopted {
				t.Errorf("got %s (adopted %v), want %s", got, adopted, tt.want)
			}
			if posted := s.requests()[0].Body; string(sent) != posted {
				t.Errorf("sent %s, want the body POSTed: %s", sent, posted)
			}
		})
	}
}

func TestCreateGroupAdopts(t *testing.T) {
	tests := []struct {
		name   string
		group  Group
		filter string // the search that finds the existing group
	}{
		{"by externalId", Group{DisplayName: "Eng", ExternalID: "x1"}, `externalId eq "x1"`},
		{"by displayName, without externalId", Group{DisplayName: "Old name"}, `displayName eq "Old name"`},
		{"by displayName, when externalId finds nothing", Group{DisplayName: "Old name", ExternalID: "x2"}, `displayName eq "Old name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch q := r.URL.Query(); {
				case r.Method == "POST":
					reply(w, 409, `{"status":"409"}`)
				case q.Get("filter") == tt.filter && q.Get("excludedAttributes") == "members":
					reply(w, 200, `{"totalResults":1,"Resources":[{"id":"g1","displayName":"Old name","externalId":"x1"}]}`)
				default:
					reply(w, 404, "")
				}
			})
			c, _ := newClient(t, s, Config{})
			g, adopted, err := c.CreateGroup(context.Background(), &tt.group)
			if err != nil || !adopted || g.ID != "g1" || g.DisplayName != "Old name" {
				t.Errorf("got %+v, %v, %v", g, adopted, err)
			}
		})
	}
}

// WithTransport takes requests off the network.
func TestWithTransport(t *testing.T) {
	var got *http.Request
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		got = r
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"id":"u1"}`))}, nil
	})
	c, err := New(Config{URL: "https://scim.invalid/v2", Token: NewToken(testToken)}, WithTransport(rt))
	if err != nil {
		t.Fatal(err)
	}
	if u, err := c.GetUser(context.Background(), "u 1"); err != nil || u.ID != "u1" {
		t.Fatalf("%+v, %v", u, err)
	}
	if got.URL.String() != "https://scim.invalid/v2/Users/u%201" {
		t.Errorf("request to %s", got.URL)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCreateNeedsAName(t *testing.T) {
	c, err := New(Config{URL: "https://host/scim", Token: NewToken(testToken)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateUser(context.Background(), &User{}); err == nil {
		t.Error("a user without userName was sent")
	}
	if _, _, err := c.CreateGroup(context.Background(), &Group{}); err == nil {
		t.Error("a group without displayName was sent")
	}
}
