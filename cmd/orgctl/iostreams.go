package main

import (
	"bytes"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// IOStreams are the standard streams of one run, with what is known about
// each: whether it is a terminal and whether it gets colour. Commands never
// touch os.Stdin/Stdout/Stderr directly.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	outTTY, errTTY bool
	noColor        bool
	cols           int // the terminal's width, when stdout is one
}

// width is how wide text output may be: the terminal's width, else 100.
func (s *IOStreams) width() int {
	if s.outTTY && s.cols >= 40 {
		return s.cols
	}
	return 100
}

// systemIO returns the process's streams.
func systemIO() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		outTTY:  isTerminal(os.Stdout),
		errTTY:  isTerminal(os.Stderr),
		noColor: os.Getenv("NO_COLOR") != "",
		cols:    termWidth(os.Stdout),
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// testIO returns streams backed by buffers; tty makes stdout and
// stderr terminals.
func testIO(tty bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, outTTY: tty, errTTY: tty}, in, out, errOut
}

// colorOut reports whether stdout gets colour: a terminal, no NO_COLOR,
// no --no-color.
func (s *IOStreams) colorOut() bool { return s.outTTY && !s.noColor }

// colorErr is colorOut for stderr.
func (s *IOStreams) colorErr() bool { return s.errTTY && !s.noColor }

// palette colours text for one stream. Each color.Color is told explicitly
// whether to colour, so fatih/color's package-level NoColor never decides.
type palette struct{ on bool }

func (p palette) paint(s string, attrs ...color.Attribute) string {
	if !p.on {
		return s
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(s)
}

func (p palette) green(s string) string  { return p.paint(s, color.FgGreen, color.Bold) }
func (p palette) red(s string) string    { return p.paint(s, color.FgRed, color.Bold) }
func (p palette) yellow(s string) string { return p.paint(s, color.FgYellow) }
func (p palette) dim(s string) string    { return p.paint(s, color.Faint) }
func (p palette) bold(s string) string   { return p.paint(s, color.Bold) }
