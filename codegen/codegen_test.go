package codegen

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const sample = "668e156b-f5d3-430e-9944-f1d4385d043e"

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"zeros", make([]byte, 16), "00000000-0000-4000-8000-000000000000"},
		{"ones", bytes.Repeat([]byte{0xff}, 16), "ffffffff-ffff-4fff-bfff-ffffffffffff"},
		{"counting", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, "00010203-0405-4607-8809-0a0b0c0d0e0f"},
		{"extra bytes unread", append(bytes.Repeat([]byte{0xab}, 16), 1, 2, 3), "abababab-abab-4bab-abab-abababababab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got != tt.want {
				t.Errorf("New = %q, want %q", got, tt.want)
			}
			checkV4(t, got)
		})
	}
}

func TestNewOneByteReads(t *testing.T) {
	got, err := New(iotest.OneByteReader(bytes.NewReader(make([]byte, 16))))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if want := "00000000-0000-4000-8000-000000000000"; got != want {
		t.Errorf("New = %q, want %q", got, want)
	}
}

// checkV4 checks the version nibble and the variant bits of a canonical UUID.
func checkV4(t *testing.T, u string) {
	t.Helper()
	if got, ok := canonical(u); !ok || got != u {
		t.Fatalf("%q is not a canonical lowercase UUID", u)
	}
	if u[14] != '4' {
		t.Errorf("%q: version nibble %q, want '4'", u, u[14])
	}
	if !strings.ContainsRune("89ab", rune(u[19])) {
		t.Errorf("%q: variant nibble %q, want one of 8, 9, a, b", u, u[19])
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"empty", bytes.NewReader(nil), io.EOF},
		{"short", bytes.NewReader(make([]byte, 15)), io.ErrUnexpectedEOF},
		{"failing", iotest.ErrReader(errors.New("entropy exhausted")), nil},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.r)
			if err == nil {
				t.Fatalf("New = %q, want an error", got)
			}
			if got != "" {
				t.Errorf("New returned %q with the error", got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("New error = %v, want it to wrap %v", err, tt.want)
			}
		})
	}
}

func TestNewDistinct(t *testing.T) {
	// Two reads from the same stream give different codes.
	r := bytes.NewReader(append(make([]byte, 16), bytes.Repeat([]byte{1}, 16)...))
	a, err1 := New(r)
	b, err2 := New(r)
	if err1 != nil || err2 != nil {
		t.Fatalf("New: %v, %v", err1, err2)
	}
	if a == b {
		t.Errorf("two codes from different bytes are equal: %q", a)
	}
}

func TestValue(t *testing.T) {
	if got, want := Value(sample), "logmein-verification-code="+sample; got != want {
		t.Errorf("Value = %q, want %q", got, want)
	}
}

