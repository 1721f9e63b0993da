package verify

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
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
		{"logmein-verification-code = 668e156b-f5d3-430e-9944-f1d4385d043e", "dns.near_miss.whitespace"},
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

// TestTXTValue checks that values survive miekg/dns's presentation
// escaping: what a server sends is what the match rule sees.
func TestTXTValue(t *testing.T) {
	for _, raw := range []string{want, `a"b`, `back\slash`, "nbsp\u00a0x", "“quoted”", "tab\there", "\x00\xff"} {
		rr := &dns.TXT{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{escape(raw)}}
		m := new(dns.Msg)
		m.Answer = []dns.RR{rr}
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		var back dns.Msg
		if err := back.Unpack(b); err != nil {
			t.Fatal(err)
		}
		got := txtValue(back.Answer[0].(*dns.TXT).Txt[0])
		if got != raw {
			t.Errorf("round trip of %q gave %q", raw, got)
		}
	}
}

// escape writes raw in presentation format, as a zone file would hold it.
func escape(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			b.WriteString("\\")
			b.WriteString(strings.Repeat("0", 3-len(itoa(int(c)))) + itoa(int(c)))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

// FuzzTXT feeds arbitrary bytes through a TXT record to the decoder and
// the classifier: neither may panic, and decoding is exact.
func FuzzTXT(f *testing.F) {
	for _, s := range []string{want, `"x"`, "\\", "\\1", "\\999", "“”", "\x00", strings.Repeat("a", 255)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 255 {
			raw = raw[:255]
		}
		rr := &dns.TXT{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{escape(raw)}}
		m := new(dns.Msg)
		m.Answer = []dns.RR{rr}
		b, err := m.Pack()
		if err != nil {
			return
		}
		var back dns.Msg
		if err := back.Unpack(b); err != nil {
			t.Fatalf("unpack: %v", err)
		}
		got := txtValue(back.Answer[0].(*dns.TXT).Txt[0])
		if got != raw {
			t.Fatalf("decoded %q, sent %q", got, raw)
		}
		classify(got, want)
		_ = txtValue(raw) // arbitrary escapes never panic
	})
}
