package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"github.com/orgctl/orgctl/config"
)

func readFile(t *testing.T, content string) (*viper.Viper, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	v := viper.New()
	if err := config.Read(v, path, true); err != nil {
		t.Fatal(err)
	}
	return v, path
}

func TestCheckKeys(t *testing.T) {
	flagKeys := []string{"output", "resolver", "timeout", "scim.url", "wait"}
	tests := []struct {
		file string
		want []string // in the error; none: no error
	}{
		{"output: json\nresolver: [a]\nwait: 10d\n", nil},
		{"scim:\n  url: https://x\n  token: t\n  verified_domains: [a.com]\n  mapping:\n    userName: upn\n  scope:\n    department: [Sales]\n", nil},
		{"outptu: json\n", []string{`unknown key "outptu" (did you mean "output"?)`}},
		{"resolvers: [a]\n", []string{`unknown key "resolvers" (did you mean "resolver"?)`}},
		{"scim:\n  tokn: t\n", []string{`unknown key "scim.tokn" (did you mean "scim.token"?)`}},
		{"zzzzzz: 1\n", []string{`unknown key "zzzzzz"`}},
		{"output:\n  a: 1\n  b: 2\n", []string{"key output: expected a value, got an object"}},
		{"outptu: 1\ntimout: 1\n", []string{`"outptu"`, `"timout" (did you mean "timeout"?)`}},
	}
	for _, tt := range tests {
		v, path := readFile(t, tt.file)
		err := config.CheckKeys(v, flagKeys)
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%q: %v, want no error", tt.file, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error, want %q", tt.file, tt.want)
			continue
		}
		for _, w := range append(tt.want, "config file "+path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q, want %q in it", tt.file, err, w)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"output", "resolver", "scim.token", "exit-codes", "revoke"}
	tests := []struct{ in, want string }{
		{"outptu", "output"},
		{"OUTPUT", "output"},
		{"resolvers", "resolver"},
		{"scim.tokn", "scim.token"},
		{"exit-code", "exit-codes"},
		{"rev", "revoke"},
		{"frobnicate", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := config.Suggest(tt.in, known); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFileSettings(t *testing.T) {
	v, _ := readFile(t, "scim:\n  token: s3cr3t\n  verified_domains: [a.com, b.com]\n  mapping:\n    department: dept\n")
	got := config.FileSettings(v, func(k string) (string, bool) {
		if k == "ORGCTL_SCIM_SCOPE" {
			return "x", true
		}
		return "", false
	})
	want := map[string]string{
		"scim.token":            "<redacted> file",
		"scim.verified_domains": "a.com,b.com file",
		"scim.mapping":          `{"department":"dept"} file`,
		"scim.scope":            "x env",
	}
	for k, w := range want {
		if g := got[k].Value + " " + string(got[k].Source); g != w {
			t.Errorf("%s = %q, want %q", k, g, w)
		}
	}
}
