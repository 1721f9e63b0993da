package peertest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zone returns a small zone for origin with the given serial; body is appended to the SOA, NS and
// glue records.
func zone(origin string, serial int, body string) Zone {
	return Zone{Origin: origin, Text: fmt.Sprintf(`$TTL 300
@	SOA	ns1 hostmaster %d 3600 600 86400 300
@	NS	ns1
ns1	A	127.0.0.1
%s`, serial, body)}
}

// ask sends one query and fails the test when no answer comes. edit adjusts the query (flags, EDNS).
func ask(t *testing.T, network, addr, name string, qtype uint16, edit func(*dns.Msg)) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	if edit != nil {
		edit(m)
	}
	c := &dns.Client{Net: network, Timeout: 3 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s @%s: %v", network, name, dns.TypeToString[qtype], addr, err)
	}
	return r
}

func norec(m *dns.Msg) { m.RecursionDesired = false }

func withDO(m *dns.Msg) { m.SetEdns0(1232, true) }

func withCD(m *dns.Msg) {
	m.SetEdns0(1232, true)
	m.CheckingDisabled = true
}

// txts returns the TXT values in r's answer section, character-strings joined.
func txts(r *dns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		if txt, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(txt.Txt, ""))
		}
	}
	return out
}

func serialOf(t *testing.T, r *dns.Msg) uint32 {
	t.Helper()
	for _, rr := range r.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial
		}
	}
	t.Fatalf("no SOA in answer:\n%v", r)
	return 0
}

