package domain

import "strings"

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