func TestParse(t *testing.T) {
	upper := strings.ToUpper(sample)
	tests := []struct {
		in   string
		want string
	}{
		{sample, sample},
		{"logmein-verification-code=" + sample, sample},
		{upper, sample},
		{"LOGMEIN-VERIFICATION-CODE=" + upper, sample},
		{"LogMeIn-Verification-Code=" + sample, sample},
		{"  " + sample + "\n", sample},
		{"\tlogmein-verification-code=" + sample + "\r\n", sample},
		{"\u00a0" + sample + "\u3000", sample},                                           // Unicode spaces around
		{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"}, // nil UUID: any version
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}, // version 1
		{"017f22e2-79b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"}, // version 7
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	v := "logmein-verification-code=" + sample
	tests := []struct {
		in   string
		want string // in the error message, after the quoted input
	}{
		{"", "empty"},
		{"   \t\n", "empty"},
		{`"` + v + `"`, "remove the quotes"},
		{`'` + v + `'`, "remove the quotes"},
		{`logmein-verification-code="` + sample + `"`, "remove the quotes"},
		{"“" + v + "”", "remove the typographic quotes"},
		{"‘" + sample + "’", "remove the typographic quotes"},
		{"logmein-verification-code = " + sample, `white space around "="`},
		{"logmein-verification-code =" + sample, `white space around "="`},
		{"logmein-verification-code= " + sample, `white space around "="`},
		{"logmein-verification=" + sample, `unknown prefix "logmein-verification"`},
		{"logmein_verification_code=" + sample, `unknown prefix "logmein_verification_code"`},
		{"google-site-verification=" + sample, `unknown prefix "google-site-verification"`},
		{"=" + sample, `unknown prefix ""`},
		{"logmein-verification-code=", "the UUID is missing"},
		{"logmein-verification-code", "the UUID is missing"},
		{"logmein-verification-code==" + sample, `"=` + sample + `" is not a UUID`},
		{"logmein-verification-code=" + sample[:35], "is not a UUID"},
		{sample[:35], "not a UUID"},
		{sample + "0", "not a UUID"},
		{"{" + sample + "}", "remove the braces"},
		{"logmein-verification-code={" + sample + "}", "remove the braces"},
		{"urn:uuid:" + sample, "not a UUID"},
		{strings.ReplaceAll(sample, "-", ""), "not a UUID"},
		{strings.Replace(sample, "-", "_", 1), "not a UUID"},
		{"668e156b-f5d3-430e-9944-f1d4385d043g", "not a UUID"},
		{"668e156bf-5d3-430e-9944-f1d4385d043e", "not a UUID"},
		{"668e156b-f5d3-430e-9944 f1d4385d043e", "not a UUID"},
		{"logmein-verification-code:" + sample, "not a UUID"},
		{"logmein-verification-code " + sample, "not a UUID"},
		{v + " " + v, "not a UUID"},
		{"668e156b-f5d3-430e-9944-f1d4385d043\u00e9", "not a UUID"},
		{"\xff\xfe", "not a UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", tt.in, err)
			}
			msg := err.Error()
			prefix := "invalid code " + quote(tt.in) + ": "
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("Parse(%q) error = %q, want it to start with %q", tt.in, msg, prefix)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Parse(%q) error = %q, want it to mention %q", tt.in, msg, tt.want)
			}
			if !strings.Contains(msg, "logmein-verification-code=<uuid>") {
				t.Errorf("Parse(%q) error = %q, want it to say what is expected", tt.in, msg)
			}
			if strings.HasSuffix(msg, ".") || msg != strings.TrimSpace(msg) {
				t.Errorf("Parse(%q) error = %q ends with a period or space", tt.in, msg)
			}
		})
	}
}

func TestParseLongInputError(t *testing.T) {
	in := strings.Repeat("é", 10000)
	_, err := Parse(in)
	if err == nil {
		t.Fatal("Parse accepted a 20000-byte input")
	}
	if len(err.Error()) > 600 {
		t.Errorf("error message is %d bytes long; want the input shortened", len(err.Error()))
	}
	if !strings.Contains(err.Error(), "(20000 bytes)") {
		t.Errorf("error = %q, want it to give the input's length", err)
	}
}

func TestNewParseRoundTrip(t *testing.T) {
	r := bytes.NewReader(bytes.Repeat([]byte{0x5a, 0xc3, 0x17}, 100))
	for i := 0; i < 10; i++ {
		u, err := New(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{u, Value(u), strings.ToUpper(Value(u))} {
			got, err := Parse(in)
			if err != nil || got != u {
				t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, u)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		sample,
		"logmein-verification-code=" + sample,
		"LOGMEIN-VERIFICATION-CODE=" + strings.ToUpper(sample),
		` "logmein-verification-code=` + sample + `" `,
		"“logmein-verification-code=" + sample + "”",
		"logmein-verification-code = " + sample,
		"{" + sample + "}",
		"",
		"=",
		"\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if u != "" {
				t.Fatalf("Parse(%q) returned %q with error %v", s, u, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if c, ok := canonical(u); !ok || c != u {
			t.Fatalf("Parse(%q) = %q, not a canonical lowercase UUID", s, u)
		}
		for _, in := range []string{u, Value(u)} {
			if got, err := Parse(in); err != nil || got != u {
				t.Fatalf("Parse(%q) = %q, %v; want %q (from Parse(%q))", in, got, err, u, s)
			}
		}
	})
}
