//go:build !unix

package peertest

import (
	"errors"
	"os"
	"os/exec"
)

// Without Unix process groups and signals only the process itself is killed; the peers this package
// runs exist on Unix only, so Need skips (or fails, in CI) before this matters.

type signal = os.Signal

var (
	sigTerm signal = os.Kill
	sigKill signal = os.Kill
	sigHup  signal = os.Interrupt
)

func setProcAttr(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, _ signal) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func signalProcess(cmd *exec.Cmd, sig signal) error {
	if sig == sigHup {
		return errors.New("reload by signal needs a Unix system")
	}
	return cmd.Process.Signal(sig)
}
