package provision

import (
	"bytes"
	"io"
)

// window is a reader that remembers the last bytes read, so that a parser
// that only gives a byte offset (encoding/json) or a line number
// (encoding/csv) can be turned into a line number or a line's text for a
// message, without keeping the whole source.
type window struct {
	r    io.Reader
	buf  []byte // the bytes at offsets [base, base+len(buf))
	base int64
	// baseLine is the line number of the byte at base.
	baseLine int
	// curOff and curLine are where lineAt last counted to (curOff ≥ base).
	curOff  int64
	curLine int
}

// windowSize is how much of the source a window keeps: more than the read
// ahead of bufio and encoding/json, so that the current line is in it.
const windowSize = 256 << 10

func newWindow(r io.Reader) *window { return &window{r: r, baseLine: 1, curLine: 1} }

func (w *window) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if len(w.buf)+n > windowSize {
		w.drop(len(w.buf) + n - windowSize/2)
	}
	w.buf = append(w.buf, p[:n]...)
	return n, err
}

// drop forgets the first n bytes of the window.
func (w *window) drop(n int) {
	n = min(n, len(w.buf))
	if cut := w.base + int64(n); w.curOff < cut {
		w.curLine += bytes.Count(w.buf[w.curOff-w.base:n], []byte{'\n'})
		w.curOff = cut
	}
	w.baseLine += bytes.Count(w.buf[:n], []byte{'\n'})
	w.base += int64(n)
	w.buf = append(w.buf[:0], w.buf[n:]...)
}

// lineAt returns the line of the byte at offset off. Offsets must not go
// back, except into what the window still holds.
func (w *window) lineAt(off int64) int {
	if off < w.curOff {
		if off < w.base {
			return w.baseLine
		}
		return w.baseLine + bytes.Count(w.buf[:off-w.base], []byte{'\n'})
	}
	end := min(off-w.base, int64(len(w.buf)))
	w.curLine += bytes.Count(w.buf[w.curOff-w.base:end], []byte{'\n'})
	w.curOff = w.base + end
	return w.curLine
}

// skipSpace returns the offset of the first byte at or after off that is
// neither JSON whitespace nor one of extra, as far as the window holds.
func (w *window) skipSpace(off int64, extra string) int64 {
	for off >= w.base && off-w.base < int64(len(w.buf)) {
		c := w.buf[off-w.base]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && bytes.IndexByte([]byte(extra), c) < 0 {
			break
		}
		off++
	}
	return off
}

// lineText returns the text of line n, or of its part the window still
// holds, without its line end; "" when the window no longer holds it.
func (w *window) lineText(n int) string {
	if n < w.baseLine {
		return ""
	}
	b := w.buf
	for l := w.baseLine; l < n; l++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return ""
		}
		b = b[i+1:]
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(bytes.TrimSuffix(b, []byte{'\r'}))
}
