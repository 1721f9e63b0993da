package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/orgctl/orgctl/codegen"
)

// MaxHistory is how many checks are kept per domain; older ones are dropped.
const MaxHistory = 100

// MaxPrevious is how many replaced codes are kept per domain.
const MaxPrevious = 20

// StatusVerified is the Check.Status of a successful verification.
const StatusVerified = "verified"

// Code is a verification code issued for a domain.
type Code struct {
	// Domain is the normalized domain the code is for.
	Domain string `json:"domain"`
	// Code is the bare UUID, without the "logmein-verification-code=" prefix.
	Code string `json:"code"`
	// Subdomains are the fully qualified names, besides Domain, that the
	// code is to be published at.
	Subdomains []string `json:"subdomains,omitempty"`
	// CreatedAt is when the code was generated.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the provider stops accepting the code. The zero
	// time means that it does not expire.
	ExpiresAt time.Time `json:"expires_at"`
	// RevokedAt is when the code was revoked, or nil.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// History holds the checks of the domain, oldest first, at most
	// MaxHistory of them.
	History []Check `json:"history,omitempty"`
	// Previous holds the codes this one replaced, newest first, at most
	// MaxPrevious of them, each without its own History and Previous.
	Previous []Code `json:"previous,omitempty"`
}

// Expired reports whether the code has expired at now: ExpiresAt is set and
// now is not before it.
func (c Code) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}

// Active reports whether the code is in force at now: neither revoked nor
// expired.
func (c Code) Active(now time.Time) bool {
	return c.RevokedAt == nil && !c.Expired(now)
}

// Check is the outcome of one verification of one name.
type Check struct {
	// At is when the check finished.
	At time.Time `json:"at"`
	// Method is "dns" or "http".
	Method string `json:"method"`
	// Name is the name checked: the TXT owner name or the file's URL.
	Name string `json:"name"`
	// Status is the verification status, such as "verified" or "not_found"
	// (DESIGN.md §2).
	Status string `json:"status"`
}

// key returns the bucket key for a domain: lowercase, without surrounding
// white space or a trailing dot. Callers normalize domains; this is a guard.
func key(domain string) (string, error) {
	k := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if k == "" {
		return "", errors.New("empty domain")
	}
	if len(k) > bbolt.MaxKeySize {
		return "", fmt.Errorf("domain of %d bytes is too long", len(k))
	}
	return k, nil
}

// PutCode stores c as the code of c.Domain.
//
// If an active code (see Code.Active; judged at c.CreatedAt, or now if that
// is zero) is stored for the domain, PutCode returns an error wrapping
// ErrExists unless replace is true. A stored code, active or not, that c
// replaces is pushed onto c's Previous, without its History and Previous;
// its History is carried over into c's, ahead of any checks in c.History.
// c.Code may be the bare UUID or the full published value; it is stored as
// the lowercase UUID.
func (s *Store) PutCode(ctx context.Context, c Code, replace bool) error {
	k, err := key(c.Domain)
	if err != nil {
		return fmt.Errorf("storing code: %w", err)
	}
	uuid, err := codegen.Parse(c.Code)
	if err != nil {
		return fmt.Errorf("storing code for %s: %w", k, err)
	}
	c.Domain, c.Code = k, uuid
	now := c.CreatedAt
	if now.IsZero() {
		now = time.Now()
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		codes := tx.Bucket([]byte(bucketCodes))
		old, found, err := s.getCode(codes, k)
		if err != nil {
			return err
		}
		if found {
			if old.Active(now) && !replace {
				expiry := "does not expire"
				if !old.ExpiresAt.IsZero() {
					expiry = "expires " + old.ExpiresAt.Format(time.RFC3339)
				}
				return fmt.Errorf("%w (%s, created %s, %s)", ErrExists, old.Code, old.CreatedAt.Format(time.RFC3339), expiry)
			}
			c.History = capHistory(append(old.History, c.History...))
			prev := old
			prev.History, prev.Previous = nil, nil
			c.Previous = append([]Code{prev}, old.Previous...)
		}
		c.Previous = c.Previous[:min(len(c.Previous), MaxPrevious)]
		return s.put(codes, k, c)
	})
	if err != nil {
		return fmt.Errorf("storing code for %s: %w", k, err)
	}
	return nil
}

// Code returns the code stored for domain, or an error wrapping ErrNotFound.
func (s *Store) Code(ctx context.Context, domain string) (Code, error) {
	k, err := key(domain)
	if err != nil {
		return Code{}, fmt.Errorf("reading code: %w", err)
	}
	var c Code
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		got, found, err := s.getCode(tx.Bucket([]byte(bucketCodes)), k)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w for %s", ErrNotFound, k)
		}
		c = got
		return nil
	})
	if err != nil {
		return Code{}, fmt.Errorf("reading code: %w", err)
	}
	return c, nil
}

