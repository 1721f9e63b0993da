package config

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

// Suggest returns the word of known closest to word, for a "did you mean"
// hint: within an edit distance of 2 (as cobra suggests commands), or one
// that word is a prefix of. It returns "" when none is close.
func Suggest(word string, known []string) string {
	w := strings.ToLower(word)
	best, bestDist := "", 3
	for _, k := range known {
		d := levenshtein.ComputeDistance(w, strings.ToLower(k))
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	for _, k := range known {
		if len(w) >= 2 && strings.HasPrefix(strings.ToLower(k), w) {
			return k
		}
	}
	return ""
}
