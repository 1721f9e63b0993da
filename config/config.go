// Package config gives every orgctl flag its value from, in order of
// precedence, the command line, an ORGCTL_<FLAG> environment variable, the
// config file, and the flag's default — and remembers which one won, for
// `orgctl config show`.
//
// It is the only package besides the CLI that knows viper. The CLI calls
// [Read] once per run with a fresh viper.Viper, then [Apply] with the flags
// of the command being run:
//
//	v := viper.New()
//	if err := config.Read(v, path, explicit); err != nil { … }
//	sources, err := config.Apply(v, cmd.Flags(), os.LookupEnv)
//
// After Apply the command reads its flags as usual.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix is the prefix of environment variables read for flags.
const EnvPrefix = "ORGCTL_"

// Source says where a setting's value came from.
type Source string

// The sources, by precedence.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// Key is the config-file key of a flag: its name with dashes turned into
// underscores (state-dir → state_dir). A flag may name a nested key with
// the annotation "config_key" (scim.verified_domains).
func Key(f *pflag.Flag) string {
	if k, ok := f.Annotations[AnnotationKey]; ok && len(k) > 0 {
		return k[0]
	}
	return strings.ReplaceAll(f.Name, "-", "_")
}

// AnnotationKey is the flag annotation that overrides Key.
const AnnotationKey = "config_key"

// AnnotationCommandLineOnly marks a flag that is no setting: one that
// picks what a single command line prints (`code show --file`). Neither
// the environment nor the config file sets it, so that ORGCTL_FILE, meant
// for verify's --file, does not reach it; it has no config key.
const AnnotationCommandLineOnly = "config_none"

// CommandLineOnly reports whether f is marked AnnotationCommandLineOnly.
func CommandLineOnly(f *pflag.Flag) bool {
	return f.Annotations[AnnotationCommandLineOnly] != nil
}

// EnvName is the environment variable of a flag: ORGCTL_ and the key in
// upper case, dots and dashes turned into underscores.
func EnvName(f *pflag.Flag) string {
	// strings.Map, not a strings.Replacer built per call: Apply asks this of
	// every flag of the command on every run, before the command starts.
	return EnvPrefix + strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, Key(f)))
}

// flagEnvName is ORGCTL_ and the flag's own name, dashes turned into
// underscores, whatever its config key.
func flagEnvName(f *pflag.Flag) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// DefaultPath is $XDG_CONFIG_HOME/orgctl/config.yaml, or
// ~/.config/orgctl/config.yaml.
func DefaultPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "orgctl", "config.yaml")
}

// Read loads the config file at path into v. A missing file is an error
// only when explicit (given with --config or ORGCTL_CONFIG).
func Read(v *viper.Viper, path string, explicit bool) error {
	if path == "" {
		return nil
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if info.IsDir() {
		return fmt.Errorf("config file %s is a directory", path)
	}
	v.SetConfigFile(path)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yaml", ".yml", ".json", ".toml":
	default:
		v.SetConfigType("yaml")
	}
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Setting is one flag's effective value and where it came from.
type Setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	Env    string `json:"env"`
}

// Settings maps config keys to settings.
type Settings map[string]Setting

// Sorted returns the settings ordered by key.
func (s Settings) Sorted() []Setting {
	out := make([]Setting, 0, len(s))
	for _, v := range s {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Apply gives every flag of fs that was not set on the command line its
// value from the environment or the config file, and returns where each
// value came from. A value that does not parse is an error naming the
// variable or the file key.
func Apply(v *viper.Viper, fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) (Settings, error) {
	settings := Settings{}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || CommandLineOnly(f) {
			return
		}
		key, env := Key(f), EnvName(f)
		src := SourceDefault
		switch {
		case f.Changed:
			src = SourceFlag
		default:
			var val string
			var ok bool
			// DESIGN.md §2's ORGCTL_<FLAG> works for a flag with a nested
			// key too: --url reads ORGCTL_SCIM_URL, then ORGCTL_URL.
			for _, name := range []string{EnvName(f), flagEnvName(f)} {
				if val, ok = lookupEnv(name); ok && val != "" {
					env = name
					break
				}
			}
			if ok && val != "" {
				if err := set(f, val); err != nil {
					errs = append(errs, fmt.Errorf("environment variable %s=%q: %w", env, val, err))
					return
				}
				src = SourceEnv
			} else if v.InConfig(key) {
				val, err := fileValue(v.Get(key))
				if err == nil {
					err = set(f, val)
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("config file %s: key %s: %w", v.ConfigFileUsed(), key, err))
					return
				}
				src = SourceFile
			}
		}
		val := display(f)
		if Secret(key) && val != "" {
			val = "<redacted>"
		}
		settings[key] = Setting{Key: key, Value: val, Source: src, Env: env}
	})
	return settings, errors.Join(errs...)
}

// set parses val into a flag that was not given on the command line. For
// list flags, the value is a comma- or space-separated list.
func set(f *pflag.Flag, val string) error {
	if isList(f) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			return sv.Replace(splitList(val))
		}
	}
	if err := f.Value.Set(strings.TrimSpace(val)); err != nil {
		return fmt.Errorf("not a valid %s for --%s", f.Value.Type(), f.Name)
	}
	return nil
}

func isList(f *pflag.Flag) bool {
	return strings.HasSuffix(f.Value.Type(), "Slice") || strings.HasSuffix(f.Value.Type(), "Array")
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}

// fileValue turns a value decoded from YAML into flag text.
func fileValue(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if _, ok := e.(map[string]any); ok {
				return "", errors.New("expected a list of values, not of objects")
			}
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ","), nil
	case map[string]any:
		return "", errors.New("expected a value, got an object")
	default:
		return fmt.Sprint(x), nil
	}
}

// FileString reads key of the config file in v, a key that is no flag's
// (scim.token): a YAML string, or an error naming the file, the key and
// what the file holds instead. A number is refused too: YAML would have
// read 0x1f or 1e10 as a value other than the text written.
func FileString(v *viper.Viper, key string) (string, error) {
	raw := v.Get(key)
	if s, ok := raw.(string); ok {
		return s, nil
	}
	var kind string
	switch raw.(type) {
	case []any:
		kind = "a list"
	case map[string]any:
		kind = "an object"
	case nil:
		kind = "nothing"
	case bool:
		kind = "a boolean"
	case int, int64, uint64, float64:
		kind = "a number"
	default:
		kind = fmt.Sprintf("a value of type %T", raw)
	}
	return "", fmt.Errorf("config file %s: key %s: expected a string, got %s", v.ConfigFileUsed(), key, kind)
}

// display renders a flag's value for config show.
func display(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// Secret reports whether a key holds a secret that must be redacted.
func Secret(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "token") || strings.Contains(k, "secret") || strings.Contains(k, "password")
}
