package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/orgctl/orgctl/config"
)

func flags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Int("ns-port", 53, "")
	fs.StringSlice("resolver", nil, "")
	fs.String("output", "text", "")
	fs.String("scim-token", "", "")
	fs.String("verified-domain", "", "")
	fs.SetAnnotation("verified-domain", config.AnnotationKey, []string{"scim.verified_domains"})
	return fs
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("ns_port: 5300\nresolver: [127.0.0.1:1, 127.0.0.1:2]\noutput: json\nscim:\n  verified_domains: main.com\n"), 0o600)

	tests := []struct {
		name string
		args []string
		env  map[string]string
		key  string
		val  string
		src  config.Source
	}{
		{"file", nil, nil, "ns_port", "5300", config.SourceFile},
		{"env beats file", nil, map[string]string{"ORGCTL_NS_PORT": "5301"}, "ns_port", "5301", config.SourceEnv},
		{"flag beats env", []string{"--ns-port", "5302"}, map[string]string{"ORGCTL_NS_PORT": "5301"}, "ns_port", "5302", config.SourceFlag},
		{"empty env is unset", nil, map[string]string{"ORGCTL_NS_PORT": ""}, "ns_port", "5300", config.SourceFile},
		{"list from file", nil, nil, "resolver", "127.0.0.1:1,127.0.0.1:2", config.SourceFile},
		{"list from env", nil, map[string]string{"ORGCTL_RESOLVER": "127.0.0.1:3, 127.0.0.1:4"}, "resolver", "127.0.0.1:3,127.0.0.1:4", config.SourceEnv},
		{"nested key", nil, nil, "scim.verified_domains", "main.com", config.SourceFile},
		{"nested key env", nil, map[string]string{"ORGCTL_SCIM_VERIFIED_DOMAINS": "x.com"}, "scim.verified_domains", "x.com", config.SourceEnv},
		{"nested key, the flag's own env name", nil, map[string]string{"ORGCTL_VERIFIED_DOMAIN": "y.com"}, "scim.verified_domains", "y.com", config.SourceEnv},
		{"nested key, the key's env name first", nil, map[string]string{"ORGCTL_VERIFIED_DOMAIN": "y.com", "ORGCTL_SCIM_VERIFIED_DOMAINS": "x.com"}, "scim.verified_domains", "x.com", config.SourceEnv},
		{"secret redacted", nil, map[string]string{"ORGCTL_SCIM_TOKEN": "s3cret"}, "scim_token", "<redacted>", config.SourceEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := viper.New()
			if err := config.Read(v, path, true); err != nil {
				t.Fatal(err)
			}
			fs := flags()
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			s, err := config.Apply(v, fs, func(k string) (string, bool) { x, ok := tt.env[k]; return x, ok })
			if err != nil {
				t.Fatal(err)
			}
			got := s[tt.key]
			if got.Value != tt.val || got.Source != tt.src {
				t.Errorf("%s = %q from %s, want %q from %s", tt.key, got.Value, got.Source, tt.val, tt.src)
			}
		})
	}
}

func TestErrorsNameTheirOrigin(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("ns_port: lots\n"), 0o600)
	v := viper.New()
	if err := config.Read(v, bad, true); err != nil {
		t.Fatal(err)
	}
	_, err := config.Apply(v, flags(), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "ns_port") {
		t.Errorf("error = %v, want it to name the file and key", err)
	}
	_, err = config.Apply(viper.New(), flags(), func(k string) (string, bool) { return "x", k == "ORGCTL_NS_PORT" })
	if err == nil || !strings.Contains(err.Error(), "ORGCTL_NS_PORT") {
		t.Errorf("error = %v, want it to name the variable", err)
	}
	if err := config.Read(viper.New(), filepath.Join(dir, "none.yaml"), true); err == nil {
		t.Error("a missing explicit config file is not an error")
	}
	if err := config.Read(viper.New(), filepath.Join(dir, "none.yaml"), false); err != nil {
		t.Errorf("a missing default config file is an error: %v", err)
	}
}

func TestSystemResolvers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(p, []byte("# comment\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\n"), 0o644)
	got, err := config.SystemResolvers(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "127.0.0.53:53 [::1]:53" {
		t.Errorf("got %v", got)
	}
	os.WriteFile(p, []byte("search example\n"), 0o644)
	if _, err := config.SystemResolvers(p); err == nil {
		t.Error("no nameserver lines is not an error")
	}
}
