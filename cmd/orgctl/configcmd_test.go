package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configEnv writes a config file and returns the environment that uses it.
func configEnv(t *testing.T, content string) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"XDG_STATE_HOME": t.TempDir(), "ORGCTL_CONFIG": path}, path
}

// TestConfigFileKeys holds that a key of the config file that no command
// reads is refused (exit 2) with the key, the file and the closest known
// key named, and that a value of the wrong type names the file too.
func TestConfigFileKeys(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    int
		wantErr []string // in stderr, besides the file's path
	}{
		{"typo of a global flag", "outptu: json\n", exitUsage, []string{`unknown key "outptu"`, `did you mean "output"?`}},
		{"plural of a flag", "resolvers: [127.0.0.1:53]\n", exitUsage, []string{`unknown key "resolvers"`, `did you mean "resolver"?`}},
		{"typo below scim", "scim:\n  tokn: x\n", exitUsage, []string{`unknown key "scim.tokn"`, `did you mean "scim.token"?`}},
		{"nothing close", "frobnicate: 1\n", exitUsage, []string{`unknown key "frobnicate"`}},
		{"two unknown keys", "outptu: json\ntimout: 1m\n", exitUsage, []string{`"outptu"`, `"timout"`, `did you mean "timeout"?`}},
		{"an object for a value", "output:\n  format: json\n", exitUsage, []string{"key output", "expected a value"}},
		{"wrong type", "timeout: lots\n", exitUsage, []string{"key timeout", "not a valid duration"}},
		{"a value no command takes", "output: xml\n", exitUsage, []string{`invalid output format "xml"`, "key output"}},
		{"a command's flag", "wait: 10d\ninterval: 10s\nvalidity: 3d\nsystem_resolver: none\nstrict: true\n", exitOK, nil},
		{"scim keys", "scim:\n  url: https://scim.example/v2\n  ca_file: ca.pem\n  verified_domains: [main.com]\n  mapping:\n    userName: userPrincipalName\n  scope:\n    department: [Sales]\n", exitOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, path := configEnv(t, tt.file)
			code, _, stderr := runCmd(t, false, env, "version")
			if code != tt.want {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.want, stderr)
			}
			if tt.want == exitOK {
				return
			}
			for _, w := range append(tt.wantErr, path) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q, want %q in it", stderr, w)
				}
			}
		})
	}
}

// TestConfigShowEverySetting holds that config show lists the settings of
// every command, from every source, with secrets redacted.
func TestConfigShowEverySetting(t *testing.T) {
	env, path := configEnv(t, "wait: 10d\nscim:\n  url: https://scim.example/v2\n  verified_domains: [main.com, eu.main.com]\n")
	env["ORGCTL_SCIM_TOKEN"] = "s3cr3t"
	env["ORGCTL_VALIDITY"] = "3d"
	code, stdout, stderr := runCmd(t, false, env, "config", "show", "-o", "json", "--timeout", "5m")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout, "s3cr3t") {
		t.Errorf("the token is in the output:\n%s", stdout)
	}
	var got []struct{ Key, Value, Source, Env string }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	byKey := map[string]string{}
	for _, s := range got {
		byKey[s.Key] = s.Value + " from " + s.Source
	}
	want := map[string]string{
		"timeout":               "5m0s from flag",
		"ns_port":               "53 from default",
		"validity":              "3d from env",
		"wait":                  "10d from file",
		"scim.url":              "https://scim.example/v2 from file",
		"scim.verified_domains": "main.com,eu.main.com from file",
		"scim.token":            "<redacted> from env",
		"scim.ca_file":          " from default",
		"system_resolver":       " from default",
		"interval":              "5s from default",
		"output":                "json from flag",
		"config":                path + " from env",
		"strict":                "false from default",
	}
	for k, w := range want {
		if byKey[k] != w {
			t.Errorf("%s = %q, want %q", k, byKey[k], w)
		}
	}
}

// TestOutputModesAreNoSettings: code show's --file and --records pick
// what one command line prints; ORGCTL_FILE (verify's --file, a path) and
// a config file's "file" key do not reach them.
func TestOutputModesAreNoSettings(t *testing.T) {
	env, _ := configEnv(t, "file: domains.txt\n")
	if code, _, stderr := runCmd(t, false, env, "code", "new", "main.com", "-q"); code != exitOK {
		t.Fatalf("code new: exit %d: %s", code, stderr)
	}
	env["ORGCTL_FILE"] = "/tmp/domains.txt"
	code, stdout, stderr := runCmd(t, false, env, "code", "show", "main.com")
	if code != exitOK || !strings.Contains(stdout, "record:") || !strings.Contains(stdout, "history:") {
		t.Errorf("code show with ORGCTL_FILE and a config file: exit %d, stdout %q, stderr %q; want the full view", code, stdout, stderr)
	}
}

// TestConfigTokenNotAString: a scim.token that YAML reads as a list, an
// object or a number is a usage error naming the key, not "no token".
func TestConfigTokenNotAString(t *testing.T) {
	for _, tok := range []string{"[a]", "{a: b}", "12345", "true"} {
		env, path := configEnv(t, "scim:\n  url: http://127.0.0.1:9/scim\n  token: "+tok+"\n")
		code, _, stderr := runCmd(t, false, env, "scim", "test")
		if code != exitUsage || !strings.Contains(stderr, "scim.token") || !strings.Contains(stderr, path) {
			t.Errorf("token %s: exit %d, stderr %q; want %d naming scim.token and the file", tok, code, stderr, exitUsage)
		}
	}
}
