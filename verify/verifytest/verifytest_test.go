package verifytest_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/verify/verifytest"
)

// exampleZone has a negative TTL of 600: its SOA TTL (3600) is above MINIMUM.
const exampleZone = `
$ORIGIN example.com.
$TTL 300
@          3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 600
                IN NS    ns1
ns1             IN A     192.0.2.53
www             IN A     192.0.2.1
_orgctl         IN TXT   "orgctl-verify=abc123"
multi           IN TXT   "orgctl-verify=one"
multi           IN TXT   "orgctl-verify=two"
multi           IN TXT   "v=spf1 -all"
split           IN TXT   "orgctl-verify=" "abc123" "with space"
a.b.c           IN TXT   "deep" ; b.c and c are empty non-terminals
alias           IN CNAME web
web             IN CNAME www
away            IN CNAME _orgctl.other.test.
gone            IN CNAME nothing.other.test.
outside         IN CNAME www.example.net.
loop1           IN CNAME loop2
loop2           IN CNAME loop1
dangling        IN CNAME nothing
*.wild          IN TXT   "wildcard"
real.wild       IN TXT   "real"
*.wc            IN CNAME www
www             IN A     192.0.2.1 ; a duplicate, served once
sub             IN NS    ns1.sub
sub             IN NS    ns.other.test.
ns1.sub         IN A     192.0.2.54
`

// otherZone has no $ORIGIN and a negative TTL of 60: its SOA TTL is below
// MINIMUM.
const otherZone = `
other.test. 60 IN SOA ns.other.test. hostmaster.other.test. 1 7200 3600 1209600 3600
other.test. 60 IN NS ns.other.test.
_orgctl.other.test. 300 IN TXT "from other"
`

const (
	exampleNeg = "example.com. 600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 600"
	otherNeg   = "other.test. 60 IN SOA ns.other.test. hostmaster.other.test. 1 7200 3600 1209600 3600"
)

// want is the expected reply; OPT records are left out of extra.
type want struct {
	rcode             int
	aa, ra            bool
	answer, ns, extra []string
}

