package scimtest

import (
	"net/url"
	"strings"
)

// projection is what the attributes or excludedAttributes parameter asks
// a response to hold (RFC 7644 §3.4.2.5).
type projection struct {
	include bool       // attributes: only these; else excludedAttributes: all but these
	paths   []attrPath // attributes and sub-attributes
	exts    []string   // whole extensions, named by their URN
}

// parseProjection reads the parameters; it returns nil when there are none.
// When both are given, attributes wins. An unknown attribute is a 400
// invalidValue, so that a typing error does not go unnoticed.
func parseProjection(k *kind, q url.Values) (*projection, error) {
	p := &projection{include: true}
	list := q.Get("attributes")
	if list == "" {
		p.include = false
		if list = q.Get("excludedAttributes"); list == "" {
			return nil, nil
		}
	}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if sc := k.schemaByID(name); sc != nil && sc != k.core {
			p.exts = append(p.exts, sc.ID)
			continue
		}
		ap, err := k.parsePath(name)
		if err != nil {
			return nil, badRequest("invalidValue", "attributes: %v", err)
		}
		p.paths = append(p.paths, ap)
	}
	return p, nil
}

// apply returns the part of res, a rendered resource, that p asks for; a
// nil p asks for all of it. The attributes returned always (id, and
// schemas) stay.
func (p *projection) apply(k *kind, res map[string]any) map[string]any {
	if p == nil {
		return res
	}
	if !p.include {
		for _, ap := range p.paths {
			c := ap.container(res, false)
			switch {
			case c == nil || ap.a.Returned == "always":
			case ap.sub == nil:
				delete(c, ap.a.Name)
			default:
				for _, e := range asList(c[ap.a.Name]) {
					delete(e.(map[string]any), ap.sub.Name)
				}
				clean(c, ap.a.Name)
			}
		}
		for _, ext := range p.exts {
			delete(res, ext)
		}
		res["schemas"] = resourceSchemas(k, res)
		return res
	}
	out := map[string]any{"id": res["id"]}
	for _, ext := range p.exts {
		if res[ext] != nil {
			out[ext] = res[ext]
		}
	}
	for _, ap := range p.paths {
		src := ap.container(res, false)
		if src == nil || src[ap.a.Name] == nil {
			continue
		}
		dst := ap.container(out, true)
		v := src[ap.a.Name]
		switch v := v.(type) {
		case map[string]any:
			if ap.sub != nil {
				picked, _ := dst[ap.a.Name].(map[string]any)
				if picked == nil {
					picked = map[string]any{}
				}
				picked[ap.sub.Name] = v[ap.sub.Name]
				dst[ap.a.Name] = picked
				clean(picked, ap.sub.Name)
				continue
			}
		case []any:
			if ap.sub != nil {
				picked, _ := dst[ap.a.Name].([]any)
				if picked == nil {
					picked = make([]any, len(v))
					for i := range picked {
						picked[i] = map[string]any{}
					}
				}
				for i, e := range v {
					picked[i].(map[string]any)[ap.sub.Name] = e.(map[string]any)[ap.sub.Name]
					clean(picked[i].(map[string]any), ap.sub.Name)
				}
				dst[ap.a.Name] = picked
				continue
			}
		}
		dst[ap.a.Name] = v
	}
	for name := range out {
		clean(out, name)
	}
	out["schemas"] = resourceSchemas(k, out)
	return out
}
