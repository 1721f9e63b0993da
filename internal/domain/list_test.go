package domain

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"blank lines", "\n\n  \n\t\n", nil},
		{"one", "main.com", []string{"main.com"}},
		{"one with newline", "main.com\n", []string{"main.com"}},
		{"several", "main.com\nother.org\nbücher.example\n", []string{"main.com", "other.org", "xn--bcher-kva.example"}},
		{"CRLF", "main.com\r\nother.org\r\n", []string{"main.com", "other.org"}},
		{"CRLF without final newline", "main.com\r\nother.org", []string{"main.com", "other.org"}},
		{"BOM", "\uFEFFmain.com\nother.org\n", []string{"main.com", "other.org"}},
		{"BOM and CRLF", "\uFEFFmain.com\r\n", []string{"main.com"}},
		// U+FEFF elsewhere is a zero width no-break space, which IDNA ignores.
		{"BOM not on first line", "main.com\n\uFEFFother.org\n", []string{"main.com", "other.org"}},
		{"comments", "# production\nmain.com\n  # staging\nother.org\n", []string{"main.com", "other.org"}},
		{"trailing comments", "main.com # production\nother.org\t# staging\n", []string{"main.com", "other.org"}},
		{"comment only lines", "#\n# main.com\n", nil},
		{"white space", "  main.com  \n\tother.org.\t\n", []string{"main.com", "other.org"}},
		{"duplicates keep first order", "b.com\na.com\nB.COM.\nb.com\na.com\nc.com\n", []string{"b.com", "a.com", "c.com"}},
		{"IDN duplicates", "bücher.example\nxn--bcher-kva.example\nBÜCHER.EXAMPLE\n", []string{"xn--bcher-kva.example"}},
		{"longest line", strings.Repeat(" ", MaxLineLength-len("main.com")) + "main.com\n", []string{"main.com"}},
		{"longest line CRLF", strings.Repeat(" ", MaxLineLength-len("main.com")) + "main.com\r\n", []string{"main.com"}},
		{"long comment", "main.com #" + strings.Repeat("x", MaxLineLength-10) + "\n", []string{"main.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadList(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadList: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadList = %q, want %q", got, tt.want)
			}
			// The same input a byte at a time.
			got, err = ReadList(iotest.OneByteReader(strings.NewReader(tt.in)))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadList(one byte at a time) = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReadListErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"bad line", "main.com\n\n1.2.3.4\n", `line 3: invalid domain "1.2.3.4": an IP address`},
		{"first line", "https://main.com/\n", `line 1: invalid domain "https://main.com/": looks like a URL`},
		{"after comment", "# x\nmain.com # ok\nuser@main.com # not ok\n", `line 3: invalid domain "user@main.com": looks like an e-mail address`},
		{"comment without space", "main.com#prod\n", `line 1: invalid domain "main.com#prod": contains '#'`},
		{"long line", "main.com\n" + strings.Repeat("a", MaxLineLength+1) + "\n", "line 2: longer than 65536 bytes"},
		{"long line CRLF", "main.com\r\n" + strings.Repeat("a", MaxLineLength+1) + "\r\n", "line 2: longer than 65536 bytes"},
		{"very long line", "main.com\n" + strings.Repeat("a", 1<<20), "line 2: longer than 65536 bytes"},
		{"long line at end", strings.Repeat("a", MaxLineLength+1), "line 1: longer than 65536 bytes"},
		{"line of 64 KiB that is too long a name", strings.Repeat("a", MaxLineLength), `line 1: invalid domain "aaaa`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadList(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadList = %q, want an error", got)
			}
			if got != nil {
				t.Errorf("ReadList returned %q with the error", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadList error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadListInvalidWrapsErrInvalid(t *testing.T) {
	_, err := ReadList(strings.NewReader("*.main.com\n"))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadList error %v does not wrap ErrInvalid", err)
	}
}

func TestReadListReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("main.com\nother.org\n"), iotest.ErrReader(boom))
	_, err := ReadList(r)
	if !errors.Is(err, boom) {
		t.Fatalf("ReadList error = %v, want it to wrap %v", err, boom)
	}
	if want := "reading domains after line 2: disk on fire"; err.Error() != want {
		t.Errorf("ReadList error = %q, want %q", err, want)
	}
}

func FuzzReadList(f *testing.F) {
	for _, s := range []string{
		"main.com\nother.org\n",
		"\uFEFFmain.com\r\n# comment\n\nbücher.example # shop\n",
		"main.com\nMAIN.COM.\n",
		"1.2.3.4\n",
		"#\n \t\n",
		"\r\r\n\n\r",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ReadList(strings.NewReader(s))
		if err != nil {
			if got != nil {
				t.Fatalf("ReadList returned %q with error %v", got, err)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("ReadList error %q does not give a line number", err)
			}
			return
		}
		seen := make(map[string]bool)
		for _, d := range got {
			if seen[d] {
				t.Fatalf("ReadList returned %q twice", d)
			}
			seen[d] = true
			if n, err := Normalize(d); err != nil || n != d {
				t.Fatalf("ReadList returned %q, which normalizes to %q, %v", d, n, err)
			}
		}
	})
}
