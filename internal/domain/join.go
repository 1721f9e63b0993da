package domain

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Join returns the fully qualified name, normalized and without a trailing
// dot, of a subdomain of domain. sub may be relative to domain ("www",
// "eu.shop"), fully qualified under it ("www.main.com", "WWW.Main.Com."), or
// "@" for domain itself. A name with a trailing dot is always taken as fully
// qualified and must be domain or lie under it; a name without one is taken as
// fully qualified only if it ends in domain, and as relative otherwise.
//
// Errors quote the input and wrap ErrInvalid.
func Join(domain, sub string) (string, error) {
	d, err := Normalize(domain)
	if err != nil {
		return "", err
	}
	fail := func(err error) error {
		return &invalidError{subject: "subdomain of " + d, input: sub, err: err}
	}
	t := strings.TrimSpace(sub)
	if t == "@" {
		return d, nil
	}
	n, err := normalize(t, false)
	if err != nil {
		return "", fail(err)
	}
	if n == d || strings.HasSuffix(n, "."+d) {
		return n, nil
	}
	if strings.HasSuffix(t, ".") {
		return "", fail(reasonf("%s is not under %s; give a name under it (like www.%s) or labels relative to it (like www)", n, d, d))
	}
	fq := n + "." + d
	if len(fq) > MaxLength {
		return "", fail(reasonf("%s is %d octets long, longer than %d", fq, len(fq), MaxLength))
	}
	return fq, nil
}

// MeantAsIs reports whether sub, which [Join] takes relative to domain
// because it is not under it, looks like a fully qualified name that the
// user meant as is: it has more than one label and ends in the public
// suffix of domain (www.other.com or www.main.com given for sub.main.com),
// the way a DNS panel doubles a name typed in full. It returns that name,
// normalized. A relative name of several labels (eu.shop under main.com)
// does not look so.
func MeantAsIs(domain, sub string) (string, bool) {
	d, err := Normalize(domain)
	if err != nil {
		return "", false
	}
	t := strings.TrimSpace(sub)
	if t == "@" || strings.HasSuffix(t, ".") {
		return "", false // domain itself, or refused by Join
	}
	n, err := normalize(t, false)
	if err != nil || n == d || strings.HasSuffix(n, "."+d) || !strings.Contains(n, ".") {
		return "", false
	}
	suffix, _ := publicsuffix.PublicSuffix(d)
	if !strings.HasSuffix(n, "."+suffix) {
		return "", false
	}
	return n, true
}
