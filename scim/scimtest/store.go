package scimtest

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// store holds the resources. All its methods are safe for concurrent use;
// each write is atomic.
type store struct {
	mu       sync.RWMutex
	coll     map[*kind]*collection
	memberOf map[string]map[string]bool // member id → ids of the groups it is in
}

// collection holds the resources of one kind in the order they were
// created, which is the order lists are served in.
type collection struct {
	order []string
	byID  map[string]map[string]any // canonical form, with id and meta
	seq   map[string]int            // id → its place in the order of creation
	next  int                       // the seq of the next resource
	// index holds, by attribute name, the indexes of the attributes that
	// provisioning clients look resources up by, so that such an eq
	// filter, and the uniqueness of userName, cost no scan.
	index map[string]*valueIndex
}

// indexed lists the attributes of each kind that have an index.
var indexed = map[*kind][]string{
	userKind:  {"userName", "externalId"},
	groupKind: {"displayName", "externalId"},
}

// valueIndex maps the values of a string attribute to the ids of the
// resources holding them.
type valueIndex struct {
	fold bool                // values are lower-cased: the attribute is not caseExact
	ids  map[string][]string // value → ids, in no particular order
}

func (x *valueIndex) key(v string) string {
	if x.fold {
		return strings.ToLower(v)
	}
	return v
}

func (x *valueIndex) add(v, id string) {
	k := x.key(v)
	x.ids[k] = append(x.ids[k], id)
}

func (x *valueIndex) drop(v, id string) {
	k := x.key(v)
	ids := slices.DeleteFunc(x.ids[k], func(e string) bool { return e == id })
	if len(ids) == 0 {
		delete(x.ids, k)
		return
	}
	x.ids[k] = ids
}

func newStore() *store {
	s := &store{
		coll:     map[*kind]*collection{},
		memberOf: map[string]map[string]bool{},
	}
	for _, k := range kinds {
		c := &collection{byID: map[string]map[string]any{}, seq: map[string]int{}, index: map[string]*valueIndex{}}
		for _, name := range indexed[k] {
			c.index[name] = &valueIndex{fold: !find(k.top, name).CaseExact, ids: map[string][]string{}}
		}
		s.coll[k] = c
	}
	return s
}

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// timestamp is the time for meta.created and meta.lastModified.
func timestamp() string {
	return time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
}

// fromBody makes the attributes of a resource from a POST or PUT body: in
// canonical form, with the defaults (active: true) for what it lacks.
func fromBody(k *kind, body map[string]any) (map[string]any, error) {
	res, err := canonResource(k, body, false)
	if err == nil && k == userKind && res["active"] == nil {
		res["active"] = true
	}
	return res, err
}

// create adds a resource from a request body. id is "" for the server to
// choose one. It returns the resource as served under base.
func (s *store) create(k *kind, body map[string]any, id, base string) (map[string]any, error) {
	res, err := fromBody(k, body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case id == "":
		id = newID()
	case s.kindOf(id) != nil:
		return nil, errorf(409, "uniqueness", "id %q is taken", id)
	}
	if err := s.check(k, id, res, false); err != nil {
		return nil, err
	}
	now := timestamp()
	res["id"] = id
	res["meta"] = map[string]any{"resourceType": k.name, "created": now, "lastModified": now}
	c := s.coll[k]
	c.order = append(c.order, id)
	c.seq[id] = c.next
	c.next++
	s.put(k, id, res)
	return s.render(k, res, base), nil
}

