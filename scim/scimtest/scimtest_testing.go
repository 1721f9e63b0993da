package scimtest

// TB is the part of testing.TB that Start uses. It is declared here so that
// this package does not import testing: the sandbox of the orgctl binary
// serves SCIM with this package, and a release binary must not link the
// testing package (nor register its flags).
type TB interface {
	Helper()
	Cleanup(func())
}

// Start starts a server like NewServer and closes it when the test ends.
func Start(tb TB, opts Options) *Server {
	tb.Helper()
	s := NewServer(opts)
	tb.Cleanup(s.Close)
	return s
}
