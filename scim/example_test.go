package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/orgctl/orgctl/scim"
)

func ExampleEq() {
	fmt.Println(scim.Eq("userName", `ann"o\neil@main.com`))
	// Output:
	// userName eq "ann\"o\\neil@main.com"
}

// Only the attributes that changed, one operation each.
func ExampleDiffUser() {
	yes, no := true, false
	have := &scim.User{UserName: "ann@main.com", Active: &yes, Name: scim.Name{GivenName: "Ann", FamilyName: "Lee"},
		Enterprise: scim.Enterprise{Department: "Sales"}}
	want := &scim.User{UserName: "ann@main.com", Active: &no, Name: scim.Name{GivenName: "Anne", FamilyName: "Lee"},
		Enterprise: scim.Enterprise{Department: "Research"}}
	for _, op := range scim.DiffUser(have, want) {
		b, _ := json.Marshal(op)
		fmt.Println(string(b))
	}
	// Output:
	// {"op":"replace","path":"active","value":false}
	// {"op":"replace","path":"name.givenName","value":"Anne"}
	// {"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Research"}
}

// A create that conflicts with an existing user adopts it.
func ExampleClient_CreateUser() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		switch {
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness"}`)
		case r.URL.Query().Get("filter") == `userName eq "ann@main.com"`:
			fmt.Fprint(w, `{"totalResults":1,"Resources":[{"id":"2819c223","userName":"ann@main.com","active":false}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	c, err := scim.New(scim.Config{URL: srv.URL + "/scim/v2", Token: scim.NewToken("s3cr3t-t0ken")})
	if err != nil {
		panic(err)
	}
	u, adopted, err := c.CreateUser(context.Background(), &scim.User{UserName: "ann@main.com"})
	if err != nil {
		panic(err)
	}
	fmt.Println(u.ID, adopted, *u.Active)
	// Output:
	// 2819c223 true false
}

// Errors match sentinels; the CLI maps ErrUnauthorized to exit code 4.
func ExampleError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"status":401,"detail":"token expired"}`)
	}))
	defer srv.Close()

	c, _ := scim.New(scim.Config{URL: srv.URL, Token: scim.NewToken("s3cr3t-t0ken")})
	_, err := c.GetUser(context.Background(), "2819c223")
	fmt.Println(err)
	fmt.Println(errors.Is(err, scim.ErrUnauthorized))
	// Output:
	// scim: GET /Users/2819c223: 401 Unauthorized: token expired
	// true
}
