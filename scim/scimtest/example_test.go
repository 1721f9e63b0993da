package scimtest_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/orgctl/orgctl/scim/scimtest"
)

func Example() {
	srv := scimtest.NewServer(scimtest.Options{Token: "t0ken"})
	defer srv.Close()
	srv.AddUser(map[string]any{"userName": "alice@example.com", "id": "u-1"})

	req, _ := http.NewRequest("GET", srv.URL+"/Users?filter="+url.QueryEscape(`userName eq "ALICE@example.com"`), nil)
	req.Header.Set("Authorization", "Bearer t0ken")
	resp, err := srv.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	fmt.Println(strings.Contains(string(body), `"totalResults":1`))

	r := srv.Requests()[0]
	fmt.Println(r.Method, r.Path, r.Status)
	// Output:
	// 200 application/scim+json
	// true
	// GET /scim/v2/Users 200
}

// Fault switches change while the server runs; the count of requests
// starts again at each SetOptions.
func ExampleServer_SetOptions() {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	srv.SetOptions(scimtest.Options{TooManyEvery: 2, RetryAfter: "3"})
	for range 2 {
		resp, err := srv.Client().Get(srv.URL + "/Users")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After: %q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 200 Retry-After: ""
	// 429 Retry-After: "3"
}
