package provision

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// logEntry is one line of the provisioning log. It never holds the token:
// errors come from scim, which scrubs it.
type logEntry struct {
	Time     time.Time `json:"time"`
	CycleID  string    `json:"cycle_id"`
	Action   string    `json:"action"`
	Identity string    `json:"identity"`
	TargetID string    `json:"target_id,omitempty"`
	Status   string    `json:"status"`
	Changes  []string  `json:"changes,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// logWriter appends entries, one JSON object a line, to the caller's
// writer (a file the CLI opens with O_APPEND). It keeps the first write
// error and drops later entries.
type logWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

func newLogWriter(w io.Writer) *logWriter {
	if w == nil {
		return &logWriter{}
	}
	return &logWriter{enc: json.NewEncoder(w)}
}

func (l *logWriter) write(e logEntry) {
	if l.enc == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = l.enc.Encode(e)
	}
}