func TestAnswers(t *testing.T) {
	rec := verifytest.Options{Recursive: true}
	tests := []struct {
		name  string
		opts  verifytest.Options
		qname string
		qtype uint16
		want  want
	}{
		{
			name: "exact A", qname: "www.example.com.", qtype: dns.TypeA,
			want: want{aa: true, answer: []string{"www.example.com. 300 IN A 192.0.2.1"}},
		},
		{
			name: "one TXT", qname: "_orgctl.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{`_orgctl.example.com. 300 IN TXT "orgctl-verify=abc123"`}},
		},
		{
			name: "several TXT in zone order", qname: "multi.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{
				`multi.example.com. 300 IN TXT "orgctl-verify=one"`,
				`multi.example.com. 300 IN TXT "orgctl-verify=two"`,
				`multi.example.com. 300 IN TXT "v=spf1 -all"`,
			}},
		},
		{
			name: "multi-string TXT intact", qname: "split.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{`split.example.com. 300 IN TXT "orgctl-verify=" "abc123" "with space"`}},
		},
		{
			name: "names match without case", qname: "_ORGCTL.Example.COM.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{`_orgctl.example.com. 300 IN TXT "orgctl-verify=abc123"`}},
		},
		{
			name: "NXDOMAIN with negative TTL from MINIMUM", qname: "nope.example.com.", qtype: dns.TypeTXT,
			want: want{rcode: dns.RcodeNameError, aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "NXDOMAIN with negative TTL from SOA TTL", qname: "nope.other.test.", qtype: dns.TypeTXT,
			want: want{rcode: dns.RcodeNameError, aa: true, ns: []string{otherNeg}},
		},
		{
			name: "NODATA", qname: "www.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "empty non-terminal is NODATA", qname: "b.c.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "top empty non-terminal is NODATA", qname: "c.example.com.", qtype: dns.TypeA,
			want: want{aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "below empty non-terminal is NXDOMAIN", qname: "x.b.c.example.com.", qtype: dns.TypeTXT,
			want: want{rcode: dns.RcodeNameError, aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "CNAME chain in zone", qname: "alias.example.com.", qtype: dns.TypeA,
			want: want{aa: true, answer: []string{
				"alias.example.com. 300 IN CNAME web.example.com.",
				"web.example.com. 300 IN CNAME www.example.com.",
				"www.example.com. 300 IN A 192.0.2.1",
			}},
		},
		{
			name: "CNAME query is not chased", qname: "alias.example.com.", qtype: dns.TypeCNAME,
			want: want{aa: true, answer: []string{"alias.example.com. 300 IN CNAME web.example.com."}},
		},
		{
			name: "CNAME chain ending in NODATA", qname: "alias.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{
				"alias.example.com. 300 IN CNAME web.example.com.",
				"web.example.com. 300 IN CNAME www.example.com.",
			}, ns: []string{exampleNeg}},
		},
		{
			name: "dangling CNAME is NXDOMAIN", qname: "dangling.example.com.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeNameError, aa: true,
				answer: []string{"dangling.example.com. 300 IN CNAME nothing.example.com."},
				ns:     []string{exampleNeg}},
		},
		{
			name: "CNAME to another zone: authoritative gives the CNAME only", qname: "away.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{"away.example.com. 300 IN CNAME _orgctl.other.test."}},
		},
		{
			name: "CNAME to another zone: recursive chases it", opts: rec, qname: "away.example.com.", qtype: dns.TypeTXT,
			want: want{ra: true, answer: []string{
				"away.example.com. 300 IN CNAME _orgctl.other.test.",
				`_orgctl.other.test. 300 IN TXT "from other"`,
			}},
		},
		{
			name: "recursive CNAME to NXDOMAIN in another zone", opts: rec, qname: "gone.example.com.", qtype: dns.TypeTXT,
			want: want{rcode: dns.RcodeNameError, ra: true,
				answer: []string{"gone.example.com. 300 IN CNAME nothing.other.test."},
				ns:     []string{otherNeg}},
		},
		{
			name: "recursive CNAME out of held zones", opts: rec, qname: "outside.example.com.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeServerFailure, ra: true},
		},
		{
			name: "CNAME loop: authoritative ends at the loop", qname: "loop1.example.com.", qtype: dns.TypeA,
			want: want{aa: true, answer: []string{
				"loop1.example.com. 300 IN CNAME loop2.example.com.",
				"loop2.example.com. 300 IN CNAME loop1.example.com.",
			}},
		},
		{
			name: "CNAME loop: recursive fails", opts: rec, qname: "loop1.example.com.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeServerFailure, ra: true},
		},
		{
			name: "wildcard", qname: "x.wild.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{`x.wild.example.com. 300 IN TXT "wildcard"`}},
		},
		{
			name: "wildcard keeps the query's case", qname: "Y.z.WILD.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{`Y.z.WILD.example.com. 300 IN TXT "wildcard"`}},
		},
		{
			name: "wildcard CNAME", qname: "x.wc.example.com.", qtype: dns.TypeA,
			want: want{aa: true, answer: []string{
				"x.wc.example.com. 300 IN CNAME www.example.com.",
				"www.example.com. 300 IN A 192.0.2.1",
			}},
		},
		{
			name: "wildcard NODATA", qname: "x.wild.example.com.", qtype: dns.TypeA,
			want: want{aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "existing name beats wildcard", qname: "real.wild.example.com.", qtype: dns.TypeTXT,
			want: want{aa: true, answer: []string{`real.wild.example.com. 300 IN TXT "real"`}},
		},
		{
			name: "existing name does not fall back to wildcard", qname: "real.wild.example.com.", qtype: dns.TypeA,
			want: want{aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "delegation referral with glue", qname: "www.sub.example.com.", qtype: dns.TypeTXT,
			want: want{
				ns: []string{
					"sub.example.com. 300 IN NS ns1.sub.example.com.",
					"sub.example.com. 300 IN NS ns.other.test.",
				},
				extra: []string{"ns1.sub.example.com. 300 IN A 192.0.2.54"},
			},
		},
		{
			name: "NS query at the cut is a referral", qname: "sub.example.com.", qtype: dns.TypeNS,
			want: want{
				ns: []string{
					"sub.example.com. 300 IN NS ns1.sub.example.com.",
					"sub.example.com. 300 IN NS ns.other.test.",
				},
				extra: []string{"ns1.sub.example.com. 300 IN A 192.0.2.54"},
			},
		},
		{
			name: "DS at the cut is answered by the parent", qname: "sub.example.com.", qtype: dns.TypeDS,
			want: want{aa: true, ns: []string{exampleNeg}},
		},
		{
			name: "recursive below a delegation that is not held", opts: rec, qname: "www.sub.example.com.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeServerFailure, ra: true},
		},
		{
			name: "ANY returns every RRset", qname: "example.com.", qtype: dns.TypeANY,
			want: want{aa: true, answer: []string{
				"example.com. 300 IN NS ns1.example.com.",
				"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 600",
			}},
		},
		{
			name: "AXFR is refused", qname: "example.com.", qtype: dns.TypeAXFR,
			want: want{rcode: dns.RcodeRefused},
		},
		{
			name: "REFUSED outside held zones", qname: "example.org.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeRefused},
		},
		{
			name: "REFUSED for a parent of a held zone", qname: "com.", qtype: dns.TypeNS,
			want: want{rcode: dns.RcodeRefused},
		},
		{
			name: "recursive REFUSED outside held zones", opts: rec, qname: "example.org.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeRefused, ra: true},
		},
		{
			name: "recursive answer", opts: rec, qname: "alias.example.com.", qtype: dns.TypeA,
			want: want{ra: true, answer: []string{
				"alias.example.com. 300 IN CNAME web.example.com.",
				"web.example.com. 300 IN CNAME www.example.com.",
				"www.example.com. 300 IN A 192.0.2.1",
			}},
		},
		{
			name: "recursive NXDOMAIN", opts: rec, qname: "nope.example.com.", qtype: dns.TypeTXT,
			want: want{rcode: dns.RcodeNameError, ra: true, ns: []string{exampleNeg}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := verifytest.Start(t, tc.opts, exampleZone, otherZone)
			for _, network := range []string{"udp", "tcp"} {
				t.Run(network, func(t *testing.T) {
					r := exchange(t, srv.Addr, network, question(tc.qname, tc.qtype))
					if got := r.Question[0].Name; got != tc.qname {
						t.Errorf("question name = %q, want %q", got, tc.qname)
					}
					checkReply(t, r, tc.want)
				})
			}
		})
	}
}