// ede returns the extended DNS errors in r.
func ede(r *dns.Msg) []*dns.EDNS0_EDE {
	var out []*dns.EDNS0_EDE
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

func TestBINDAnswersTXTAuthoritatively(t *testing.T) {
	t.Parallel()
	b := StartBIND(t, BINDOptions{}, zone("example.test.", 1, `_orgctl	TXT	"orgctl-verify=abc123"`))

	for _, network := range []string{"udp", "tcp"} {
		r := ask(t, network, b.Addr, "_orgctl.example.test.", dns.TypeTXT, norec)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.RecursionAvailable {
			t.Errorf("%s: got rcode %s aa=%v ra=%v, want NOERROR aa=true ra=false",
				network, dns.RcodeToString[r.Rcode], r.Authoritative, r.RecursionAvailable)
		}
		if got, want := txts(r), []string{"orgctl-verify=abc123"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got TXT %q, want %q", network, got, want)
		}
	}

	r := ask(t, "udp", b.Addr, "missing.example.test.", dns.TypeTXT, norec)
	if r.Rcode != dns.RcodeNameError || !r.Authoritative {
		t.Errorf("missing name: got rcode %s aa=%v, want NXDOMAIN aa=true", dns.RcodeToString[r.Rcode], r.Authoritative)
	}
	r = ask(t, "udp", b.Addr, "other.example.", dns.TypeTXT, norec)
	if r.Rcode != dns.RcodeRefused {
		t.Errorf("name outside its zones: got rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
}

func TestBINDMaxUDPSize(t *testing.T) {
	t.Parallel()
	// Eight 200-byte strings: an RRset of about 1.7 kB, over the default max-udp-size of 1232.
	var big strings.Builder
	big.WriteString("big\tTXT")
	for i := range 8 {
		fmt.Fprintf(&big, " %q", strings.Repeat(string(rune('a'+i)), 200))
	}
	z := zone("example.test.", 1, big.String())
	small := StartBIND(t, BINDOptions{}, z)
	large := StartBIND(t, BINDOptions{MaxUDPSize: 4096}, z)

	edns4096 := func(m *dns.Msg) { norec(m); m.SetEdns0(4096, false) }
	r := ask(t, "udp", small.Addr, "big.example.test.", dns.TypeTXT, edns4096)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("udp, max-udp-size 1232: got tc=%v with %d answers, want tc=true with none", r.Truncated, len(r.Answer))
	}
	r = ask(t, "tcp", small.Addr, "big.example.test.", dns.TypeTXT, edns4096)
	if r.Truncated || len(r.Answer) != 1 || len(r.Answer[0].(*dns.TXT).Txt) != 8 {
		t.Errorf("tcp: got tc=%v with answer %v, want the whole RRset", r.Truncated, r.Answer)
	}
	r = ask(t, "udp", large.Addr, "big.example.test.", dns.TypeTXT, edns4096)
	if r.Truncated || len(r.Answer) != 1 {
		t.Errorf("udp, max-udp-size 4096: got tc=%v with %d answers, want the whole RRset", r.Truncated, len(r.Answer))
	}
}

func TestTwoBINDsServeDifferentSerials(t *testing.T) {
	t.Parallel()
	current := StartBIND(t, BINDOptions{}, zone("example.test.", 2024010102, `_orgctl	TXT	"orgctl-verify=new"`))
	stale := StartBIND(t, BINDOptions{}, zone("example.test.", 2024010101, `_orgctl	TXT	"orgctl-verify=old"`))
	if current.Addr == stale.Addr {
		t.Fatalf("both servers on %s", current.Addr)
	}
	for _, tc := range []struct {
		b      *BIND
		serial uint32
		txt    string
	}{
		{current, 2024010102, "orgctl-verify=new"},
		{stale, 2024010101, "orgctl-verify=old"},
	} {
		if got := serialOf(t, ask(t, "udp", tc.b.Addr, "example.test.", dns.TypeSOA, norec)); got != tc.serial {
			t.Errorf("%s: got serial %d, want %d", tc.b.Addr, got, tc.serial)
		}
		if got := txts(ask(t, "udp", tc.b.Addr, "_orgctl.example.test.", dns.TypeTXT, norec)); len(got) != 1 || got[0] != tc.txt {
			t.Errorf("%s: got TXT %q, want %q", tc.b.Addr, got, tc.txt)
		}
	}
}

func TestSetZone(t *testing.T) {
	t.Parallel()
	b := StartBIND(t, BINDOptions{}, zone("example.test.", 1, `_orgctl	TXT	"orgctl-verify=old"`))
	b.SetZone(t, zone("example.test.", 2, `_orgctl	TXT	"orgctl-verify=new"`))
	if got := serialOf(t, ask(t, "udp", b.Addr, "example.test.", dns.TypeSOA, norec)); got != 2 {
		t.Errorf("got serial %d, want 2", got)
	}
	if got := txts(ask(t, "udp", b.Addr, "_orgctl.example.test.", dns.TypeTXT, norec)); len(got) != 1 || got[0] != "orgctl-verify=new" {
		t.Errorf("got TXT %q, want [orgctl-verify=new]", got)
	}

	// A zone the server did not have is added.
	b.SetZone(t, zone("added.test.", 7, `_orgctl	TXT	"orgctl-verify=added"`))
	if got := txts(ask(t, "udp", b.Addr, "_orgctl.added.test.", dns.TypeTXT, norec)); len(got) != 1 || got[0] != "orgctl-verify=added" {
		t.Errorf("added zone: got TXT %q, want [orgctl-verify=added]", got)
	}
}

func TestUnboundResolvesThroughStubs(t *testing.T) {
	t.Parallel()
	first := StartBIND(t, BINDOptions{}, zone("example.test.", 1, `_orgctl	TXT	"orgctl-verify=abc123"
www	CNAME	target.other.test.`))
	second := StartBIND(t, BINDOptions{}, zone("other.test.", 1, `target	TXT	"orgctl-verify=via-cname"`))
	u := StartUnbound(t, UnboundOptions{},
		Stub{Zone: "example.test.", Addrs: []string{first.Addr}},
		Stub{Zone: "other.test", Addrs: []string{second.Addr}})

	r := ask(t, "udp", u.Addr, "_orgctl.example.test.", dns.TypeTXT, nil)
	if r.Rcode != dns.RcodeSuccess || !r.RecursionAvailable || r.Authoritative {
		t.Errorf("got rcode %s ra=%v aa=%v, want NOERROR ra=true aa=false", dns.RcodeToString[r.Rcode], r.RecursionAvailable, r.Authoritative)
	}
	if got := txts(r); len(got) != 1 || got[0] != "orgctl-verify=abc123" {
		t.Errorf("got TXT %q, want [orgctl-verify=abc123]", got)
	}

	// BIND gives only the CNAME, into a zone it does not serve; Unbound follows it.
	r = ask(t, "udp", first.Addr, "www.example.test.", dns.TypeTXT, norec)
	if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeCNAME {
		t.Errorf("BIND: got answer %v, want the CNAME alone", r.Answer)
	}
	r = ask(t, "udp", u.Addr, "www.example.test.", dns.TypeTXT, nil)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 || r.Answer[0].Header().Rrtype != dns.TypeCNAME {
		t.Errorf("unbound: got rcode %s answer %v, want NOERROR with the CNAME and the TXT", dns.RcodeToString[r.Rcode], r.Answer)
	}
	if got := txts(r); len(got) != 1 || got[0] != "orgctl-verify=via-cname" {
		t.Errorf("unbound: got TXT %q, want [orgctl-verify=via-cname]", got)
	}

	// A name under no stub zone fails at once: Unbound sends nothing off the machine.
	r = ask(t, "udp", u.Addr, "example.com.", dns.TypeTXT, nil)
	if r.Rcode != dns.RcodeServerFailure {
		t.Errorf("name outside the stubs: got rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
}

func TestUnboundRestartEmptiesCache(t *testing.T) {
	t.Parallel()
	b := StartBIND(t, BINDOptions{}, zone("example.test.", 1, `_orgctl	TXT	"orgctl-verify=old"`))
	u := StartUnbound(t, UnboundOptions{}, Stub{Zone: "example.test.", Addrs: []string{b.Addr}})
	if got := txts(ask(t, "udp", u.Addr, "_orgctl.example.test.", dns.TypeTXT, nil)); len(got) != 1 || got[0] != "orgctl-verify=old" {
		t.Fatalf("got TXT %q, want [orgctl-verify=old]", got)
	}
	b.SetZone(t, zone("example.test.", 2, `_orgctl	TXT	"orgctl-verify=new"`))
	if got := txts(ask(t, "udp", u.Addr, "_orgctl.example.test.", dns.TypeTXT, nil)); len(got) != 1 || got[0] != "orgctl-verify=old" {
		t.Errorf("before Restart: got TXT %q, want the cached [orgctl-verify=old]", got)
	}
	addr := u.Addr
	u.Restart(t)
	if u.Addr != addr {
		t.Errorf("Restart moved unbound from %s to %s", addr, u.Addr)
	}
	if got := txts(ask(t, "udp", u.Addr, "_orgctl.example.test.", dns.TypeTXT, nil)); len(got) != 1 || got[0] != "orgctl-verify=new" {
		t.Errorf("after Restart: got TXT %q, want [orgctl-verify=new]", got)
	}
}

// signedSetup serves z signed with opts (changed by alter, if given) from BIND, behind a validating
// Unbound that trusts its DS.
func signedSetup(t *testing.T, opts SignOptions, alter func(Zone) Zone) *Unbound {
	t.Helper()
	signed, ds := SignZone(t, zone("signed.test.", 1, `_orgctl	TXT	"orgctl-verify=abc123"`), opts)
	if !strings.Contains(ds, "signed.test.") || !strings.Contains(ds, " DS ") {
		t.Fatalf("got DS %q, want a DS record for signed.test.", ds)
	}
	if alter != nil {
		signed = alter(signed)
	}
	b := StartBIND(t, BINDOptions{}, signed)
	return StartUnbound(t, UnboundOptions{TrustAnchors: []string{ds}}, Stub{Zone: "signed.test.", Addrs: []string{b.Addr}})
}

func TestSignedZoneValidates(t *testing.T) {
	t.Parallel()
	u := signedSetup(t, SignOptions{}, nil)
	r := ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withDO)
	if r.Rcode != dns.RcodeSuccess || !r.AuthenticatedData {
		t.Errorf("got rcode %s ad=%v, want NOERROR ad=true; EDE %v", dns.RcodeToString[r.Rcode], r.AuthenticatedData, ede(r))
	}
	if got := txts(r); len(got) != 1 || got[0] != "orgctl-verify=abc123" {
		t.Errorf("got TXT %q, want [orgctl-verify=abc123]", got)
	}
	// Unbound sets AD only for a query that asks for it, with DO or with AD (RFC 6840 §5.7).
	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, nil)
	t.Logf("without DO: ad=%v", r.AuthenticatedData)
	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, func(m *dns.Msg) { m.AuthenticatedData = true })
	t.Logf("AD, no DO: ad=%v", r.AuthenticatedData)
}

// checkEDE checks that r is a SERVFAIL without answers carrying exactly one extended DNS error with
// the code want, and with text containing wantText ("" asks for no text at all).
func checkEDE(t *testing.T, what string, r *dns.Msg, want uint16, wantText string) {
	t.Helper()
	if r.Rcode != dns.RcodeServerFailure || len(r.Answer) != 0 {
		t.Errorf("%s: got rcode %s with %d answers, want SERVFAIL with none", what, dns.RcodeToString[r.Rcode], len(r.Answer))
	}
	e := ede(r)
	if len(e) != 1 {
		t.Fatalf("%s: got extended errors %v, want one with code %d", what, e, want)
	}
	if e[0].InfoCode != want {
		t.Errorf("%s: got EDE %d (%s), want %d (%s)", what, e[0].InfoCode, dns.ExtendedErrorCodeToString[e[0].InfoCode], want, dns.ExtendedErrorCodeToString[want])
	}
	if wantText == "" && e[0].ExtraText != "" || !strings.Contains(e[0].ExtraText, wantText) {
		t.Errorf("%s: got EDE text %q, want %q", what, e[0].ExtraText, wantText)
	}
}

// What Unbound 1.17.1 sends, as observed here (and asserted below, so a change shows):
//
//   - Signatures past their expiration: SERVFAIL, EDE 7 (Signature Expired) with the text
//     "validation failure <_orgctl.signed.test. TXT IN>: signature expired from 127.0.0.1 for trust
//     anchor signed.test. while building chain of trust". Signatures not yet valid (an inception in
//     the future) get the same EDE 7 and text, not EDE 8 (Signature Not Yet Valid).
//   - The same query again, answered from the bogus cache within val-bogus-ttl (60 s): EDE 6
//     (DNSSEC Bogus) with no text — the code changes, not only the text goes.
//   - Other names of the zone after that: EDE 7 with "key for validation signed.test. is marked as
//     invalid because of a previous validation failure …".
//   - A TXT changed after signing: EDE 6 (DNSSEC Bogus) with "validation failure
//     <_orgctl.signed.test. TXT IN>: signature crypto failed from 127.0.0.1 and 127.0.0.1"; again:
//     EDE 6 with no text.
//   - A trust anchor that matches no key of the zone: EDE 9 (DNSKEY Missing), "no keys have a DS
//     with algorithm ECDSAP256SHA256".
//   - CD=1 returns the data unvalidated (AD clear), whatever the failure.
//   - NXDOMAIN, and the SERVFAIL for a name outside every stub zone, carry no EDE.
//
// Not asserted, as it takes long: with the stub zone's BIND stopped, Unbound logs "SERVFAIL
// <name TXT IN>: all the configured stub or forward servers failed, at zone example.test. upstream
// server timeout" after about 17 s, yet sends the client no reply at all (dig waited 60 s); a client
// sees only its own timeout.

func TestExpiredSignaturesServfail(t *testing.T) {
	t.Parallel()
	u := signedSetup(t, SignOptions{Inception: "20200101000000", Expiration: "20200201000000"}, nil)
	r := ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withDO)
	checkEDE(t, "first query", r, dns.ExtendedErrorCodeSignatureExpired, "signature expired")
	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withDO)
	checkEDE(t, "repeated query", r, dns.ExtendedErrorCodeDNSBogus, "")

	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withCD)
	if r.Rcode != dns.RcodeSuccess || r.AuthenticatedData {
		t.Errorf("CD=1: got rcode %s ad=%v, want NOERROR ad=false", dns.RcodeToString[r.Rcode], r.AuthenticatedData)
	}
	if got := txts(r); len(got) != 1 || got[0] != "orgctl-verify=abc123" {
		t.Errorf("CD=1: got TXT %q, want [orgctl-verify=abc123]", got)
	}
}

