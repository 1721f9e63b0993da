package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestPrinterFormats(t *testing.T) {
	type item struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	items := []item{{"a<b", 1}, {"c", 2}}
	for _, tc := range []struct {
		format string
		quiet  bool
		want   string
	}{
		{formatText, false, "a<b 1\nc 2\n"},
		{formatJSONL, false, "{\"name\":\"a<b\",\"n\":1}\n{\"name\":\"c\",\"n\":2}\n"},
		{formatJSON, false, "[\n  {\n    \"name\": \"a<b\",\n    \"n\": 1\n  },\n  {\n    \"name\": \"c\",\n    \"n\": 2\n  }\n]\n"},
		{formatJSON, true, ""},
	} {
		for _, streamed := range []bool{false, true} {
			io, _, out, _ := testIO(false)
			p := &printer{format: tc.format, quiet: tc.quiet, io: io}
			if streamed {
				s := p.Stream()
				for _, it := range items {
					if err := s.Item(it, func(t *textOut) { fmt.Fprintf(t.W, "%s %d\n", it.Name, it.N) }); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				err := printAll(p, items, func(t *textOut) {
					for _, it := range items {
						fmt.Fprintf(t.W, "%s %d\n", it.Name, it.N)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := out.String(); got != tc.want {
				t.Errorf("%s quiet=%v streamed=%v: got %q, want %q", tc.format, tc.quiet, streamed, got, tc.want)
			}
		}
	}
}

// An empty list is an empty JSON array, streamed or not, never null.
func TestPrinterEmptyList(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		io, _, out, _ := testIO(false)
		p := &printer{format: formatJSON, io: io}
		if streamed {
			_ = p.Stream().Close()
		} else {
			_ = printAll[int](p, nil, func(*textOut) {})
		}
		if got := strings.TrimSpace(out.String()); got != "[]" {
			t.Errorf("streamed=%v: got %q, want []", streamed, got)
		}
	}
}

// Items streamed from many goroutines still make one valid JSON array.
func TestStreamConcurrent(t *testing.T) {
	io, _, out, _ := testIO(false)
	s := (&printer{format: formatJSON, io: io}).Stream()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { _ = s.Item(map[string]int{"i": i}, nil) })
	}
	wg.Wait()
	_ = s.Close()
	var got []map[string]int
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(got) != 50 {
		t.Errorf("got %d items, want 50", len(got))
	}
}

func TestSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Engineering", "Engineering"},
		{"Zoë Ångström", "Zoë Ångström"},
		{"\x1b[2J\x1b[Hhi", `\x1b[2J\x1b[Hhi`},
		{"a\tb\nc", `a\tb\nc`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"bad\xffbyte", `bad\xffbyte`},
	} {
		if got := safe(tc.in); got != tc.want {
			t.Errorf("safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		tty  bool
		want string
	}{
		{true, "ID  NAME\n1   x\\x1b\n2   -\n"},
		{false, "1\tx\\x1b\n2\t-\n"},
	} {
		var b strings.Builder
		tw := &textOut{W: &b, TTY: tc.tty}
		if err := tw.Table([]string{"ID", "NAME"}, [][]string{{"1", "x\x1b"}, {"2", ""}}); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("tty=%v: got %q, want %q", tc.tty, b.String(), tc.want)
		}
	}
}

func TestProgressChoice(t *testing.T) {
	for _, tc := range []struct {
		quiet, tty bool
		want       string
	}{
		{true, true, "main.nopProgress"},
		{false, false, "*main.lineProgress"},
		{false, true, "*main.barProgress"},
	} {
		io, _, _, errOut := testIO(tc.tty)
		f := newFactory(io, func(string) (string, bool) { return "", false })
		f.opts.Quiet = tc.quiet
		p := f.newProgress("checking", 3)
		p.Done("verified")
		p.Note("waiting")
		p.Close()
		if got := fmt.Sprintf("%T", p); got != tc.want {
			t.Errorf("quiet=%v tty=%v: got %s, want %s", tc.quiet, tc.tty, got, tc.want)
		}
		if tc.quiet && errOut.Len() > 0 {
			t.Errorf("quiet: stderr got %q", errOut)
		}
		if !tc.quiet && !tc.tty && errOut.String() != "orgctl: waiting\n" {
			t.Errorf("piped: stderr got %q, want the note as a line", errOut)
		}
	}
}

func TestCheckHostPort(t *testing.T) {
	for a, ok := range map[string]bool{
		"127.0.0.1:53": true, "[::1]:5353": true, "dns.example:53": true, "ns1.main.com.:53": true, "localhost:1": true,
		"bad_host!:53": false, "127.0.0.1": false, ":53": false, "127.0.0.1:0": false, "127.0.0.1:65536": false,
		"-a.example:53": false, "a..b:53": false, "a b:53": false, "\x1b:53": false,
	} {
		if err := checkHostPort(a); (err == nil) != ok {
			t.Errorf("checkHostPort(%q) = %v, want ok %v", a, err, ok)
		}
	}
}