// replace replaces the attributes of a resource with those of a PUT body;
// id and meta.created stay.
func (s *store) replace(k *kind, id string, body map[string]any, base string) (map[string]any, error) {
	res, err := fromBody(k, body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.lookup(k, id)
	if err != nil {
		return nil, err
	}
	if err := s.check(k, id, res, false); err != nil {
		return nil, err
	}
	return s.render(k, s.update(k, old, res), base), nil
}

// patch applies PATCH operations atomically: all of them, or none.
func (s *store) patch(k *kind, id string, ops []patchOp, p patcher, base string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.lookup(k, id)
	if err != nil {
		return nil, err
	}
	work := deepCopy(old).(map[string]any)
	for _, op := range ops {
		if err := p.apply(work, op); err != nil {
			return nil, err
		}
	}
	res, err := canonResource(k, work, false)
	if err != nil {
		return nil, err
	}
	if err := s.check(k, id, res, p.repeatMembers); err != nil {
		return nil, err
	}
	return s.render(k, s.update(k, old, res), base), nil
}

// update stores res, the new attributes of old, with old's id and meta; it
// changes meta.lastModified only when an attribute changed.
func (s *store) update(k *kind, old, res map[string]any) map[string]any {
	id := old["id"].(string)
	meta := maps.Clone(old["meta"].(map[string]any))
	res["id"], res["meta"] = id, meta
	if reflect.DeepEqual(old, res) {
		return old
	}
	meta["lastModified"] = timestamp()
	s.put(k, id, res)
	return res
}

// remove deletes a resource and takes it out of the groups it is in.
func (s *store) remove(k *kind, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.lookup(k, id); err != nil {
		return err
	}
	for gid := range s.memberOf[id] {
		g := deepCopy(s.coll[groupKind].byID[gid]).(map[string]any)
		g["members"] = slices.DeleteFunc(asList(g["members"]), func(m any) bool {
			return m.(map[string]any)["value"] == id
		})
		clean(g, "members")
		g["meta"].(map[string]any)["lastModified"] = timestamp()
		s.put(groupKind, gid, g)
	}
	s.put(k, id, nil)
	c := s.coll[k]
	// order is sorted by seq: find the place without a scan.
	if i, ok := slices.BinarySearchFunc(c.order, c.seq[id], func(e string, seq int) int { return cmp.Compare(c.seq[e], seq) }); ok {
		c.order = slices.Delete(c.order, i, i+1)
	}
	delete(c.seq, id)
	return nil
}

// put sets the stored resource id to res (nil: deletes it) and keeps the
// indexes up to date. The caller holds s.mu and keeps c.order.
func (s *store) put(k *kind, id string, res map[string]any) {
	c := s.coll[k]
	old := c.byID[id]
	for name, x := range c.index {
		if v, ok := old[name].(string); ok {
			x.drop(v, id)
		}
		if v, ok := res[name].(string); ok {
			x.add(v, id)
		}
	}
	if k == groupKind {
		for _, m := range asList(old["members"]) {
			delete(s.memberOf[m.(map[string]any)["value"].(string)], id)
		}
		for _, m := range asList(res["members"]) {
			v := m.(map[string]any)["value"].(string)
			if s.memberOf[v] == nil {
				s.memberOf[v] = map[string]bool{}
			}
			s.memberOf[v][id] = true
		}
	}
	if res == nil {
		delete(c.byID, id)
		delete(s.memberOf, id)
		return
	}
	c.byID[id] = res
}

// check enforces what canonResource cannot see alone: userName is unique
// without regard to case, and group members exist. It drops repeated
// members unless keepRepeats. The caller holds s.mu.
func (s *store) check(k *kind, id string, res map[string]any, keepRepeats bool) error {
	switch k {
	case userKind:
		name := res["userName"].(string)
		x := s.coll[userKind].index["userName"]
		if i := slices.IndexFunc(x.ids[x.key(name)], func(e string) bool { return e != id }); i >= 0 {
			return errorf(409, "uniqueness", "userName %q is taken by user %s", name, x.ids[x.key(name)][i])
		}
	case groupKind:
		seen := map[string]bool{}
		var members []any
		for _, m := range asList(res["members"]) {
			mm := m.(map[string]any)
			v, _ := mm["value"].(string)
			switch {
			case v == "":
				return badRequest("invalidValue", "members: each member needs a value, the id of a User or Group")
			case v == id:
				return badRequest("invalidValue", "members: a group cannot be a member of itself")
			case s.kindOf(v) == nil:
				return badRequest("invalidValue", "members: there is no User or Group with id %q", v)
			case seen[v] && !keepRepeats:
				continue
			}
			seen[v] = true
			delete(mm, "$ref") // set by the server on output
			delete(mm, "type")
			members = append(members, mm)
		}
		res["members"] = members
		clean(res, "members")
	}
	return nil
}

// kindOf returns the kind of the resource id, or nil when there is none.
func (s *store) kindOf(id string) *kind {
	for _, k := range kinds {
		if s.coll[k].byID[id] != nil {
			return k
		}
	}
	return nil
}

func (s *store) lookup(k *kind, id string) (map[string]any, error) {
	res := s.coll[k].byID[id]
	if res == nil {
		return nil, notFound("%s %q not found", k.name, id)
	}
	return res, nil
}

// get returns one resource as served under base.
func (s *store) get(k *kind, id, base string) (map[string]any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	res, err := s.lookup(k, id)
	if err != nil {
		return nil, err
	}
	return s.render(k, res, base), nil
}

// list returns the number of resources that match f (nil: all) and those of
// them from the 1-based index start on, at most count of them, as served
// under base. Without a filter, and with an eq filter on an indexed
// attribute, it costs no scan of the resources.
func (s *store) list(k *kind, f filter, start, count int, base string) (int, []map[string]any) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.coll[k]
	hits := c.order
	if f != nil {
		ids, ok := c.candidates(f)
		if !ok {
			ids = c.order
		} else if len(ids) > 1 {
			ids = slices.Clone(ids)
			slices.SortFunc(ids, func(x, y string) int { return cmp.Compare(c.seq[x], c.seq[y]) })
		}
		hits = nil
		for _, id := range ids {
			if f.match(s.filterView(k, c.byID[id])) {
				hits = append(hits, id)
			}
		}
	}
	page := []map[string]any{}
	if from := start - 1; from < len(hits) {
		for _, id := range hits[from:min(len(hits), from+count)] {
			page = append(page, s.render(k, c.byID[id], base))
		}
	}
	return len(hits), page
}

