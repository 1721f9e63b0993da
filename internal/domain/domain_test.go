package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// name returns a name of exactly n octets made of labels of at most 63.
func name(n int) string {
	var labels []string
	for n > 0 {
		l := min(n, 63)
		if n-l == 1 { // would leave a lone dot
			l--
		}
		labels = append(labels, strings.Repeat("a", l))
		n -= l
		if n > 0 {
			n-- // the dot
		}
	}
	// Make the last label a plausible TLD.
	labels[len(labels)-1] = "c" + labels[len(labels)-1][1:]
	return strings.Join(labels, ".")
}

func TestName(t *testing.T) {
	for _, n := range []int{3, 63, 64, 65, 127, 253, 254} {
		if got := len(name(n)); got != n {
			t.Errorf("len(name(%d)) = %d", n, got)
		}
	}
}

func TestNormalize(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	tests := []struct {
		in, want string
	}{
		{"main.com", "main.com"},
		{"main.com.", "main.com"},
		{"Main.COM", "main.com"},
		{"MAIN.COM.", "main.com"},
		{"  main.com \n", "main.com"},
		{"\tmain.com.\r\n", "main.com"},
		{"www.main.com", "www.main.com"},
		{"a.b.c.d.e.main.com", "a.b.c.d.e.main.com"},
		{"main-site.co.uk", "main-site.co.uk"},
		{"123.com", "123.com"},
		{"1.2.3.com", "1.2.3.com"},
		{"r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"},
		{"ab--cd.com", "ab--cd.com"},
		{"x.y", "x.y"},
		{"a.xn--p1ai", "a.xn--p1ai"},

		// Internationalized names.
		{"bücher.example", "xn--bcher-kva.example"},
		{"Bücher.Example.", "xn--bcher-kva.example"},
		{"MÜNCHEN.de", "xn--mnchen-3ya.de"},
		{"münchen.de", "xn--mnchen-3ya.de"},
		{"xn--mnchen-3ya.de", "xn--mnchen-3ya.de"},
		{"XN--MNCHEN-3YA.DE", "xn--mnchen-3ya.de"},
		{"faß.de", "xn--fa-hia.de"}, // non-transitional: ß is kept
		{"ＭＡＩＮ.ＣＯＭ", "main.com"},    // full-width letters
		{"main。com", "main.com"},    // ideographic full stop
		{"main.com。", "main.com"},
		{"пример.рф", "xn--e1afmkfd.xn--p1ai"},
		{"例え.テスト", "xn--r8jz45g.xn--zckzah"},
		{"😀.com", "xn--e28h.com"},
		{"ﬁ.com", "fi.com"},

		// Limits.
		{label63 + ".com", label63 + ".com"},
		{name(253), name(253)},
		{name(253) + ".", name(253)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Normalize(got)
			if err != nil || again != got {
				t.Errorf("Normalize(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	label64 := strings.Repeat("a", 64)
	tests := []struct {
		in   string
		want string // the reason, after `invalid domain "in": `
	}{
		{"", "empty name"},
		{"   ", "empty name"},
		{".", `the root "." is not a domain`},
		{"..", "empty label"},
		{".main.com", "empty label"},
		{"a..b", "empty label"},
		{"main.com..", "empty label"},
		{"\u00ad.com", "empty label"}, // soft hyphen maps to nothing
		{"localhost", "a single label is not a registered domain"},
		{"localhost.", "a single label is not a registered domain"},
		{"com", "a single label is not a registered domain"},
		{label64 + ".com", `label "` + label64 + `" is longer than 63 octets`},
		{"www." + label64 + ".com", `label "` + label64 + `" is longer than 63 octets`},
		{strings.Repeat("ü", 60) + ".de", "is longer than 63 octets"},
		{name(254), "name is 254 octets long, longer than 253"},
		{name(254) + ".", "name is 254 octets long, longer than 253"},
		{"1.2.3.4", "an IP address is not a domain name"},
		{"1.2.3.4.", "an IP address is not a domain name"},
		{"192.168.0.1:8080", "an IP address is not a domain name"},
		{"::1", "an IP address is not a domain name"},
		{"[::1]", "an IP address is not a domain name"},
		{"[2001:db8::1]:443", "an IP address is not a domain name"},
		{"2001:db8::1", "an IP address is not a domain name"},
		{"fe80::1%eth0", "an IP address is not a domain name"},
		{"127.1", `the last label "1" is all digits`},
		{"1.2.3", `the last label "3" is all digits`},
		{"*.main.com", `wildcards ("*") are not allowed`},
		{"*", `wildcards ("*") are not allowed`},
		{"_dmarc.main.com", `contains "_"`},
		{"main com", "contains white space (U+0020)"},
		{"main.com\u00a0x", "contains white space (U+00A0)"},
		{"main\x00.com", "contains a control character (U+0000)"},
		{"main!.com", `contains '!'`},
		{"main%2ecom", `contains '%'`},
		{"https://main.com/", "looks like a URL; give the host name only (main.com)"},
		{"http://Main.COM:8080/path?q", "looks like a URL; give the host name only (main.com)"},
		{"https://", "looks like a URL; give the host name only"},
		{"main.com/", `contains "/"; give the host name only (main.com)`},
		{"main.com/logmein-verification-code.txt", `contains "/"; give the host name only (main.com)`},
		{"main.com:443", "contains a port; give the host name only (main.com)"},
		{"user@main.com", "looks like an e-mail address; give the domain part only (main.com)"},
		{"mailto:user@Main.com", "looks like an e-mail address; give the domain part only (main.com)"},
		{"@main.com", "looks like an e-mail address; give the domain part only"},
		{"-main.com", `label "-main" starts or ends with a hyphen`},
		{"main-.com", `label "main-" starts or ends with a hyphen`},
		{"main.com-", `label "com-" starts or ends with a hyphen`},
		{"-ümlaut.de", `starts or ends with a hyphen`},
		{"xn--.com", `label "xn--" is not valid punycode`},
		{"xn--zz.com", "not a valid internationalized domain name"},
		{"xn--a.com", "not a valid internationalized domain name"},
		{"⒈.com", "not a valid internationalized domain name"},
		{"a\u200db.com", "not a valid internationalized domain name"}, // joiner out of context
		{"١٢٣.com", "not a valid internationalized domain name"},      // Bidi rule
		{"\xff.com", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want an error", tt.in, got)
			}
			if got != "" {
				t.Errorf("Normalize(%q) returned %q with the error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			msg := err.Error()
			if prefix := fmt.Sprintf("invalid domain %.300q: ", tt.in); !strings.HasPrefix(msg, prefix) {
				t.Errorf("Normalize(%q) error = %q, want it to start with %q", tt.in, msg, prefix)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Normalize(%q) error = %q, want it to contain %q", tt.in, msg, tt.want)
			}
			if strings.HasSuffix(msg, ".") {
				t.Errorf("Normalize(%q) error = %q ends with a period", tt.in, msg)
			}
		})
	}
}

func TestNormalizeHugeInput(t *testing.T) {
	in := strings.Repeat("a.", 1<<16) + "com"
	_, err := Normalize(in)
	if err == nil {
		t.Fatal("Normalize accepted a 128 KiB name")
	}
	if len(err.Error()) > 1000 {
		t.Errorf("error message is %d bytes long; want the input shortened", len(err.Error()))
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		domain, sub, want string
	}{
		{"main.com", "www", "www.main.com"},
		{"main.com", "WWW", "www.main.com"},
		{"main.com", "eu.shop", "eu.shop.main.com"},
		{"main.com", "www.main.com", "www.main.com"},
		{"main.com", "WWW.Main.Com.", "www.main.com"},
		{"main.com", " www.main.com. ", "www.main.com"},
		{"main.com", "@", "main.com"},
		{"main.com", " @ ", "main.com"},
		{"main.com", "main.com", "main.com"},
		{"main.com", "main.com.", "main.com"},
		{"Main.COM.", "www", "www.main.com"},
		{"main.com", "123", "123.main.com"},
		{"main.com", "other.org", "other.org.main.com"}, // no trailing dot: relative
		{"bücher.example", "shop", "shop.xn--bcher-kva.example"},
		{"bücher.example", "laden.bücher.example", "laden.xn--bcher-kva.example"},
		{"main.com", "bücher", "xn--bcher-kva.main.com"},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"/"+tt.sub, func(t *testing.T) {
			got, err := Join(tt.domain, tt.sub)
			if err != nil {
				t.Fatalf("Join(%q, %q): %v", tt.domain, tt.sub, err)
			}
			if got != tt.want {
				t.Errorf("Join(%q, %q) = %q, want %q", tt.domain, tt.sub, got, tt.want)
			}
		})
	}
}

func TestJoinErrors(t *testing.T) {
	tests := []struct {
		domain, sub, want string
	}{
		{"main.com", "other.org.", `invalid subdomain of main.com "other.org.": other.org is not under main.com`},
		{"main.com", "notmain.com.", `invalid subdomain of main.com "notmain.com.": notmain.com is not under main.com`},
		{"main.com", "com.", `invalid subdomain of main.com "com.": com is not under main.com`},
		{"main.com", "", `invalid subdomain of main.com "": empty name`},
		{"main.com", "*", `invalid subdomain of main.com "*": wildcards`},
		{"main.com", "_dmarc", `invalid subdomain of main.com "_dmarc": contains "_"`},
		{"main.com", "a..b", `invalid subdomain of main.com "a..b": empty label`},
		{"main.com", strings.Repeat("a", 64), "is longer than 63 octets"},
		{"main.com", name(250), "octets long, longer than 253"},
		{"main.com", "https://www.main.com/", "looks like a URL; give the host name only (www.main.com)"},
		{"localhost", "www", `invalid domain "localhost"`},
		{"", "www", `invalid domain ""`},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"/"+tt.sub, func(t *testing.T) {
			got, err := Join(tt.domain, tt.sub)
			if err == nil {
				t.Fatalf("Join(%q, %q) = %q, want an error", tt.domain, tt.sub, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Join(%q, %q) error = %q, want it to contain %q", tt.domain, tt.sub, err, tt.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"main.com", "Main.COM.", "bücher.example", "MÜNCHEN.de", "xn--mnchen-3ya.de", "faß.de",
		"main。com", "1.2.3.4", "[::1]", "*.main.com", "https://main.com/", "user@main.com",
		"a..b", ".", "", "\u00ad.com", "xn--.com", "-a.com", "r3---sn-abc.googlevideo.com",
		strings.Repeat("a", 64) + ".com", name(253), "١٢٣.com", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			if got != "" {
				t.Fatalf("Normalize(%q) returned %q with error %v", s, got, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if len(got) > MaxLength {
			t.Fatalf("Normalize(%q) = %q, %d octets", s, got, len(got))
		}
		for i := 0; i < len(got); i++ {
			if got[i] >= utf8.RuneSelf {
				t.Fatalf("Normalize(%q) = %q, not ASCII", s, got)
			}
		}
		if got != strings.ToLower(got) || strings.HasSuffix(got, ".") {
			t.Fatalf("Normalize(%q) = %q, not lowercase without trailing dot", s, got)
		}
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q but Normalize(%q) = %q, %v", s, got, got, again, err)
		}
		joined, err := Join(got, "@")
		if err != nil || joined != got {
			t.Fatalf("Join(%q, \"@\") = %q, %v", got, joined, err)
		}
	})
}

func TestMeantAsIs(t *testing.T) {
	tests := []struct {
		domain, sub string
		want        string // "" when sub does not look meant as is
	}{
		{"sub.main.com", "www.other.com", "www.other.com"},
		{"sub.main.com", "WWW.Main.Com", "www.main.com"},
		{"main.co.uk", "www.other.co.uk", "www.other.co.uk"},
		{"main.test", "www.other.test", "www.other.test"},
		{"main.com", "eu.shop", ""},
		{"main.com", "www", ""},
		{"main.com", "www.main.com", ""},
		{"main.com", "www.main.com.", ""},
		{"main.com", "@", ""},
		{"main.com", "www.other.org", ""},
		{"main.co.uk", "www.co", ""},
		{"main.com", "bad..name.com", ""},
	}
	for _, tt := range tests {
		got, ok := MeantAsIs(tt.domain, tt.sub)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("MeantAsIs(%q, %q) = %q, %v; want %q", tt.domain, tt.sub, got, ok, tt.want)
		}
	}
}

func TestCheckHost(t *testing.T) {
	for s, ok := range map[string]bool{
		"localhost": true, "ns1.example.net": true, "ns1.example.net.": true, "bücher.example": true,
		"bad_host!": false, "a..b": false, "-a.example": false, "a b": false, "\x1b": false, "": false, "http://x": false,
	} {
		if err := CheckHost(s); (err == nil) != ok {
			t.Errorf("CheckHost(%q) = %v, want ok %v", s, err, ok)
		}
	}
}
