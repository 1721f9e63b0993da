// Package codegen creates, parses and renders LogMeIn-style domain
// verification codes. Everything here is a pure function of its arguments: no
// I/O besides the io.Reader handed to New, no clock, no globals.
//
// A code is a UUID. Published, it is prefixed with [Prefix] and "=":
//
//	logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e
//
// Generate a new code from a cryptographic random source:
//
//	uuid, err := codegen.New(rand.Reader) // crypto/rand
//	value := codegen.Value(uuid)         // "logmein-verification-code=…"
//
// Accept a code typed or pasted by a user, in either the full or the bare
// form, and get the canonical lowercase UUID back:
//
//	uuid, err := codegen.Parse("  LOGMEIN-VERIFICATION-CODE=668E156B-F5D3-430E-9944-F1D4385D043E ")
//	// uuid == "668e156b-f5d3-430e-9944-f1d4385d043e"
//
// Tell an administrator what to publish with a [Record]:
//
//	r := codegen.Record{Domain: "main.com", Name: "www.main.com", Value: value}
//	r.ZoneLine() // www 3600 IN TXT "logmein-verification-code=…"
//	r.FQDNLine() // www.main.com. 3600 IN TXT "logmein-verification-code=…"
//	r.Dig()      // dig +short TXT www.main.com.
//	r.URL()      // http://www.main.com/logmein-verification-code.txt
//	r.Body()     // logmein-verification-code=…   (no trailing newline)
//
// Record does not validate its fields: build it from names normalized by
// internal/domain and a value made by Value.
package codegen