// candidates returns the ids of the resources that may match f, from an
// index, and true; or false when f has no eq test of an indexed attribute
// that every match must pass.
func (c *collection) candidates(f filter) ([]string, bool) {
	switch f := f.(type) {
	case compareFilter:
		x := c.index[f.p.a.Name]
		lit, isStr := f.lit.(string)
		if f.op != "eq" || f.p.ext != "" || f.p.sub != nil || x == nil || !isStr {
			return nil, false
		}
		return x.ids[x.key(lit)], true
	case andFilter:
		if ids, ok := c.candidates(f.l); ok {
			return ids, true
		}
		return c.candidates(f.r)
	}
	return nil, false
}

// filterView is what filters see of a stored resource: the resource with
// its computed groups. The caller must not change it.
func (s *store) filterView(k *kind, res map[string]any) map[string]any {
	if k != userKind || len(s.memberOf[res["id"].(string)]) == 0 {
		return res
	}
	v := maps.Clone(res)
	v["groups"] = s.groupsOf(res["id"].(string), "")
	return v
}

// all returns every resource of kind k as served under base, for snapshots.
func (s *store) all(k *kind, base string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.coll[k]
	out := make([]map[string]any, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, s.render(k, c.byID[id], base))
	}
	return out
}

// render returns a copy of res as the server serves it: without attributes
// that are never returned, with meta.location, a user's groups, and each
// group member's type and $ref. base is the URL the endpoints are under.
func (s *store) render(k *kind, res map[string]any, base string) map[string]any {
	out := deepCopy(res).(map[string]any)
	for _, a := range k.core.Attributes {
		if a.Returned == "never" {
			delete(out, a.Name)
		}
	}
	id := out["id"].(string)
	out["meta"].(map[string]any)["location"] = base + k.endpoint + "/" + id
	switch k {
	case userKind:
		if groups := s.groupsOf(id, base); len(groups) > 0 {
			out["groups"] = groups
		}
	case groupKind:
		for _, m := range asList(out["members"]) {
			mm := m.(map[string]any)
			mk := s.kindOf(mm["value"].(string))
			mm["type"] = mk.name
			mm["$ref"] = base + mk.endpoint + "/" + mm["value"].(string)
		}
	}
	return out
}

// groupsOf returns the groups attribute of the user id: the groups it is a
// direct member of, by displayName.
func (s *store) groupsOf(id, base string) []any {
	var out []any
	for gid := range s.memberOf[id] {
		out = append(out, map[string]any{
			"value":   gid,
			"$ref":    base + groupKind.endpoint + "/" + gid,
			"display": s.coll[groupKind].byID[gid]["displayName"],
			"type":    "direct",
		})
	}
	slices.SortFunc(out, func(x, y any) int {
		xm, ym := x.(map[string]any), y.(map[string]any)
		return cmp.Or(cmp.Compare(xm["display"].(string), ym["display"].(string)), cmp.Compare(xm["value"].(string), ym["value"].(string)))
	})
	return out
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// normalize turns a Go value, such as a seed map holding []string or int,
// into what decoding its JSON gives.
func normalize(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = decodeJSON(b, &out)
	return out, err
}
