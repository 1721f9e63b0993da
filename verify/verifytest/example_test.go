package verifytest_test

import (
	"fmt"
	"log"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/verify/verifytest"
)

func Example() {
	srv, err := verifytest.NewServer(verifytest.Options{}, `
$ORIGIN example.com.
$TTL 300
@        IN SOA ns1 hostmaster 1 7200 3600 1209600 300
         IN NS  ns1
ns1      IN A   127.0.0.1
_orgctl  IN TXT "orgctl-verify=" "abc123"
`)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	m := new(dns.Msg)
	m.SetQuestion("_orgctl.example.com.", dns.TypeTXT)
	r, err := dns.Exchange(m, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dns.RcodeToString[r.Rcode], r.Authoritative)
	for _, rr := range r.Answer {
		fmt.Printf("%q\n", rr.(*dns.TXT).Txt)
	}
	fmt.Println(srv.Queries()[0])
	// Output:
	// NOERROR true
	// ["orgctl-verify=" "abc123"]
	// udp _orgctl.example.com. TXT +rd
}
