package peertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for a server to answer after it was started or reloaded.
	startTimeout = 10 * time.Second
	// stopTimeout bounds each of the two waits in stop: after SIGTERM, then after SIGKILL.
	stopTimeout = 5 * time.Second
	// startAttempts is how often a server is started on a fresh port when its port was taken
	// between the check in freePort and the server's own bind.
	startAttempts = 3
	// pollInterval is the pause between two readiness probes.
	pollInterval = 25 * time.Millisecond
)

// errPortInUse reports that a server could not bind its port; the caller retries on another one.
var errPortInUse = errors.New("port already in use")

// daemon is one server process, run in the foreground in its own process group, with stdout and
// stderr appended to a file in its directory.
type daemon struct {
	name string   // for messages: "named", "unbound"
	bin  string   // path of the binary
	args []string // arguments
	env  []string // added to the environment, "KEY=value"
	dir  string   // working directory, holds the output file
	out  string   // path of the file that receives stdout and stderr
	logs []string // further files whose tail explains a failure

	// portInUse tells from the output whether the process could not bind its port.
	portInUse func(out string) bool
	// broken, if set, finds in the output a failure after which waiting is pointless, such as a
	// zone that did not load while named goes on running; it returns the line that says so.
	broken func(out string) string
	// reported is set once a failure message showed the output, so t.Cleanup need not again.
	reported bool

	p    *process // the current or last process; nil before start and after stop
	mark int64    // size of out when the current process started
}

// process is one run of a daemon.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, valid once done is closed
}

func (d *daemon) start() error {
	f, err := os.OpenFile(d.out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil {
		d.mark = fi.Size()
	}
	cmd := exec.Command(d.bin, d.args...)
	cmd.Dir = d.dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), d.env...)
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", d.name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	d.p = p
	return nil
}

// running reports whether the current process is there and has not ended.
func (d *daemon) running() bool {
	if d.p == nil {
		return false
	}
	select {
	case <-d.p.done:
		return false
	default:
		return true
	}
}

// stop ends the process group: SIGTERM, then SIGKILL if it is still there after stopTimeout.
// It is a no-op when nothing runs.
func (d *daemon) stop() error {
	p := d.p
	if p == nil {
		return nil
	}
	if d.running() {
		signalGroup(p.cmd, sigTerm)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			signalGroup(p.cmd, sigKill)
			select {
			case <-p.done:
			case <-time.After(stopTimeout):
				return fmt.Errorf("%s (pid %d) still running %v after SIGKILL", d.name, p.cmd.Process.Pid, stopTimeout)
			}
		}
	}
	// Anything the server left in its group goes with it.
	signalGroup(p.cmd, sigKill)
	d.p = nil
	return nil
}

// output returns what the current process wrote to stdout and stderr so far.
func (d *daemon) output() string {
	return d.outputFrom(d.mark)
}

// outputFrom returns the output from byte offset off on.
func (d *daemon) outputFrom(off int64) string {
	b, err := os.ReadFile(d.out)
	if err != nil {
		return ""
	}
	if off <= int64(len(b)) {
		b = b[off:]
	}
	return string(b)
}

// outputSize returns the length of the output so far, for outputFrom.
func (d *daemon) outputSize() int64 {
	fi, err := os.Stat(d.out)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// report describes the process and the tails of its output and logs, for a failure message.
func (d *daemon) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s (output of %s %s)\n%s", d.out, d.name, strings.Join(d.args, " "), tail(d.output(), 40))
	for _, l := range d.logs {
		if data, err := os.ReadFile(l); err == nil {
			fmt.Fprintf(&b, "--- %s\n%s", l, tail(string(data), 40))
		}
	}
	return b.String()
}

// waitReady polls probe until it succeeds, the process exits or reports itself broken, or
// startTimeout passes. A process that could not bind its port yields errPortInUse.
func (d *daemon) waitReady(probe func() error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if !d.running() {
			if d.portInUse(d.output()) {
				return errPortInUse
			}
			if d.p == nil {
				return fmt.Errorf("%s is not running", d.name)
			}
			return fmt.Errorf("%s exited: %v", d.name, d.p.err)
		}
		err := probe()
		if err == nil {
			return nil
		}
		// A server may go on trying to bind for a while (nginx tries five times, 500 ms apart)
		// before it exits: its word that the port is taken is enough to move on.
		if d.portInUse(d.output()) {
			return errPortInUse
		}
		if d.broken != nil {
			if line := d.broken(d.output()); line != "" {
				return fmt.Errorf("%s: %s", d.name, line)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %v: %v", d.name, startTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// failureReport returns d.report() and notes that a failure message is showing it.
func (d *daemon) failureReport() string {
	d.reported = true
	return d.report()
}

func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "(empty)\n"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[… %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n") + "\n"
}

// handedOut remembers the ports given to servers by this test binary, so two servers started close
// together never get the same one.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// pickPort chooses the port for the next server; tests replace it to see a taken port handled.
var pickPort = freePort

// freePort returns a port that is free on 127.0.0.1 for both UDP and TCP at the time of the call.
// The server binds it later; a race with another process is handled by retrying the start.
func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	var lastErr error
	for range 50 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			lastErr = err
			continue
		}
		pc.Close()
		if handedOut.ports[port] {
			continue
		}
		handedOut.ports[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("find a port free for both UDP and TCP on 127.0.0.1: %v", lastErr)
}

// writeFile writes data to path or fails the test.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}

// run runs a helper tool (dnssec-keygen, …) in dir with a timeout and returns its stdout.
func run(t testing.TB, dir string, timeout time.Duration, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("peertest: %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("peertest: %s %s: %v\n%s%s", bin, strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
	case <-time.After(timeout):
		signalGroup(cmd, sigKill)
		<-done
		t.Fatalf("peertest: %s %s: no result within %v\n%s", bin, strings.Join(args, " "), timeout, stderr.String())
	}
	return stdout.String()
}

// cleanupOnEnd stops d when the test ends, first showing its output if the
// test failed.
func (d *daemon) cleanupOnEnd(t testing.TB, addr func() string) {
	t.Cleanup(func() {
		if t.Failed() && !d.reported {
			t.Logf("peertest: %s on %s:\n%s", d.name, addr(), d.report())
		}
		if err := d.stop(); err != nil {
			t.Errorf("peertest: %v", err)
		}
	})
}

// launch starts d on a free port of 127.0.0.1 and returns its address,
// trying another port when the daemon reports that the port is taken:
// configure writes the configuration for a port, start runs the daemon and
// waits until it answers.
func (d *daemon) launch(t testing.TB, caller string, configure func(port int, addr string), start func() error) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			t.Fatalf("peertest: %s: %v", caller, err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		configure(port, addr)
		err = start()
		if err == nil {
			return addr
		}
		if stopErr := d.stop(); stopErr != nil {
			t.Errorf("peertest: %v", stopErr)
		}
		if errors.Is(err, errPortInUse) && attempt < startAttempts {
			t.Logf("peertest: %s could not bind %s, trying another port", d.name, addr)
			continue
		}
		t.Fatalf("peertest: %s on %s: %v\n%s", caller, addr, err, d.failureReport())
	}
}
