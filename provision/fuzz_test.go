package provision

import (
	"bytes"
	"errors"
	"testing"
)

// checkRead holds what any input must give: a Source whose users all have
// a userName and that Build maps (or refuses with a *SourceError), or a
// *SourceError whose rows are few and short; never a panic.
func checkRead(t *testing.T, data []byte, name string, format Format) {
	src, err := ReadSource(bytes.NewReader(data), name, format)
	var se *SourceError
	if err != nil {
		if !errors.As(err, &se) {
			t.Fatalf("ReadSource: %v, want a *SourceError", err)
		}
		if len(se.Rows) == 0 || len(se.Rows) > MaxRowErrors {
			t.Fatalf("%d rows in a SourceError", len(se.Rows))
		}
		for _, r := range se.Rows {
			if len(r.Value) > 120 || r.Line < 0 {
				t.Fatalf("row error %+v: value not shortened or bad line", r)
			}
		}
		return
	}
	d, err := Build(src, DefaultMapping(), nil, func(string) bool { return true })
	if err != nil {
		if !errors.As(err, &se) {
			t.Fatalf("Build: %v, want a *SourceError", err)
		}
		return
	}
	if got := len(d.Users) + len(d.Skipped); got != src.Len() {
		t.Fatalf("%d users and skipped, want the source's %d", got, src.Len())
	}
	for _, u := range d.Users {
		if u.User.UserName == "" || u.User.Active == nil || u.Line < 1 {
			t.Fatalf("bad user %+v", u)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("userName,active,groups\na@x.com,true,G;H\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, "f.csv", FormatCSV) })
}

func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`{"users":[{"userName":"a@x.com"}],"groups":[{"displayName":"G","members":["a@x.com"]}]}`), false)
	f.Add([]byte("{\"userName\":\"a@x.com\"}\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		format := FormatJSON
		if jsonl {
			format = FormatJSONL
		}
		checkRead(t, data, "f.json", format)
	})
}
