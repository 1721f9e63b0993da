// Package domain turns what users type as a domain into the one form the rest
// of orgctl works with: an ASCII host name in lowercase, internationalized
// labels as A-labels (punycode), no trailing dot.
//
//	d, err := domain.Normalize(" Bücher.Example. ") // "xn--bcher-kva.example"
//
// Normalize rejects anything that cannot be a domain to verify, with an error
// that quotes the input and, where it can, says what to type instead:
//
//	domain.Normalize("https://main.com/") // invalid domain "https://main.com/": looks like a URL; give the host name only (main.com)
//	domain.Normalize("user@main.com")     // invalid domain "user@main.com": looks like an e-mail address; give the domain part only (main.com)
//	domain.Normalize("localhost")         // invalid domain "localhost": a single label is not a registered domain; give a name like main.com
//
// Subdomains to cover are given relative to the domain or fully qualified;
// Join resolves both to one name and refuses names outside the domain:
//
//	domain.Join("main.com", "www")           // "www.main.com"
//	domain.Join("main.com", "WWW.Main.Com.") // "www.main.com"
//	domain.Join("main.com", "@")             // "main.com"
//
// ReadList reads a list of domains, one a line, as given to `orgctl verify -`.
//
// # What counts as a domain
//
// A host name (RFC 952, RFC 1123) of at least two labels, each of letters,
// digits and hyphens, not starting or ending with a hyphen, at most 63 octets
// long; at most 253 octets in all; the last label not all digits. Unicode
// input is mapped and validated by UTS #46 for lookup (the profile browsers
// use: hyphens in the third and fourth position, as in "r3---sn-x.example",
// are accepted) with the Bidi rule of RFC 5893. IP addresses, wildcards and
// names with underscores (service labels such as _dmarc) are refused: they
// cannot hold a verification code for an e-mail domain.
package domain