func TestFaults(t *testing.T) {
	bogus := &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeDNSBogus, ExtraText: "signature expired"}
	answer := []string{`_orgctl.example.com. 300 IN TXT "orgctl-verify=abc123"`}
	tests := []struct {
		name    string
		opts    verifytest.Options
		edns    bool
		cd      bool
		want    want
		wantEDE *dns.EDNS0_EDE
	}{
		{name: "none", want: want{aa: true, answer: answer}},
		{name: "Refuse", opts: verifytest.Options{Refuse: true}, want: want{rcode: dns.RcodeRefused}},
		{name: "Refuse with EDNS", opts: verifytest.Options{Refuse: true}, edns: true, want: want{rcode: dns.RcodeRefused}},
		{name: "ServFail", opts: verifytest.Options{ServFail: true}, edns: true, want: want{rcode: dns.RcodeServerFailure}},
		{
			name: "ServFail without EDE ignores CD", opts: verifytest.Options{ServFail: true}, cd: true,
			want: want{rcode: dns.RcodeServerFailure},
		},
		{
			name: "ServFail with EDE", opts: verifytest.Options{ServFail: true, ServFailEDE: bogus}, edns: true,
			want: want{rcode: dns.RcodeServerFailure}, wantEDE: bogus,
		},
		{
			name: "ServFail with EDE but no EDNS", opts: verifytest.Options{ServFail: true, ServFailEDE: bogus},
			want: want{rcode: dns.RcodeServerFailure},
		},
		{
			name: "ServFail with EDE and CD=1 answers", opts: verifytest.Options{ServFail: true, ServFailEDE: bogus}, edns: true, cd: true,
			want: want{aa: true, answer: answer},
		},
		{name: "NoAA", opts: verifytest.Options{NoAA: true}, want: want{answer: answer}},
		{name: "NoEDNS without EDNS answers", opts: verifytest.Options{NoEDNS: true}, want: want{aa: true, answer: answer}},
		{
			name: "Refuse beats ServFail", opts: verifytest.Options{Refuse: true, ServFail: true},
			want: want{rcode: dns.RcodeRefused},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := verifytest.Start(t, tc.opts, exampleZone)
			for _, network := range []string{"udp", "tcp"} {
				t.Run(network, func(t *testing.T) {
					m := question("_orgctl.example.com.", dns.TypeTXT)
					m.CheckingDisabled = tc.cd
					if tc.edns {
						m.SetEdns0(1232, false)
					}
					r := exchange(t, srv.Addr, network, m)
					checkReply(t, r, tc.want)
					if r.CheckingDisabled != tc.cd {
						t.Errorf("CD = %v, want %v", r.CheckingDisabled, tc.cd)
					}
					if got := r.IsEdns0() != nil; got != tc.edns {
						t.Errorf("reply has OPT = %v, want %v", got, tc.edns)
					}
					if got := ede(r); !equalEDE(got, tc.wantEDE) {
						t.Errorf("EDE = %v, want %v", got, tc.wantEDE)
					}
				})
			}
		})
	}
}