// Codes returns all stored codes, sorted by domain.
func (s *Store) Codes(ctx context.Context) ([]Code, error) {
	var out []Code
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCodes))
		if b == nil {
			return nil
		}
		// bbolt iterates in byte order of the keys, the domains.
		return b.ForEach(func(k, v []byte) error {
			var c Code
			if err := s.decode(k, v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading codes: %w", err)
	}
	return out, nil
}

// Revoke marks the code stored for domain as revoked at at (now, if at is
// zero). It returns an error wrapping ErrNotFound if no code is stored, and
// keeps the first revocation time if the code is already revoked.
func (s *Store) Revoke(ctx context.Context, domain string, at time.Time) error {
	k, err := key(domain)
	if err != nil {
		return fmt.Errorf("revoking code: %w", err)
	}
	if at.IsZero() {
		at = time.Now()
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		codes := tx.Bucket([]byte(bucketCodes))
		c, found, err := s.getCode(codes, k)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w for %s", ErrNotFound, k)
		}
		if c.RevokedAt != nil {
			return nil
		}
		c.RevokedAt = &at
		return s.put(codes, k, c)
	})
	if err != nil {
		return fmt.Errorf("revoking code for %s: %w", k, err)
	}
	return nil
}

// RecordCheck appends c to the history of domain, dropping the oldest checks
// beyond MaxHistory. The history is kept with the domain's code if one is
// stored, and on its own otherwise (a domain verified with --code), so that
// Checks and LastVerified find it either way. A zero c.At is set to now.
func (s *Store) RecordCheck(ctx context.Context, domain string, c Check) error {
	return s.RecordChecks(ctx, []DomainCheck{{Domain: domain, Check: c}})
}

// DomainCheck is a check and the domain it belongs to.
type DomainCheck struct {
	Domain string
	Check  Check
}

// RecordChecks records many checks in one transaction, as RecordCheck
// would one by one: a run over many domains commits (and syncs) once.
func (s *Store) RecordChecks(ctx context.Context, checks []DomainCheck) error {
	keys := make([]string, len(checks))
	for i, dc := range checks {
		k, err := key(dc.Domain)
		if err != nil {
			return fmt.Errorf("recording check: %w", err)
		}
		keys[i] = k
		if dc.Check.At.IsZero() {
			checks[i].Check.At = time.Now()
		}
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		codes := tx.Bucket([]byte(bucketCodes))
		byKey := tx.Bucket([]byte(bucketChecks))
		for i, dc := range checks {
			k, c := keys[i], dc.Check
			code, found, err := s.getCode(codes, k)
			if err != nil {
				return err
			}
			if found {
				code.History = capHistory(append(code.History, c))
				if err := s.put(codes, k, code); err != nil {
					return err
				}
				continue
			}
			hist, err := s.getChecks(byKey, k)
			if err != nil {
				return err
			}
			if err := s.put(byKey, k, capHistory(append(hist, c))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if len(keys) == 1 {
			return fmt.Errorf("recording check of %s: %w", keys[0], err)
		}
		return fmt.Errorf("recording %d checks: %w", len(keys), err)
	}
	return nil
}

// Checks returns the history of domain, oldest first: the checks kept with
// its code and those recorded while no code was stored. It returns no error
// for a domain without history.
func (s *Store) Checks(ctx context.Context, domain string) ([]Check, error) {
	k, err := key(domain)
	if err != nil {
		return nil, fmt.Errorf("reading checks: %w", err)
	}
	var out []Check
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		hist, err := s.getChecks(tx.Bucket([]byte(bucketChecks)), k)
		if err != nil {
			return err
		}
		code, _, err := s.getCode(tx.Bucket([]byte(bucketCodes)), k)
		if err != nil {
			return err
		}
		out = append(hist, code.History...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading checks of %s: %w", k, err)
	}
	slices.SortStableFunc(out, func(a, b Check) int { return a.At.Compare(b.At) })
	return out, nil
}

// LastVerified returns the newest check of domain whose Status is
// StatusVerified, and whether there is one.
func (s *Store) LastVerified(ctx context.Context, domain string) (Check, bool, error) {
	hist, err := s.Checks(ctx, domain)
	if err != nil {
		return Check{}, false, err
	}
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Status == StatusVerified {
			return hist[i], true, nil
		}
	}
	return Check{}, false, nil
}

func capHistory(h []Check) []Check {
	if len(h) > MaxHistory {
		return slices.Clone(h[len(h)-MaxHistory:])
	}
	return h
}

// getCode reads the code for k from b, which may be nil.
func (s *Store) getCode(b *bbolt.Bucket, k string) (Code, bool, error) {
	if b == nil {
		return Code{}, false, nil
	}
	v := b.Get([]byte(k))
	if v == nil {
		return Code{}, false, nil
	}
	var c Code
	if err := s.decode([]byte(k), v, &c); err != nil {
		return Code{}, false, err
	}
	return c, true, nil
}

// getChecks reads the checks for k from b, which may be nil.
func (s *Store) getChecks(b *bbolt.Bucket, k string) ([]Check, error) {
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(k))
	if v == nil {
		return nil, nil
	}
	var h []Check
	if err := s.decode([]byte(k), v, &h); err != nil {
		return nil, err
	}
	return h, nil
}

// decode unmarshals a record. The value is only valid during the
// transaction; json.Unmarshal copies what it keeps.
func (s *Store) decode(k, v []byte, into any) error {
	if err := json.Unmarshal(v, into); err != nil {
		return s.corrupt(fmt.Errorf("record %q: %w", k, err))
	}
	return nil
}

func (s *Store) put(b *bbolt.Bucket, k string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding record %q: %w", k, err)
	}
	return b.Put([]byte(k), data)
}
