//go:build unix && !linux

package peertest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
