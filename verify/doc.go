// Package verify checks that a domain publishes a LogMeIn-style verification
// code, the way a provider's verifier would, and explains every reason it
// does not.
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
// "Not verified" is a [Result], never an error: a Result with [StatusError]
// means the answer could not be obtained (every authoritative server
// unreachable, a resolver SERVFAIL), and its findings say why.
//
// The package reads no environment, flags or files: the caller fills the
// [Checker]. Tests run it against in-process servers from the verifytest
// package and against BIND and Unbound.
package verify
