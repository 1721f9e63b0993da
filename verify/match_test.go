package verify

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/orgctl/orgctl/codegen"
)

const want = "logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"

func TestClassify(t *testing.T) {
	tests := []struct {
		got  string
		code string // "" = nothing alike
	}{
		{want, ""},
		{"logmein-verification-code=11111111-2222-4333-8444-555555555555", "dns.wrong_code"},
		{strings.ToUpper(want), "dns.near_miss.case"},
		{`"` + want + `"`, "dns.near_miss.quotes"},
		{"“" + want + "”", "dns.near_miss.smart_quotes"},
		{" " + want, "dns.near_miss.whitespace"},
		{want + "\u200b", "dns.near_miss.whitespace"},
		{"logmein-verification-code = 668e156b-f5d3-430e-9944-f1d4385d043e", "dns.near_miss.separator"},
		{"logmein-verification-code=\t668e156b-f5d3-430e-9944-f1d4385d043e", "dns.near_miss.separator"},
		{" logmein-verification-code = 668e156b-f5d3-430e-9944-f1d4385d043e", "dns.near_miss.whitespace"},
		{"logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e ", "dns.near_miss.whitespace"},
		{"logmein-verification-code:668e156b-f5d3-430e-9944-f1d4385d043e", "dns.near_miss.separator"},
		{"668e156b-f5d3-430e-9944-f1d4385d043e", "dns.near_miss.separator"},
		{"v=spf1 -all", ""},
		{"google-site-verification=abc", ""},
	}
	for _, tt := range tests {
		m, ok := classify(tt.got, want)
		if (tt.code == "") == ok || m.code != tt.code {
			t.Errorf("classify(%q) = %q, %v; want %q", tt.got, m.code, ok, tt.code)
		}
	}
}

// txtRR builds the TXT record orgctl tells users to publish (codegen's
// zone-file line), parsed as a zone file would be.
func txtRR(t testing.TB, raw string) *dns.TXT {
	t.Helper()
	rr, err := dns.NewRR(codegen.Record{Domain: "x.test", Name: "x.test", Value: raw}.FQDNLine())
	if err != nil {
		t.Fatalf("parsing the record for %q: %v", raw, err)
	}
	return rr.(*dns.TXT)
}

// sent packs and unpacks a TXT record, as a server and a client would,
// and returns the decoded value.
func sent(t testing.TB, rr *dns.TXT) string {
	t.Helper()
	m := new(dns.Msg)
	m.Answer = []dns.RR{rr}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var back dns.Msg
	if err := back.Unpack(b); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	var parts []string
	for _, p := range back.Answer[0].(*dns.TXT).Txt {
		parts = append(parts, txtValue(p))
	}
	return strings.Join(parts, "")
}

// TestTXTValue checks that values survive miekg/dns's presentation
// escaping: what orgctl tells users to publish is what the match rule sees.
func TestTXTValue(t *testing.T) {
	for _, raw := range []string{want, `a"b`, `back\slash`, "nbsp\u00a0x", "“quoted”", "tab\there", "\x00\xff", strings.Repeat("y", 300)} {
		if got := sent(t, txtRR(t, raw)); got != raw {
			t.Errorf("round trip of %q gave %q", raw, got)
		}
	}
}

// FuzzTXT feeds arbitrary bytes through a published TXT record to the
// decoder and the classifier: neither may panic, and decoding is exact.
func FuzzTXT(f *testing.F) {
	for _, s := range []string{want, `"x"`, "\\", "\\1", "\\999", "“”", "\x00", strings.Repeat("a", 255)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if raw == "" || len(raw) > 1000 {
			return
		}
		if got := sent(t, txtRR(t, raw)); got != raw {
			t.Fatalf("decoded %q, sent %q", got, raw)
		}
		classify(raw, want)
		_ = txtValue(raw) // arbitrary escapes never panic
	})
}

func TestByteDiff(t *testing.T) {
	tests := []struct {
		name, got, code, out string
	}{
		{"smart quotes", "“" + want + "”", "dns.near_miss.smart_quotes", "before the code: e2 80 9c (“); after it: e2 80 9d (”)"},
		{"no-break space after", want + "\u00a0", "dns.near_miss.whitespace", "after it: c2 a0 (U+00A0)"},
		{"zero-width space inside", want[:26] + "\u200b" + want[26:], "dns.near_miss.whitespace", "at byte 26: e2 80 8b (U+200B), which the code does not have"},
		{"tab before", "\t" + want, "dns.near_miss.whitespace", "before the code: 09 (U+0009)"},
		{"case", strings.ToUpper(want[:7]) + want[7:], "dns.near_miss.case", `bytes 0-6: 4c 4f 47 4d 45 49 4e "LOGMEIN" where the code has "logmein"`},
		{"one letter", want[:29] + "E" + want[30:], "dns.near_miss.case", `byte 29: 45 "E" where the code has "e"`},
		{"spaces around =", "logmein-verification-code = " + want[26:], "dns.near_miss.separator", `at byte 25: 20 ( ) 3d (=) 20 ( ) where the code has "="`},
		{"part missing", want[:40], "dns.near_miss", ""},
		{"another code says nothing in bytes", "logmein-verification-code=11111111-2222-4333-8444-555555555555", "dns.wrong_code", ""},
		{"the code itself", want, "http.trailing_newline", ""},
		{"nothing found", "", "http.not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := byteDiff(tt.got, want, tt.code); got != tt.out {
				t.Errorf("byteDiff = %q, want %q", got, tt.out)
			}
		})
	}
}