func TestNoEDNSRejectsOPT(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{NoEDNS: true}, exampleZone)
	m := question("_orgctl.example.com.", dns.TypeTXT)
	m.SetEdns0(1232, false)
	r := exchange(t, srv.Addr, "udp", m)
	if r.Rcode != dns.RcodeFormatError || r.IsEdns0() != nil || len(r.Answer) != 0 {
		t.Errorf("rcode %s, OPT %v, %d answers; want FORMERR without OPT", dns.RcodeToString[r.Rcode], r.IsEdns0() != nil, len(r.Answer))
	}
}

func TestServFailEDEIsCopied(t *testing.T) {
	e := &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeDNSBogus}
	srv := verifytest.Start(t, verifytest.Options{ServFail: true, ServFailEDE: e}, exampleZone)
	e.InfoCode = dns.ExtendedErrorCodeOther
	m := question("_orgctl.example.com.", dns.TypeTXT)
	m.SetEdns0(1232, false)
	r := exchange(t, srv.Addr, "udp", m)
	if got := ede(r); got == nil || got.InfoCode != dns.ExtendedErrorCodeDNSBogus {
		t.Errorf("EDE = %v, want code %d", got, dns.ExtendedErrorCodeDNSBogus)
	}
}

func TestEDNS(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, exampleZone)
	tests := []struct {
		name      string
		edns      bool
		do        bool
		version   uint8
		wantRcode int
		wantOPT   bool
		wantDO    bool
	}{
		{name: "no EDNS", wantOPT: false},
		{name: "EDNS", edns: true, wantOPT: true},
		{name: "DO echoed", edns: true, do: true, wantOPT: true, wantDO: true},
		{name: "unknown version", edns: true, version: 1, wantRcode: dns.RcodeBadVers, wantOPT: true},
	}
	for _, tc := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tc.name+"/"+network, func(t *testing.T) {
				m := question("_orgctl.example.com.", dns.TypeTXT)
				if tc.edns {
					m.SetEdns0(4096, tc.do)
					m.IsEdns0().SetVersion(tc.version)
				}
				r := exchange(t, srv.Addr, network, m)
				if r.Rcode != tc.wantRcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.wantRcode])
				}
				opt := r.IsEdns0()
				if (opt != nil) != tc.wantOPT {
					t.Fatalf("reply has OPT = %v, want %v", opt != nil, tc.wantOPT)
				}
				if opt == nil {
					return
				}
				if opt.UDPSize() != 1232 {
					t.Errorf("UDP size = %d, want 1232", opt.UDPSize())
				}
				if opt.Do() != tc.wantDO {
					t.Errorf("DO = %v, want %v", opt.Do(), tc.wantDO)
				}
			})
		}
	}
}

func TestOddQueries(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, exampleZone)
	tests := []struct {
		name      string
		edit      func(m *dns.Msg)
		wantRcode int
	}{
		{name: "CHAOS class", edit: func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }, wantRcode: dns.RcodeRefused},
		{name: "NOTIFY", edit: func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }, wantRcode: dns.RcodeNotImplemented},
		{name: "UPDATE", edit: func(m *dns.Msg) { m.Opcode = dns.OpcodeUpdate }, wantRcode: dns.RcodeNotImplemented},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := question("www.example.com.", dns.TypeA)
			tc.edit(m)
			r := exchange(t, srv.Addr, "udp", m)
			if r.Rcode != tc.wantRcode || len(r.Answer) != 0 {
				t.Errorf("got %s with %d answers, want %s with none", dns.RcodeToString[r.Rcode], len(r.Answer), dns.RcodeToString[tc.wantRcode])
			}
		})
	}
}

func TestDrop(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{Drop: true}, exampleZone)
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			c := &dns.Client{Net: network, Timeout: 200 * time.Millisecond}
			r, _, err := c.Exchange(question("_orgctl.example.com.", dns.TypeTXT), srv.Addr)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("got reply %v, error %v; want a timeout", r, err)
			}
		})
	}
	qs := srv.Queries()
	if len(qs) != 2 || qs[0].Net != "udp" || qs[1].Net != "tcp" {
		t.Errorf("queries = %v, want one over udp and one over tcp", qs)
	}
}

