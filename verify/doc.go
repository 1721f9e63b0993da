// Package verify checks that a domain publishes a LogMeIn-style verification
// code — as a DNS TXT record or as a file on its web server — the way a
// provider's verifier would, and explains every reason it does not.
//
// The DNS method asks every authoritative server of the zone directly
// (RD=0, found by an SOA walk and NS discovery through the resolvers), then
// every configured resolver, and decides a [Status] from the authoritative
// answers:
//
//	c := &verify.Checker{Resolvers: []string{"127.0.0.53:53"}}
//	res, err := c.DNS(ctx, "main.com", verify.Code{Value: "logmein-verification-code=668e…"})
//	if err != nil {
//		// the check could not run at all (bad arguments, cancelled context)
//	}
//	if !res.Verified {
//		for _, f := range res.Findings {
//			fmt.Println(f.Severity, f.Code, f.Message, f.Fix)
//		}
//	}
//
// The HTTP method fetches http://<domain>/logmein-verification-code.txt from
// every address of the host (resolved through the same resolvers) and
// judges it as Let's Encrypt judges http-01 files: status 200, at most 10
// redirects (301, 302, 307, 308; http or https; ports 80 and 443), a body
// that is the code (a trailing newline tolerated unless Strict), at most
// 128 bytes; each hop of each address is in [Result.Addresses]:
//
//	c.ConnectTo = []verify.ConnectTo{ct} // from verify.ParseConnectTo("main.com:80:192.0.2.7:8080")
//	res, err := c.HTTP(ctx, "main.com", code)
//
// [Checker.Any] runs DNS and, when DNS did not verify, HTTP, the way a
// provider accepts either.
//
// [Checker.Diagnose] runs both methods with every probe that can explain a
// failure, for support staff. When the resolvers cannot find the zone
// (SERVFAIL, timeouts), it follows the referrals itself, from the closest
// parent zone the resolvers can name (else [Checker.Roots]: the CLI sets
// [RootHints] when it uses the system's resolvers), so that the zone's own servers are asked and named, never its
// parent's; and it names what answers in the web server's place (a CDN or
// WAF challenge, a cookie challenge, a router's page, HTTPS on port 80).
//
// Many domains are checked with [Run], which streams one result per [Job]
// as each finishes (or in input order with Ordered), a bounded number at a
// time, polling each with a [Poller] until it verifies:
//
//	err := verify.Run(ctx, slices.Values(jobs), verify.RunOptions{Check: c.DNS, Method: verify.MethodDNS},
//		func(r *verify.Result) { enc.Encode(r) })
//
// Every job gets exactly one result: one cut short by ctx has StatusError
// and a check.cancelled finding.
//
// "Not verified" is a [Result], never an error: a Result with [StatusError]
// means the answer could not be obtained (every authoritative server
// unreachable, a resolver SERVFAIL), and its findings say why.
//
// The package reads no environment, flags or files: the caller fills the
// [Checker]. Tests run it against in-process servers from the verifytest
// package and against BIND and Unbound.
package verify
