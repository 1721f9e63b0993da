package provision

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// readCSV reads a CSV source: a header row naming source fields (canonical
// names, or the columns of Entra's "bulk download users" export, in any
// case), then one user a row. Rows whose fields are all empty (as
// spreadsheets leave them) are skipped.
func readCSV(r io.Reader, src *Source, e *errs) error {
	w := newWindow(r)
	cr := csv.NewReader(w)
	cr.FieldsPerRecord = -1 // counted here, to say what the header has
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		e.add(0, "", "", "source is empty: want a header row")
		return nil
	}
	if err != nil {
		return csvError(err, w, e)
	}
	header = append([]string(nil), header...)
	src.Kind = KindCSV
	if !headers(src, header, e) {
		return nil
	}
	n := len(src.fields)
	active, groups := src.column(FieldActive), src.column(FieldGroups)
	un, ext := src.column(FieldUserName), src.column(FieldExternalID)
	vals := make([]string, n)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if err := csvError(err, w, e); err != nil {
				return err
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != n {
			if len(rec) == 1 && rec[0] == "" {
				continue
			}
			e.add(line, "", w.lineText(line), "row has %d fields, the header has %d", len(rec), n)
			continue
		}
		// nameOK and groupsOK: the userName and groups fields are text
		// that can be checked as names (not said bad already).
		good, empty, nameOK, groupsOK := true, true, true, true
		for i, v := range rec {
			ok := checkValue(e, line, strings.TrimSpace(header[i]), v)
			switch i {
			case un:
				nameOK = ok
			case groups:
				groupsOK = ok
			}
			good = ok && good
			empty = empty && v == ""
		}
		if empty {
			continue
		}
		copy(vals, rec)
		if nameOK && !checkName(e, line, strings.TrimSpace(header[un]), "userName", vals[un]) {
			good = false
		}
		if active >= 0 {
			b, ok := parseActive(vals[active])
			if !ok {
				e.add(line, strings.TrimSpace(header[active]), vals[active], "invalid boolean: want true or false")
				good = false
			}
			vals[active] = strconv.FormatBool(b)
		}
		if strings.TrimSpace(vals[un]) == "" {
			continue // not a user at all: no duplicate to find
		}
		if groups >= 0 {
			// Checked before csvGroups joins them with groupSep, a
			// control character that a name must not bring in.
			for g := range strings.SplitSeq(vals[groups], ";") {
				if g = strings.TrimSpace(g); groupsOK && g != "" && !checkName(e, line, strings.TrimSpace(header[groups]), "group name", g) {
					good = false
				}
			}
			vals[groups] = csvGroups(vals[groups])
		}
		src.add(e, line, vals, un, ext, good)
	}
}

// csvError records a parse error of encoding/csv as a row error (a broken
// quote is reported at the line where it starts), or returns the error when
// it is not about the text.
func csvError(err error, w *window, e *errs) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	line := cmp.Or(pe.StartLine, pe.Line)
	msg := "broken quoting"
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = `broken quoting: a " inside a field that does not start with one (double it and quote the field)`
	case errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line:
		msg = fmt.Sprintf("broken quoting: the quoted field starting here is not closed properly (line %d)", pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		msg = `broken quoting: a quoted field must end with " followed by , or the line end`
	default:
		msg = pe.Err.Error()
	}
	e.add(line, "", w.lineText(line), "%s", msg)
	return nil
}

// headers resolves a CSV header into src's fields and kind. It reports
// whether the header is good.
func headers(src *Source, header []string, e *errs) bool {
	ok := true
	seen := map[string]string{}
	for _, h := range header {
		f, known := fieldName(h)
		if !known {
			e.add(1, "", h, "unknown column%s", didYouMean(strings.TrimSpace(h), allFieldNames()))
			ok = false
			continue
		}
		if strings.EqualFold(strings.TrimSpace(h), "userPrincipalName") {
			src.Kind = KindEntra
		}
		if prev, dup := seen[f]; dup {
			e.add(1, "", h, "column gives %s, as column %q does", f, prev)
			ok = false
		}
		seen[f] = h
		if !checkValue(e, 1, "", h) {
			ok = false
		}
		src.fields = append(src.fields, f)
	}
	if _, has := seen[FieldUserName]; ok && !has {
		e.add(1, "", strings.Join(header, ","), "no userName column (or Entra's userPrincipalName)")
		ok = false
	}
	return ok
}
