package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/viper"
)

// fileKey is a key of the config file that is no flag's.
type fileKey struct {
	key string
	// object keys hold a map whose own keys are free (scim.mapping maps
	// SCIM attributes to source columns); the others hold a value or a
	// list.
	object bool
}

// fileKeys are the keys of the config file that no flag reads: the SCIM
// token (a secret, never a flag) and the provisioning settings that are
// too structured for a flag. Every other key is the config key of some
// command's flag ([Key]).
var fileKeys = []fileKey{
	{key: "scim.token"},
	{key: "scim.verified_domains"},
	{key: "scim.mapping", object: true},
	{key: "scim.scope", object: true},
}

// CheckKeys refuses keys of the config file read into v that nothing
// reads, so that a typo (outptu, resolvers, scim.tokn) is not silently
// ignored in favour of a default. flagKeys are the config keys of every
// flag of every command. The error names the file, each unknown key and
// the closest known one; a key that holds an object where a value is
// expected is refused too.
func CheckKeys(v *viper.Viper, flagKeys []string) error {
	file := v.ConfigFileUsed()
	known := slices.Clone(flagKeys)
	for _, fk := range fileKeys {
		known = append(known, fk.key)
	}
	var errs []error
	seen := map[string]bool{}
	for _, k := range slices.Sorted(slices.Values(v.AllKeys())) {
		if slices.Contains(known, k) || underObject(k) {
			continue
		}
		if p, ok := valuePrefix(k, known); ok {
			if !seen[p] {
				seen[p] = true
				errs = append(errs, fmt.Errorf("config file %s: key %s: expected a value, got an object", file, p))
			}
			continue
		}
		msg := fmt.Sprintf("config file %s: unknown key %q", file, k)
		if s := Suggest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

// underObject reports whether k lies inside an object key (scim.mapping.*).
func underObject(k string) bool {
	for _, fk := range fileKeys {
		if fk.object && strings.HasPrefix(k, fk.key+".") {
			return true
		}
	}
	return false
}

// valuePrefix finds the known key that k lies below: an object was given
// where that key takes a value (output: {format: json}).
func valuePrefix(k string, known []string) (string, bool) {
	for i := strings.LastIndexByte(k, '.'); i > 0; i = strings.LastIndexByte(k[:i], '.') {
		if slices.Contains(known, k[:i]) {
			return k[:i], true
		}
	}
	return "", false
}

// FileSettings returns the settings of the keys that no flag reads, for
// `orgctl config show`: from the environment (ORGCTL_ and the key, dots
// turned into underscores), else the file, else unset. Secrets are
// redacted.
func FileSettings(v *viper.Viper, lookupEnv func(string) (string, bool)) Settings {
	s := Settings{}
	for _, fk := range fileKeys {
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(fk.key, ".", "_"))
		st := Setting{Key: fk.key, Source: SourceDefault, Env: env}
		if val, ok := lookupEnv(env); ok && val != "" {
			st.Value, st.Source = val, SourceEnv
		} else if v.InConfig(fk.key) {
			st.Value, st.Source = displayFile(v.Get(fk.key)), SourceFile
		}
		if Secret(fk.key) && st.Value != "" {
			st.Value = "<redacted>"
		}
		s[fk.key] = st
	}
	return s
}

// displayFile renders a value of the file: lists as for flags, objects as
// JSON.
func displayFile(x any) string {
	if s, err := fileValue(x); err == nil {
		return s
	}
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}
