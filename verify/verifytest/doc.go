// Package verifytest runs DNS servers on the loopback interface that serve
// zone-file text, the way net/http/httptest serves handlers. It backs the
// tests of the DNS verifier, the testscript end-to-end tests and the
// `orgctl sandbox` command.
//
// # Starting a server in a test
//
// Write the zones as zone-file text and hand them to Start, which closes the
// server when the test ends:
//
//	func TestVerified(t *testing.T) {
//		srv := verifytest.Start(t, verifytest.Options{}, `
//	$ORIGIN example.com.
//	$TTL 300
//	@        IN SOA ns1 hostmaster 1 7200 3600 1209600 300
//	         IN NS  ns1
//	ns1      IN A   127.0.0.1
//	_orgctl  IN TXT "orgctl-verify=abc123"
//	`)
//		m := new(dns.Msg)
//		m.SetQuestion("_orgctl.example.com.", dns.TypeTXT)
//		r, err := dns.Exchange(m, srv.Addr) // or point the verifier at srv.Addr
//		// ...
//	}
//
// Server.Addr is "127.0.0.1:PORT"; UDP and TCP share the port. Outside tests,
// NewServer and NewServerAt do the same and Close stops the server.
//
// # What the server answers
//
// Without options the server is authoritative for the zones it holds, as BIND
// would be (RFC 1034 §4.3.2): AA=1; a CNAME is followed inside its own zone
// only; an NS RRset below the apex makes a referral (AA=0, the NS RRset in
// the authority section, glue from the zone in the additional section);
// NXDOMAIN and NODATA, empty non-terminals included, carry the zone's SOA
// with TTL min(SOA TTL, MINIMUM) as RFC 2308 asks; "*" owners are wildcards
// (RFC 4592). Names outside every held zone get REFUSED. An ANY query gets
// every RRset at the name. Queries with EDNS0 get an OPT record back (UDP
// size 1232, the DO bit echoed); TXT character-strings are served exactly as
// written. Name matching ignores case; the question keeps the query's case.
//
// With Options.Recursive the server plays a recursive resolver that holds
// those zones and has no internet: RA=1, AA=0, CNAMEs chased across held
// zones, SERVFAIL where resolution would need another server.
//
// # Faults
//
// Options switch faults on: Refuse (REFUSED), ServFail (SERVFAIL, with
// ServFailEDE an extended DNS error and a working CD=1 bypass, as a validating
// resolver gives for a DNSSEC-bogus zone), Drop (no answer: clients time
// out), NoAA, NoTCP, and MaxUDP (TC=1 over UDP for answers larger than that).
// SetOptions changes them while the server runs, and SetZones swaps the data,
// for tests that publish a record halfway:
//
//	srv.SetOptions(verifytest.Options{ServFail: true})
//	// ... the check reports SERVFAIL ...
//	srv.SetOptions(verifytest.Options{})
//	if err := srv.SetZones(zoneWithRecord); err != nil {
//		t.Fatal(err)
//	}
//
// Queries returns what the server was asked, to assert that a client sent
// RD=0, went over TCP after a truncated answer, or asked the expected names.
//
// # Serving a directory
//
// LoadDir serves every *.zone and *.db file in a directory and re-reads it
// when a file changes, so that `orgctl sandbox` users can edit zones while the
// server runs. A file that does not parse leaves the old data in place;
// LastError and Options.OnReload report it.
//
// The server listens only on loopback addresses; it is never reachable from
// another machine.
package verifytest
