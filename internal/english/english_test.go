package english

import "testing"

func TestPluralAndCount(t *testing.T) {
	tests := []struct {
		n          int
		wantPlural string
		wantCount  string
	}{
		{0, "servers", "0 servers"},
		{1, "server", "1 server"},
		{2, "servers", "2 servers"},
	}
	for _, tt := range tests {
		if got := Plural(tt.n, "server", "servers"); got != tt.wantPlural {
			t.Errorf("Plural(%d) = %q, want %q", tt.n, got, tt.wantPlural)
		}
		if got := Count(tt.n, "server", "servers"); got != tt.wantCount {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.wantCount)
		}
	}
}