func TestAlteredZoneIsBogus(t *testing.T) {
	t.Parallel()
	u := signedSetup(t, SignOptions{}, func(z Zone) Zone {
		return AlterTXT(t, z, "_orgctl", "orgctl-verify=forged")
	})
	r := ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withDO)
	checkEDE(t, "first query", r, dns.ExtendedErrorCodeDNSBogus, "signature crypto failed")
	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withDO)
	checkEDE(t, "repeated query", r, dns.ExtendedErrorCodeDNSBogus, "")

	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withCD)
	if got := txts(r); r.Rcode != dns.RcodeSuccess || r.AuthenticatedData || len(got) != 1 || got[0] != "orgctl-verify=forged" {
		t.Errorf("CD=1: got rcode %s ad=%v TXT %q, want NOERROR ad=false [orgctl-verify=forged]", dns.RcodeToString[r.Rcode], r.AuthenticatedData, got)
	}

	// Restart empties the cache, the bogus cache included: the text is back.
	u.Restart(t)
	r = ask(t, "udp", u.Addr, "_orgctl.signed.test.", dns.TypeTXT, withDO)
	checkEDE(t, "after Restart", r, dns.ExtendedErrorCodeDNSBogus, "signature crypto failed")
}

// needRecorder records what Need does instead of skipping or failing the test that runs it.
type needRecorder struct {
	testing.TB
	skipped, failed string
}

