package store

import (
	"fmt"
	"time"

	"github.com/orgctl/orgctl/codegen"
)

// DescribeCode says what codes know of the code uuid, for a finding that
// met it where another was expected: "the current code of main.com,
// generated on 2026-11-01 (27 days ago), revoked on …", or "an earlier
// code of main.com, generated … and replaced on … by …". It reports false
// for a code none of them knows.
func DescribeCode(codes []Code, uuid string, now time.Time) (string, bool) {
	for _, c := range codes {
		if c.Code == uuid {
			desc := fmt.Sprintf("the current code of %s, generated %s", c.Domain, Ago(c.CreatedAt, now))
			switch {
			case c.RevokedAt != nil:
				desc += ", revoked on " + c.RevokedAt.UTC().Format(time.DateOnly)
			case c.Expired(now):
				desc += ", expired on " + c.ExpiresAt.UTC().Format(time.DateOnly)
			}
			return desc, true
		}
		// Previous is newest first: each was replaced by the one before
		// it in the list, the first by the current code.
		newer := c
		for _, p := range c.Previous {
			if p.Code == uuid {
				return fmt.Sprintf("an earlier code of %s, generated %s and replaced on %s by %s",
					p.Domain, Ago(p.CreatedAt, now), newer.CreatedAt.UTC().Format(time.DateOnly), codegen.Value(newer.Code)), true
			}
			newer = p
		}
	}
	return "", false
}

// Ago formats t as "on 2026-11-01 (27 days ago)".
func Ago(t, now time.Time) string {
	days := int(now.Sub(t).Hours() / 24)
	var rel string
	switch {
	case days <= 0:
		rel = "today"
	case days == 1:
		rel = "1 day ago"
	default:
		rel = fmt.Sprintf("%d days ago", days)
	}
	return fmt.Sprintf("on %s (%s)", t.UTC().Format(time.DateOnly), rel)
}
