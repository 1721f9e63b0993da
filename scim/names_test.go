package scim

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for a good name, else part of the reason
	}{
		{"alice@main.com", ""},
		{"Jörg Müller", ""},
		{" padded ", ""}, // trimmed or not is the caller's choice
		{"", "is empty"},
		{" ", "only white space"},
		{"\t\u00a0\u3000", "only white space"},
		{"a\x07b@main.com", "control character (U+0007)"},
		{"a\nb", "control character (U+000A)"},
		{"a\tb", "control character (U+0009)"},
		{"a\x7fb", "control character (U+007F)"},
		{"a\u0085b", "control character (U+0085)"},
		{"a\x1b[2Jb", "control character (U+001B)"},
		{"M\xfcller", "not UTF-8"},
	}
	for _, tt := range tests {
		err := CheckName(tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckName(%q) = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalid)):
			t.Errorf("CheckName(%q) = %v, want an ErrInvalid saying %q", tt.name, err, tt.want)
		}
	}
}

// A userName or displayName that CheckName refuses is refused before
// anything is sent, with the value escaped in the error.
func TestBadNamesSendNothing(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("sent %s %s", r.Method, r.URL.Path)
		reply(w, 500, "")
	})
	c, _ := newClient(t, srv, Config{})
	ctx := t.Context()
	for _, name := range []string{" ", "a\x07b"} {
		calls := map[string]func() error{
			"CreateUser": func() error { _, _, err := c.CreateUser(ctx, &User{UserName: name}); return err },
			"CreateUserLean": func() error {
				_, _, _, err := c.CreateUserLean(ctx, &User{UserName: name})
				return err
			},
			"EnsureUser":  func() error { _, _, err := c.EnsureUser(ctx, &User{UserName: name}); return err },
			"CreateGroup": func() error { _, _, err := c.CreateGroup(ctx, &Group{DisplayName: name}); return err },
			"EnsureGroup": func() error { _, _, err := c.EnsureGroup(ctx, &Group{DisplayName: name}); return err },
			"RenameGroup": func() error { _, err := c.RenameGroup(ctx, &Group{ID: "g1", DisplayName: "Eng"}, name); return err },
		}
		for call, fn := range calls {
			err := fn()
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s(%q) = %v, want ErrInvalid", call, name, err)
				continue
			}
			if want := strings.ReplaceAll(name, "\x07", `\a`); !strings.Contains(err.Error(), `"`+want+`"`) {
				t.Errorf("%s(%q) error %q does not quote the value", call, name, err)
			}
		}
	}
}
