// Package peertest runs independent servers — BIND 9 as an authoritative DNS server, Unbound as a
// (validating) resolver, nginx as a web server, and a SCIM 2.0 service on the scimmy npm package —
// as real processes for a test, the way net/http/httptest runs an HTTP server.
//
// Every server listens on 127.0.0.1 only, on a free port, with its configuration, zone files, pid file
// and logs in its own t.TempDir(). It is stopped, with its whole process group, in t.Cleanup, and on
// Linux it is also killed if the test binary dies. Every wait is bounded by a timeout.
//
// A test first asks for the binaries it needs; where they are missing, Need skips the test locally
// and fails it under CI=true, where a missing server is a failure:
//
//	peertest.Need(t, "named")
//	auth := peertest.StartBIND(t, peertest.BINDOptions{}, peertest.Zone{
//		Origin: "example.test.",
//		Text: `$TTL 300
//	@	SOA	ns1 hostmaster 1 3600 600 86400 300
//	@	NS	ns1
//	ns1	A	127.0.0.1
//	_orgctl	TXT	"orgctl-verify=abc"`,
//	})
//	res := peertest.StartUnbound(t, peertest.UnboundOptions{},
//		peertest.Stub{Zone: "example.test.", Addrs: []string{auth.Addr}})
//	// query res.Addr (a "127.0.0.1:port" address) with a miekg/dns client
//
// For DNSSEC, SignZone signs a zone with dnssec-keygen and dnssec-signzone and returns the DS record to
// hand Unbound as a trust anchor; AlterTXT changes a signed zone after signing so that it is bogus.
//
// StartNginx serves files as virtual hosts, for the HTTP check (GET
// http://DOMAIN/logmein-verification-code.txt). Point the sites' names at Addr (or TLSAddr) in the
// client's dialer; a Host that names no site gets the default server's 404:
//
//	web := peertest.StartNginx(t, peertest.NginxOptions{TLS: true},
//		peertest.Site{Name: "crlf.web.test", Files: map[string]string{
//			"logmein-verification-code.txt": "orgctl-verify=abc\r\n",
//		}},
//		peertest.Site{Name: "moved.web.test", Config: `location / { return 301 http://crlf.web.test/; }`},
//		peertest.Site{Name: "stall.web.test", Config: `location / { echo_sleep 30; echo late; }`},
//	)
//	// dial web.Addr for http:// URLs, web.TLSAddr for https:// ones trusting web.CertPEM
//
// Zones should name their NS hosts inside the zone (or in another stub zone): Unbound's root hints
// point at 127.0.0.1:53 so that nothing ever leaves the machine, and a name outside every stub zone
// fails to resolve.
//
// StartSCIMMY runs testdata/scimmy/server.js under Node: Users (with the enterprise extension) and
// Groups in memory, a random bearer token, and scimmy's bugs worked around inside the service, so that
// orgctl's SCIM client is tested against the RFC rather than taught a peer's quirks. It needs node
// and the service's npm packages, which `make deps` installs (npm ci in that directory):
//
//	s := peertest.StartSCIMMY(t)
//	// s.URL is "http://127.0.0.1:port/scim/v2"; send "Authorization: Bearer "+s.Token
//	st := s.State(t) // users and groups as stored, request counts, st.Duplicates()
//	s.ResetStats(t)  // count the requests of the next step only
//
// The service looks up userName (ignoring case), externalId and group displayName eq filters in
// indexes and pages lists itself, so that a sync of thousands of users stays fast on scimmy.
//
// Facts about these servers on this project's machines, and the configuration they need, are written
// down in PEERS.md in the project's shared notes.
package peertest
