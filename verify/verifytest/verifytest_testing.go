package verifytest

import "testing"

// Start starts a server like NewServer and closes it when the test ends. It
// stops the test if the zones do not parse or the server cannot listen.
func Start(tb testing.TB, opts Options, zones ...string) *Server {
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
