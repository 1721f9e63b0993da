package codegen

import (
	"strings"
	"testing"
)

func TestRecord(t *testing.T) {
	v := Value(sample)
	tests := []struct {
		name                           string
		r                              Record
		zone, fqdn, dig, nslookup, url string
	}{
		{
			name:     "apex",
			r:        Record{Domain: "main.com", Name: "main.com", Value: v},
			zone:     `@ 3600 IN TXT "` + v + `"`,
			fqdn:     `main.com. 3600 IN TXT "` + v + `"`,
			dig:      "dig +short TXT main.com.",
			nslookup: "nslookup -type=TXT main.com.",
			url:      "http://main.com/logmein-verification-code.txt",
		},
		{
			name:     "subdomain",
			r:        Record{Domain: "main.com", Name: "www.main.com", Value: v},
			zone:     `www 3600 IN TXT "` + v + `"`,
			fqdn:     `www.main.com. 3600 IN TXT "` + v + `"`,
			dig:      "dig +short TXT www.main.com.",
			nslookup: "nslookup -type=TXT www.main.com.",
			url:      "http://www.main.com/logmein-verification-code.txt",
		},
		{
			name:     "deep subdomain",
			r:        Record{Domain: "main.com", Name: "eu.shop.main.com", Value: v},
			zone:     `eu.shop 3600 IN TXT "` + v + `"`,
			fqdn:     `eu.shop.main.com. 3600 IN TXT "` + v + `"`,
			dig:      "dig +short TXT eu.shop.main.com.",
			nslookup: "nslookup -type=TXT eu.shop.main.com.",
			url:      "http://eu.shop.main.com/logmein-verification-code.txt",
		},
		{
			name:     "trailing dots given",
			r:        Record{Domain: "main.com.", Name: "www.main.com.", Value: v},
			zone:     `www 3600 IN TXT "` + v + `"`,
			fqdn:     `www.main.com. 3600 IN TXT "` + v + `"`,
			dig:      "dig +short TXT www.main.com.",
			nslookup: "nslookup -type=TXT www.main.com.",
			url:      "http://www.main.com/logmein-verification-code.txt",
		},
		{
			name:     "suffix that is not a subdomain",
			r:        Record{Domain: "main.com", Name: "notmain.com", Value: v},
			zone:     `notmain.com. 3600 IN TXT "` + v + `"`,
			fqdn:     `notmain.com. 3600 IN TXT "` + v + `"`,
			dig:      "dig +short TXT notmain.com.",
			nslookup: "nslookup -type=TXT notmain.com.",
			url:      "http://notmain.com/logmein-verification-code.txt",
		},
		{
			name:     "IDN",
			r:        Record{Domain: "xn--bcher-kva.example", Name: "xn--bcher-kva.example", Value: v},
			zone:     `@ 3600 IN TXT "` + v + `"`,
			fqdn:     `xn--bcher-kva.example. 3600 IN TXT "` + v + `"`,
			dig:      "dig +short TXT xn--bcher-kva.example.",
			nslookup: "nslookup -type=TXT xn--bcher-kva.example.",
			url:      "http://xn--bcher-kva.example/logmein-verification-code.txt",
		},
		{
			name:     "odd value and name are escaped",
			r:        Record{Domain: "main.com", Name: "a b;c.main.com", Value: `x"y\z` + "\n\xff"},
			zone:     `a b;c 3600 IN TXT "x\"y\\z\010\255"`,
			fqdn:     `a b;c.main.com. 3600 IN TXT "x\"y\\z\010\255"`,
			dig:      "dig +short TXT 'a b;c.main.com.'",
			nslookup: "nslookup -type=TXT 'a b;c.main.com.'",
			url:      "http://a b;c.main.com/logmein-verification-code.txt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct{ method, got, want string }{
				{"ZoneLine", tt.r.ZoneLine(), tt.zone},
				{"FQDNLine", tt.r.FQDNLine(), tt.fqdn},
				{"Dig", tt.r.Dig(), tt.dig},
				{"Nslookup", tt.r.Nslookup(), tt.nslookup},
				{"URL", tt.r.URL(), tt.url},
				{"Body", tt.r.Body(), tt.r.Value},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.method, c.got, c.want)
				}
			}
		})
	}
}

func TestRecordBodyHasNoNewline(t *testing.T) {
	r := Record{Domain: "main.com", Name: "main.com", Value: Value(sample)}
	if got, want := r.Body(), "logmein-verification-code="+sample; got != want {
		t.Errorf("Body = %q, want exactly %q", got, want)
	}
}

func TestTXTDataSplitsLongValues(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{strings.Repeat("a", 255), `"` + strings.Repeat("a", 255) + `"`},
		{strings.Repeat("a", 256), `"` + strings.Repeat("a", 255) + `" "a"`},
		{strings.Repeat("a", 254) + `"b`, `"` + strings.Repeat("a", 254) + `\"" "b"`},
	}
	for _, tt := range tests {
		if got := txtData(tt.in); got != tt.want {
			t.Errorf("txtData(%d bytes) = %q, want %q", len(tt.in), got, tt.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main.com.", "main.com."},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$(rm -rf ~)", "'$(rm -rf ~)'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