func (r *needRecorder) Helper()                        {}
func (r *needRecorder) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *needRecorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestNeedMissingBinary(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantSkip bool
	}{
		{"", true},
		{"false", true},
		{"true", false},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			rec := &needRecorder{TB: t}
			if got := Need(rec, "peertest-no-such-binary"); got != "" {
				t.Errorf("got path %q, want none", got)
			}
			msg := rec.failed
			if tc.wantSkip {
				msg = rec.skipped
			}
			if (rec.skipped != "") != tc.wantSkip || (rec.failed != "") == tc.wantSkip {
				t.Errorf("got skipped %q, failed %q; want a skip: %v", rec.skipped, rec.failed, tc.wantSkip)
			}
			if !strings.Contains(msg, "install with: sudo scripts/deps.sh (or apt-get install") {
				t.Errorf("got message %q, want the install hint", msg)
			}
		})
	}
}

func TestNeedFindsSbin(t *testing.T) {
	// named is in /usr/sbin, which a non-root PATH often lacks.
	t.Setenv("PATH", "/usr/bin:/bin")
	if got := Need(t, "named"); !strings.HasSuffix(got, "/named") {
		t.Errorf("got %q, want the path of named", got)
	}
}

// TestStartRetriesTakenPort hands each server a port that is already taken, first: the start must
// notice and go on to another port. Not parallel: it replaces pickPort.
func TestStartRetriesTakenPort(t *testing.T) {
	Need(t, "named")
	Need(t, "unbound")
	taken, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(taken))
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()

	handed := 0
	pickPort = func() (int, error) {
		handed++
		if handed%2 == 1 {
			return taken, nil
		}
		return freePort()
	}
	t.Cleanup(func() { pickPort = freePort })

	b := StartBIND(t, BINDOptions{}, zone("example.test.", 1, `_orgctl	TXT	"x"`))
	u := StartUnbound(t, UnboundOptions{}, Stub{Zone: "example.test.", Addrs: []string{b.Addr}})
	if handed != 4 {
		t.Errorf("got %d ports handed out, want 4 (a taken one and a free one per server)", handed)
	}
	for _, a := range []string{b.Addr, u.Addr} {
		if a == addr {
			t.Errorf("a server claims the taken address %s", addr)
		}
	}
	if got := txts(ask(t, "udp", u.Addr, "_orgctl.example.test.", dns.TypeTXT, nil)); len(got) != 1 || got[0] != "x" {
		t.Errorf("got TXT %q, want [x]", got)
	}
}

// takenPortFirst makes pickPort hand out a port that is in use, then free
// ones, until the test ends; it returns the taken port and a counter of
// the ports handed out. Tests that call it must not run in parallel.
func takenPortFirst(t *testing.T) (taken int, handed *int) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	taken = l.Addr().(*net.TCPAddr).Port
	handed = new(int)
	pickPort = func() (int, error) {
		*handed++
		if *handed == 1 {
			return taken, nil
		}
		return freePort()
	}
	t.Cleanup(func() { pickPort = freePort })
	return taken, handed
}
