package peertest

import "syscall"

// setPdeathsig has the kernel send SIGKILL to the server when the thread that started it ends. The Go
// runtime ends a thread only when a goroutine locked to it exits, so in practice this fires when the
// test binary dies (a panic, a -timeout, a kill) before its t.Cleanup could stop the server.
func setPdeathsig(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
