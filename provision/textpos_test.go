package provision

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/orgctl/orgctl/provision/provisiontest"
)

// TestLinesFarIntoBigSources holds that lines and values are right well past
// what the reader keeps of a source (windowSize).
func TestLinesFarIntoBigSources(t *testing.T) {
	var b bytes.Buffer
	if err := provisiontest.WriteCSV(&b, provisiontest.Options{Users: 8000, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 3*windowSize {
		t.Fatalf("source of %d bytes is too small for the test", b.Len())
	}
	lines := strings.Count(b.String(), "\n")
	fmt.Fprintf(&b, "late@example.com,x,true,\"unclosed,,,,,,,\nmore@example.com,y,true,,,,,,,,\n")
	_, err := ReadSource(&b, "big.csv", FormatAuto)
	var se *SourceError
	if !errors.As(err, &se) || len(se.Rows) != 1 {
		t.Fatalf("ReadSource = %v, want one problem", err)
	}
	if got := se.Rows[0]; got.Line != lines+1 || !strings.HasPrefix(got.Value, `late@example.com,x,true,"unclosed`) {
		t.Errorf("problem = line %d, value %q; want line %d, the row's text", got.Line, got.Value, lines+1)
	}

	var j strings.Builder
	j.WriteString("{\"users\": [\n")
	for i := range 6000 {
		fmt.Fprintf(&j, "  {\n    \"userName\": \"u%d@x.com\",\n    \"department\": \"%s\"\n  },\n", i, strings.Repeat("d", 40))
	}
	line := strings.Count(j.String(), "\n") + 1
	j.WriteString("  {\"userName\": \"bad@x.com\", \"active\": \"maybe\"},\n  {\"userName\": \"u1@X.com\"}\n]}\n")
	_, err = ReadSource(strings.NewReader(j.String()), "big.json", FormatAuto)
	if !errors.As(err, &se) || len(se.Rows) != 2 {
		t.Fatalf("ReadSource = %v, want two problems", err)
	}
	want := []RowError{
		{Line: line, Field: "active", Value: "maybe", Msg: "invalid boolean: want true or false"},
		{Line: line + 1, Field: "userName", Value: "u1@X.com", Msg: "duplicate userName: line 6 has it too (userNames are compared case-insensitively)"},
	}
	for i := range want {
		if se.Rows[i] != want[i] {
			t.Errorf("problem %d = %+v, want %+v", i, se.Rows[i], want[i])
		}
	}
}

func TestWindowLineText(t *testing.T) {
	text := "one\r\ntwo\n\nfour"
	w := newWindow(strings.NewReader(text))
	buf := make([]byte, 3)
	for {
		if _, err := w.Read(buf); err != nil {
			break
		}
	}
	for n, want := range map[int]string{1: "one", 2: "two", 3: "", 4: "four", 5: ""} {
		if got := w.lineText(n); got != want {
			t.Errorf("lineText(%d) = %q, want %q", n, got, want)
		}
	}
	if got := w.lineAt(int64(strings.Index(text, "four"))); got != 4 {
		t.Errorf("lineAt(four) = %d, want 4", got)
	}
}
