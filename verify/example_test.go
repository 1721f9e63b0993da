package verify_test

import (
	"context"
	"fmt"

	"github.com/orgctl/orgctl/verify"
	"github.com/orgctl/orgctl/verify/verifytest"
)

// Check a name on one authoritative server, given directly: the
// authoritative answer decides, and a failure explains itself.
func ExampleChecker_DNS() {
	srv, err := verifytest.NewServer(verifytest.Options{}, `$ORIGIN main.test.
@   300 IN SOA ns1.main.test. hostmaster.main.test. 1 3600 600 86400 60
@   300 IN NS  ns1.main.test.
@   300 IN TXT "v=spf1 -all"
@   300 IN TXT "logmein-verification-code=11111111-2222-4333-8444-555555555555"
`)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c := &verify.Checker{Nameservers: []string{srv.Addr}}
	res, err := c.DNS(context.Background(), "main.test", verify.Code{Value: "logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Verified)
	for _, f := range res.Findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// mismatch false
	// error dns.wrong_code
}
