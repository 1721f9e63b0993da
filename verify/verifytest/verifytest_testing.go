package verifytest

// TB is the part of testing.TB that Start uses. It is declared here so that
// this package does not import testing: the sandbox of the orgctl binary
// serves its zones with this package, and a release binary must not link
// the testing package (nor register its flags).
type TB interface {
	Helper()
	Fatal(args ...any)
	Error(args ...any)
	Cleanup(func())
}

// Start starts a server like NewServer and closes it when the test ends. It
// stops the test if the zones do not parse or the server cannot listen.
func Start(tb TB, opts Options, zones ...string) *Server {
	tb.Helper()
	s, err := NewServer(opts, zones...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}
