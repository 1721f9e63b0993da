package verify

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// Cache defaults: how many answers a Cache keeps, and how long at most,
// whatever their TTL says.
const (
	DefaultCacheEntries = 1 << 16
	MaxCacheTTL         = time.Hour
)

// Cache keeps the answers of discovery — a zone's SOA at its apex, its NS
// set and the addresses of its name servers — across the checks of one
// run, for as long as their TTL allows, so that many names in one zone
// cost one discovery. Concurrent checks that need the same answer wait for
// one query (singleflight) instead of each sending it. Only answers that
// other names can reuse are kept: the SOA question at a name that is not
// a zone apex is asked for every name, so its answer is not kept, and the
// Cache stays bounded by the number of zones, not of names.
//
// A Cache is safe for concurrent use; share one between the Checkers of a
// run (Checker.Cache). Its zero value is not usable: call NewCache.
type Cache struct {
	max   int
	now   func() time.Time
	group singleflight.Group

	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
}

type cacheKey struct {
	name  string
	qtype uint16
	cd    bool
}

type cacheEntry struct {
	msg     *dns.Msg
	addr    string
	expires time.Time
}

// NewCache returns an empty Cache of at most DefaultCacheEntries answers.
func NewCache() *Cache {
	return &Cache{max: DefaultCacheEntries, now: time.Now, entries: map[cacheKey]cacheEntry{}}
}

// cachedAnswer is what ask returns; the singleflight group carries it.
type cachedAnswer struct {
	msg  *dns.Msg
	addr string
}

// ask is Checker.ask through the cache: a kept answer while its TTL runs,
// else one query shared by every caller asking the same at once. The
// returned message is shared: callers must not change it.
func (k *Cache) ask(ctx context.Context, name string, qtype uint16, cd bool, send func() (*dns.Msg, string, error)) (*dns.Msg, string, error) {
	key := cacheKey{dns.CanonicalName(name), qtype, cd}
	if e, ok := k.get(key); ok {
		return e.msg, e.addr, nil
	}
	v, err, _ := k.group.Do(fmt.Sprintf("%s/%d/%t", key.name, key.qtype, key.cd), func() (any, error) {
		if e, ok := k.get(key); ok {
			return cachedAnswer{e.msg, e.addr}, nil
		}
		m, addr, err := send()
		if err != nil {
			return nil, err
		}
		k.put(key, m, addr)
		return cachedAnswer{m, addr}, nil
	})
	if err != nil {
		// The query that was shared may have been cut short by another
		// caller's context; this caller asks on its own.
		if isCancel(err) && ctxErr(ctx) == nil {
			return send()
		}
		return nil, "", err
	}
	a := v.(cachedAnswer)
	return a.msg, a.addr, nil
}

func (k *Cache) get(key cacheKey) (cacheEntry, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.entries[key]
	if !ok {
		return cacheEntry{}, false
	}
	if !k.now().Before(e.expires) {
		delete(k.entries, key)
		return cacheEntry{}, false
	}
	return e, true
}

// put keeps m if other names can use it, for its lowest TTL.
func (k *Cache) put(key cacheKey, m *dns.Msg, addr string) {
	if !reusable(key, m) {
		return
	}
	ttl, ok := msgTTL(m)
	if !ok || ttl == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.entries) >= k.max {
		// Full: drop what has expired, else an arbitrary entry. A run
		// over more zones than fit asks again, it never grows further.
		now := k.now()
		for kk, e := range k.entries {
			if !now.Before(e.expires) {
				delete(k.entries, kk)
			}
		}
		for kk := range k.entries {
			if len(k.entries) < k.max {
				break
			}
			delete(k.entries, kk)
		}
	}
	k.entries[key] = cacheEntry{msg: m, addr: addr, expires: k.now().Add(min(time.Duration(ttl)*time.Second, MaxCacheTTL))}
}

// reusable reports whether the answer m to key serves other names: NS and
// address answers do; an SOA answer only at a zone apex.
func reusable(key cacheKey, m *dns.Msg) bool {
	if m.Rcode != dns.RcodeSuccess {
		return false
	}
	switch key.qtype {
	case dns.TypeNS, dns.TypeA, dns.TypeAAAA:
		return true
	case dns.TypeSOA:
		for _, rr := range m.Answer {
			if _, ok := rr.(*dns.SOA); ok && dns.CanonicalName(rr.Header().Name) == key.name {
				return true
			}
		}
	}
	return false
}

// msgTTL is the lowest TTL of m's records, and whether it has any.
func msgTTL(m *dns.Msg) (uint32, bool) {
	var ttl uint32
	found := false
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, rr := range sec {
			if !found || rr.Header().Ttl < ttl {
				ttl, found = rr.Header().Ttl, true
			}
		}
	}
	return ttl, found
}

// ask is askServers through c.Cache when there is one.
func (c *Checker) ask(ctx context.Context, name string, qtype uint16, cd bool) (*dns.Msg, string, error) {
	if c.Cache == nil {
		return c.askServers(ctx, name, qtype, cd)
	}
	return c.Cache.ask(ctx, name, qtype, cd, func() (*dns.Msg, string, error) { return c.askServers(ctx, name, qtype, cd) })
}