func TestNoTCP(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{NoTCP: true}, exampleZone)
	q := question("_orgctl.example.com.", dns.TypeTXT)
	c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	if r, _, err := c.Exchange(q, srv.Addr); err == nil {
		t.Errorf("tcp with NoTCP: got reply %v, want an error", r)
	}
	if r := exchange(t, srv.Addr, "udp", q); len(r.Answer) != 1 {
		t.Errorf("udp with NoTCP: got %d answers, want 1", len(r.Answer))
	}
	// The connection is closed before the query is read.
	if qs := srv.Queries(); len(qs) != 1 || qs[0].Net != "udp" {
		t.Errorf("queries = %v, want only the udp one", qs)
	}

	srv.SetOptions(verifytest.Options{})
	conn, err := dns.DialTimeout("tcp", srv.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if r := exchangeConn(t, conn, q); len(r.Answer) != 1 {
		t.Fatalf("tcp without NoTCP: got %d answers, want 1", len(r.Answer))
	}

	// A connection that is already open is closed at its next query.
	srv.SetOptions(verifytest.Options{NoTCP: true})
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if err := conn.WriteMsg(q); err != nil {
		return // the server may already have reset the connection
	}
	if r, err := conn.ReadMsg(); err == nil {
		t.Errorf("open tcp connection after NoTCP: got reply %v, want an error", r)
	}
}

func TestMaxUDP(t *testing.T) {
	// 20 records of about 100 bytes: more than 512 and 1000 bytes, less than 4096.
	var b strings.Builder
	b.WriteString("$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns hostmaster 1 7200 3600 1209600 300\n")
	for i := range 20 {
		fmt.Fprintf(&b, "txt IN TXT \"record %02d %s\"\n", i, strings.Repeat("x", 80))
	}
	b.WriteString("small IN A 192.0.2.1\n")
	zone := b.String()

	tests := []struct {
		name        string
		maxUDP      int
		network     string
		ednsSize    uint16 // 0: no EDNS
		qname       string
		wantTC      bool
		wantAnswers int
	}{
		{name: "no EDNS limits to 512", network: "udp", qname: "txt.big.test.", wantTC: true},
		{name: "client EDNS size", network: "udp", ednsSize: 4096, qname: "txt.big.test.", wantAnswers: 20},
		{name: "MaxUDP below client size", maxUDP: 1000, network: "udp", ednsSize: 4096, qname: "txt.big.test.", wantTC: true},
		{name: "MaxUDP above client size", maxUDP: 4096, network: "udp", qname: "txt.big.test.", wantTC: true},
		{name: "small answer fits", maxUDP: 1000, network: "udp", ednsSize: 4096, qname: "small.big.test.", wantAnswers: 1},
		{name: "TCP gets everything", maxUDP: 512, network: "tcp", qname: "txt.big.test.", wantAnswers: 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := verifytest.Start(t, verifytest.Options{MaxUDP: tc.maxUDP}, zone)
			qtype := dns.TypeTXT
			if strings.HasPrefix(tc.qname, "small") {
				qtype = dns.TypeA
			}
			m := question(tc.qname, qtype)
			if tc.ednsSize > 0 {
				m.SetEdns0(tc.ednsSize, false)
			}
			r := exchange(t, srv.Addr, tc.network, m)
			if r.Truncated != tc.wantTC {
				t.Errorf("TC = %v, want %v", r.Truncated, tc.wantTC)
			}
			if len(r.Answer) != tc.wantAnswers {
				t.Errorf("got %d answers, want %d", len(r.Answer), tc.wantAnswers)
			}
			if tc.ednsSize > 0 && r.IsEdns0() == nil {
				t.Error("reply lost its OPT record")
			}
		})
	}
}

