package provision

import (
	"fmt"
	"strings"

	"github.com/orgctl/orgctl/internal/domain"
)

// Verified reports whether a domain, in the form domain.Normalize gives
// (lowercase, A-labels), is verified: the CLI backs it with the state's
// verification history and --verified-domain / scim.verified_domains.
type Verified func(domain string) bool

// UserDomain returns the domain of a userName, the part after its last '@',
// normalized as domain.Normalize does (so Bücher.Example and
// xn--bcher-kva.example are one domain). A guest's userName
// (alice_gmail.com#EXT#@contoso.onmicrosoft.com) gives the tenant's domain.
func UserDomain(userName string) (string, error) {
	i := strings.LastIndexByte(userName, '@')
	if i < 0 {
		return "", fmt.Errorf("userName %q has no @domain", userName)
	}
	return domain.Normalize(userName[i+1:])
}

// VerifiedDomains returns a Verified that holds for the given domains
// (normalized first), as --verified-domain lists them.
func VerifiedDomains(domains ...string) (Verified, error) {
	set := make(map[string]bool, len(domains))
	for _, d := range domains {
		n, err := domain.Normalize(d)
		if err != nil {
			return nil, fmt.Errorf("verified domain: %w", err)
		}
		set[n] = true
	}
	return func(d string) bool { return set[d] }, nil
}

// gate applies a Verified to userNames, asking once per domain.
type gate struct {
	verified Verified
	seen     map[string]string // the domain part as written → "" or why it is not verified
}

func newGate(v Verified) *gate { return &gate{verified: v, seen: map[string]string{}} }

// check returns "" when userName's domain is verified, else why not.
func (g *gate) check(userName string) string {
	raw := userName[strings.LastIndexByte(userName, '@')+1:]
	if why, ok := g.seen[raw]; ok {
		return why
	}
	why := ""
	d, err := UserDomain(userName)
	switch {
	case err != nil:
		why = err.Error()
	case g.verified == nil || !g.verified(d):
		why = fmt.Sprintf("domain %s is not verified (run orgctl verify %s, or give --verified-domain %s)", d, d, d)
	}
	g.seen[raw] = why
	return why
}
