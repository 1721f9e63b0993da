package store

import (
	"testing"
	"time"
)

func TestDescribeCode(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	revoked := now.Add(-day)
	codes := []Code{
		{Domain: "main.com", Code: "cur", CreatedAt: now.Add(-17 * day), ExpiresAt: now.Add(-7 * day),
			Previous: []Code{
				{Domain: "main.com", Code: "mid", CreatedAt: now.Add(-27 * day)},
				{Domain: "main.com", Code: "old", CreatedAt: now.Add(-40 * day)},
			}},
		{Domain: "eu.main.com", Code: "rev", CreatedAt: now, RevokedAt: &revoked},
	}
	for _, tc := range []struct{ uuid, want string }{
		{"cur", "the current code of main.com, generated on 2026-11-11 (17 days ago), expired on 2026-11-21"},
		{"mid", "an earlier code of main.com, generated on 2026-11-01 (27 days ago) and replaced on 2026-11-11 by logmein-verification-code=cur"},
		{"old", "an earlier code of main.com, generated on 2026-10-19 (40 days ago) and replaced on 2026-11-01 by logmein-verification-code=mid"},
		{"rev", "the current code of eu.main.com, generated on 2026-11-28 (today), revoked on 2026-11-27"},
		{"unknown", ""},
	} {
		got, ok := DescribeCode(codes, tc.uuid, now)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("DescribeCode(%s) = %q, %v; want %q", tc.uuid, got, ok, tc.want)
		}
	}
}