func TestQueries(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, exampleZone)
	before := time.Now()

	m := question("_ORGCTL.example.com.", dns.TypeTXT)
	exchange(t, srv.Addr, "udp", m)
	m = question("www.example.com.", dns.TypeA)
	m.RecursionDesired = false
	m.CheckingDisabled = true
	m.SetEdns0(1232, true)
	exchange(t, srv.Addr, "tcp", m)

	got := srv.Queries()
	want := []verifytest.Query{
		{Name: "_ORGCTL.example.com.", Type: dns.TypeTXT, Net: "udp", RD: true},
		{Name: "www.example.com.", Type: dns.TypeA, Net: "tcp", CD: true, DO: true},
	}
	if len(got) != len(want) {
		t.Fatalf("queries = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Time.Before(before) || got[i].Time.After(time.Now()) {
			t.Errorf("query %d: time %v not during the test", i, got[i].Time)
		}
		got[i].Time = time.Time{}
		if got[i] != want[i] {
			t.Errorf("query %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s, w := got[1].String(), "tcp www.example.com. A +cd +do"; s != w {
		t.Errorf("String() = %q, want %q", s, w)
	}
}

func TestSetZones(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, exampleZone)
	q := question("_orgctl.new.test.", dns.TypeTXT)
	if r := exchange(t, srv.Addr, "udp", q); r.Rcode != dns.RcodeRefused {
		t.Fatalf("before SetZones: rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}

	// No SOA and no TTL: the server makes up both.
	newZone := "$ORIGIN new.test.\n_orgctl IN TXT \"published\"\n"
	if err := srv.SetZones(exampleZone, newZone); err != nil {
		t.Fatal(err)
	}
	r := exchange(t, srv.Addr, "udp", q)
	checkReply(t, r, want{aa: true, answer: []string{`_orgctl.new.test. 3600 IN TXT "published"`}})
	if got, w := srv.Zones(), []string{"example.com.", "new.test."}; !slices.Equal(got, w) {
		t.Errorf("Zones() = %v, want %v", got, w)
	}

	// A zone without SOA gets one, for negative answers.
	r = exchange(t, srv.Addr, "udp", question("nope.new.test.", dns.TypeTXT))
	if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA || r.Ns[0].Header().Ttl != 60 {
		t.Errorf("NXDOMAIN in zone without SOA: got %v", r)
	}

	if err := srv.SetZones("this is not a zone"); err == nil {
		t.Error("SetZones with a bad zone: got no error")
	}
	r = exchange(t, srv.Addr, "udp", q)
	checkReply(t, r, want{aa: true, answer: []string{`_orgctl.new.test. 3600 IN TXT "published"`}})
}

func TestBadZones(t *testing.T) {
	tests := []struct {
		name    string
		zones   []string
		wantErr string
	}{
		{name: "syntax", zones: []string{"$ORIGIN x.test.\nwww IN A not-an-address\n"}, wantErr: "bad A"},
		{name: "no origin", zones: []string{"www.x.test. 60 IN A 192.0.2.1\n"}, wantErr: "origin"},
		{name: "out of zone", zones: []string{"$ORIGIN x.test.\nwww.y.test. IN A 192.0.2.1\n"}, wantErr: "outside"},
		{
			name:    "two SOA",
			zones:   []string{"$ORIGIN x.test.\n@ IN SOA ns hm 1 1 1 1 1\nsub IN SOA ns hm 1 1 1 1 1\n"},
			wantErr: "more than one SOA",
		},
		{name: "CNAME and other data", zones: []string{"$ORIGIN x.test.\nwww IN CNAME a\nwww IN TXT \"b\"\n"}, wantErr: "CNAME"},
		{name: "two CNAMEs", zones: []string{"$ORIGIN x.test.\nwww IN CNAME a\nwww IN CNAME b\n"}, wantErr: "CNAME"},
		{name: "zone twice", zones: []string{"$ORIGIN x.test.\n", "$ORIGIN X.test.\n"}, wantErr: "twice"},
		{name: "no includes", zones: []string{"$ORIGIN x.test.\n$INCLUDE /etc/passwd\n"}, wantErr: "INCLUDE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := verifytest.NewServer(verifytest.Options{}, tc.zones...)
			if err == nil {
				srv.Close()
				t.Fatalf("got no error, want one containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewServerAt(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:53", ":0x", "nonsense"} {
		if srv, err := verifytest.NewServerAt(addr, verifytest.Options{}); err == nil {
			srv.Close()
			t.Errorf("NewServerAt(%q): got no error", addr)
		}
	}

	// A fixed port: take a free one, release it, and ask for it.
	first, err := verifytest.NewServer(verifytest.Options{}, exampleZone)
	if err != nil {
		t.Fatal(err)
	}
	addr := first.Addr
	first.Close()
	srv, err := verifytest.NewServerAt(addr, verifytest.Options{}, exampleZone)
	if err != nil {
		t.Skipf("port taken again in between: %v", err)
	}
	defer srv.Close()
	if srv.Addr != addr {
		t.Errorf("Addr = %q, want %q", srv.Addr, addr)
	}
	for _, network := range []string{"udp", "tcp"} {
		if r := exchange(t, addr, network, question("www.example.com.", dns.TypeA)); len(r.Answer) != 1 {
			t.Errorf("%s: got %d answers, want 1", network, len(r.Answer))
		}
	}
	if _, err := verifytest.NewServerAt(addr, verifytest.Options{}); err == nil {
		t.Error("NewServerAt on a port in use: got no error")
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mod time.Time) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		// An explicit, distinct mtime: file systems with coarse timestamps
		// could otherwise hide an edit of the same size.
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Hour)
	// Origin from the file name, and from $ORIGIN.
	write("example.com.zone", "@ 300 IN SOA ns hm 1 7200 3600 1209600 300\n_orgctl 300 IN TXT \"v1\"\n", t0)
	write("other.db", "$ORIGIN other.test.\n_orgctl 300 IN TXT \"other\"\n", t0)
	write("README.txt", "not a zone", t0)

	var (
		mu      sync.Mutex
		reloads []error
	)
	onReload := func(err error) {
		mu.Lock()
		reloads = append(reloads, err)
		mu.Unlock()
	}
	srv := verifytest.Start(t, verifytest.Options{OnReload: onReload})
	if err := srv.LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	if got, w := srv.Zones(), []string{"example.com.", "other.test."}; !slices.Equal(got, w) {
		t.Errorf("Zones() = %v, want %v", got, w)
	}
	txt := func() string {
		t.Helper()
		r := exchange(t, srv.Addr, "udp", question("_orgctl.example.com.", dns.TypeTXT))
		if len(r.Answer) != 1 {
			return fmt.Sprintf("%s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		return r.Answer[0].(*dns.TXT).Txt[0]
	}
	if got := txt(); got != "v1" {
		t.Fatalf("TXT = %q, want v1", got)
	}
	if changed, err := srv.ReloadIfChanged(); changed || err != nil {
		t.Errorf("ReloadIfChanged without a change = %v, %v; want false, nil", changed, err)
	}

	write("example.com.zone", "@ 300 IN SOA ns hm 1 7200 3600 1209600 300\n_orgctl 300 IN TXT \"v2\"\n", t0.Add(time.Second))
	if changed, err := srv.ReloadIfChanged(); !changed || err != nil {
		t.Errorf("ReloadIfChanged after an edit = %v, %v; want true, nil", changed, err)
	}
	if got := txt(); got != "v2" {
		t.Errorf("TXT after edit = %q, want v2", got)
	}

	// A broken edit keeps the old data and says why.
	write("example.com.zone", "_orgctl 300 IN TXT \"unterminated\n", t0.Add(2*time.Second))
	if changed, err := srv.ReloadIfChanged(); !changed || err == nil || !strings.Contains(err.Error(), "example.com.zone") {
		t.Errorf("ReloadIfChanged after a bad edit = %v, %v; want true and an error naming the file", changed, err)
	}
	if srv.LastError() == nil {
		t.Error("LastError() = nil after a bad edit")
	}
	if got := txt(); got != "v2" {
		t.Errorf("TXT after bad edit = %q, want v2", got)
	}

	// A query notices an edit by itself, within 200ms of the last look.
	write("example.com.zone", "@ 300 IN SOA ns hm 1 7200 3600 1209600 300\n_orgctl 300 IN TXT \"v3\"\n", t0.Add(3*time.Second))
	deadline := time.Now().Add(5 * time.Second)
	for txt() != "v3" {
		if time.Now().After(deadline) {
			t.Fatalf("TXT = %q 5s after an edit, want v3", txt())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := srv.LastError(); err != nil {
		t.Errorf("LastError() = %v after a good edit", err)
	}

	// A removed file takes its zone away.
	if err := os.Remove(filepath.Join(dir, "other.db")); err != nil {
		t.Fatal(err)
	}
	if changed, err := srv.ReloadIfChanged(); !changed || err != nil {
		t.Errorf("ReloadIfChanged after a removal = %v, %v; want true, nil", changed, err)
	}
	if got, w := srv.Zones(), []string{"example.com."}; !slices.Equal(got, w) {
		t.Errorf("Zones() after removal = %v, want %v", got, w)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(reloads) != 4 || reloads[0] != nil || reloads[1] == nil || reloads[2] != nil || reloads[3] != nil {
		t.Errorf("OnReload saw %v, want [nil, error, nil, nil]", reloads)
	}
}

func TestLoadDirErrors(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, exampleZone)
	if err := srv.LoadDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadDir of a missing directory: got no error")
	}
	if got := srv.Zones(); !slices.Equal(got, []string{"example.com."}) {
		t.Errorf("Zones() after a failed LoadDir = %v, want the old zones", got)
	}

	dir := t.TempDir()
	for name, text := range map[string]string{
		"a.test.zone": "$ORIGIN dup.test.\n",
		"b.test.zone": "$ORIGIN dup.test.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := srv.LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "dup.test.") {
		t.Errorf("LoadDir with a zone in two files: error %v, want one naming dup.test.", err)
	}
	if err := srv.SetZones(otherZone); err != nil {
		t.Fatal(err)
	}
	if err := srv.LastError(); err != nil {
		t.Errorf("LastError() after SetZones = %v, want nil", err)
	}
}

func TestConcurrentQueries(t *testing.T) {
	srv := verifytest.Start(t, verifytest.Options{}, exampleZone, otherZone)
	const workers, perWorker = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		network := []string{"udp", "tcp"}[w%2]
		wg.Go(func() {
			c := &dns.Client{Net: network, Timeout: 5 * time.Second}
			for range perWorker {
				r, _, err := c.Exchange(question("multi.example.com.", dns.TypeTXT), srv.Addr)
				switch {
				case err != nil:
					errs <- err
				case r.Rcode != dns.RcodeSuccess || len(r.Answer) != 3:
					errs <- fmt.Errorf("%s: %s with %d answers, want NOERROR with 3", network, dns.RcodeToString[r.Rcode], len(r.Answer))
				}
			}
		})
	}
	// Change the server underneath the queries.
	wg.Go(func() {
		for range 20 {
			srv.SetOptions(verifytest.Options{NoAA: true})
			if err := srv.SetZones(exampleZone, otherZone); err != nil {
				errs <- err
			}
			srv.SetOptions(verifytest.Options{})
			_ = srv.Queries()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, w := len(srv.Queries()), workers*perWorker; got != w {
		t.Errorf("logged %d queries, want %d", got, w)
	}
}

func TestClose(t *testing.T) {
	srv, err := verifytest.NewServer(verifytest.Options{}, exampleZone)
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, srv.Addr, "tcp", question("www.example.com.", dns.TypeA))
	for i := range 3 {
		if err := srv.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: 200 * time.Millisecond}
		if r, _, err := c.Exchange(question("www.example.com.", dns.TypeA), srv.Addr); err == nil {
			t.Errorf("%s after Close: got reply %v, want an error", network, r)
		}
	}
}

func TestStartClosesAtCleanup(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = verifytest.Start(t, verifytest.Options{}, exampleZone).Addr
		exchange(t, addr, "tcp", question("www.example.com.", dns.TypeA))
	})
	c := &dns.Client{Net: "tcp", Timeout: 200 * time.Millisecond}
	if r, _, err := c.Exchange(question("www.example.com.", dns.TypeA), addr); err == nil {
		t.Errorf("after the test ended: got reply %v, want an error", r)
	}
}

func question(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

func exchange(t *testing.T, addr, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, m.Question[0].Name, dns.Type(m.Question[0].Qtype), err)
	}
	return r
}

func exchangeConn(t *testing.T, conn *dns.Conn, m *dns.Msg) *dns.Msg {
	t.Helper()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if err := conn.WriteMsg(m); err != nil {
		t.Fatal(err)
	}
	r, err := conn.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func checkReply(t *testing.T, r *dns.Msg, w want) {
	t.Helper()
	if r.Rcode != w.rcode {
		t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[w.rcode])
	}
	if r.Authoritative != w.aa {
		t.Errorf("AA = %v, want %v", r.Authoritative, w.aa)
	}
	if r.RecursionAvailable != w.ra {
		t.Errorf("RA = %v, want %v", r.RecursionAvailable, w.ra)
	}
	if r.Truncated {
		t.Error("TC = true, want false")
	}
	var extra []dns.RR
	for _, rr := range r.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	compareRRs(t, "answer", r.Answer, w.answer)
	compareRRs(t, "authority", r.Ns, w.ns)
	compareRRs(t, "additional", extra, w.extra)
}

func compareRRs(t *testing.T, section string, got []dns.RR, want []string) {
	t.Helper()
	var g, w []string
	for _, rr := range got {
		g = append(g, rr.String())
	}
	for _, s := range want {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("bad want record %q: %v", s, err)
		}
		w = append(w, rr.String())
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s section:\ngot  %s\nwant %s", section, strings.Join(g, "\n     "), strings.Join(w, "\n     "))
	}
}

func ede(r *dns.Msg) *dns.EDNS0_EDE {
	opt := r.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			return e
		}
	}
	return nil
}

func equalEDE(a, b *dns.EDNS0_EDE) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
