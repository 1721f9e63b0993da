package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// object is a JSON object whose members are looked up case-insensitively,
// as SCIM attribute names are (RFC 7643 §2.1). What is not taken stays, to
// be kept as a resource's extra attributes.
type object map[string]json.RawMessage

func decodeObject(data []byte) (object, error) {
	var o object
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("want a JSON object, got %s", clean(string(data), 20))
	}
	return o, nil
}

// take removes the member called name (in any case) and returns its value;
// nil when it is absent or null.
func (o object) take(name string) json.RawMessage {
	for k, v := range o {
		if strings.EqualFold(k, name) {
			delete(o, k)
			if string(v) == "null" {
				return nil
			}
			return v
		}
	}
	return nil
}

// attr is a known attribute and where it decodes to.
type attr struct {
	name string
	dst  any
}

// decodeAttrs takes the known attributes out of o into their destinations
// and returns what is left (nil when nothing is).
func (o object) decodeAttrs(attrs ...attr) (map[string]json.RawMessage, error) {
	for _, a := range attrs {
		raw := o.take(a.name)
		if raw == nil {
			continue
		}
		if err := json.Unmarshal(raw, a.dst); err != nil {
			return nil, fmt.Errorf("attribute %s: %w", a.name, err)
		}
	}
	if len(o) == 0 {
		return nil, nil
	}
	return o, nil
}

// writer builds a JSON object member by member, in the order written, so
// that requests read the same every time and tests can pin them.
type writer struct {
	buf bytes.Buffer
	// enc encodes into buf: one encoder for the whole object rather than
	// one (and a buffer) per key and value, which was most of the cost of
	// encoding a user (docs/performance-sync.md).
	enc *json.Encoder
	err error
}

// field writes name: v.
func (w *writer) field(name string, v any) {
	if w.err != nil {
		return
	}
	if w.enc == nil {
		w.enc = json.NewEncoder(&w.buf)
		w.enc.SetEscapeHTML(false)
	}
	if w.buf.Len() == 0 {
		w.buf.WriteByte('{')
	} else {
		w.buf.WriteByte(',')
	}
	if err := w.encode(name); err != nil {
		w.err = fmt.Errorf("%s: %w", name, err)
		return
	}
	w.buf.WriteByte(':')
	if err := w.encode(v); err != nil {
		w.err = fmt.Errorf("%s: %w", name, err)
	}
}

// encode appends v to buf, without the newline the Encoder ends it with.
func (w *writer) encode(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	w.buf.Truncate(w.buf.Len() - 1)
	return nil
}

// str writes name: s unless s is empty.
func (w *writer) str(name, s string) {
	if s != "" {
		w.field(name, s)
	}
}

// extra writes the extra attributes, sorted by name.
func (w *writer) extra(m map[string]json.RawMessage) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.field(k, m[k])
	}
}

func (w *writer) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.buf.Len() == 0 {
		return []byte("{}"), nil
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping: "R&D" stays "R&D" in
// requests and logs.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// lenientInt decodes a number or a numeric string ("10"), as servers send
// status and totalResults either way. Anything else decodes to 0 without
// failing the whole document.
type lenientInt int

func (n *lenientInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		*n = lenientInt(v)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(f) < 1<<53 && f == math.Trunc(f) {
		*n = lenientInt(f)
	} else {
		*n = 0
	}
	return nil
}

// lenientBool decodes true/false, and the strings "true"/"false" in any
// case, which some servers send. Anything else is an error: a value like
// active that cannot be read must not be guessed.
type lenientBool bool

func (v *lenientBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true":
		*v = true
	case "false":
		*v = false
	default:
		return fmt.Errorf("want a boolean, got %s", clean(string(b), 20))
	}
	return nil
}
