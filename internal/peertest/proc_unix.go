//go:build unix

package peertest

import (
	"os/exec"
	"syscall"
)

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
	sigHup  = syscall.SIGHUP
)

// setProcAttr puts the process in a process group of its own, so stop can signal everything it
// started, and (on Linux) has the kernel kill it when the test binary dies.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
}

// signalGroup sends sig to the process group led by cmd's process. Errors (the group is gone) are
// of no interest to the caller.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}

// signalProcess sends sig to cmd's process alone.
func signalProcess(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Signal(sig)
}
