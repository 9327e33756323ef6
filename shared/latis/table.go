package latis

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Table describes a LaTiS dataset other than the segment table: its
// columns in their exact order and how each filter compares.
type Table struct {
	Columns []string
	// Numeric columns compare as numbers; an empty cell matches no
	// numeric filter.
	Numeric map[string]bool
	// Times columns hold UTC "YYYY-MM-DD hh:mm:ss" and compare as times;
	// filter values may also be YYYY-MM-DD or ISO 8601 with a T.
	Times map[string]bool
	// Start and End, when set, name an interval's columns: a lower bound
	// on either keeps rows with End > bound, an upper bound rows with
	// Start < bound (a row straddling a bound is returned), as the segment
	// table does.
	Start, End string
}

// column returns the canonical name of col (case-insensitive).
func (t Table) column(col string) (int, bool) {
	for i, c := range t.Columns {
		if strings.EqualFold(c, col) {
			return i, true
		}
	}
	return -1, false
}

// tableFilter is a parsed filter with its column position.
type tableFilter struct {
	pos   int
	op    string
	value string
	num   float64   // parsed value of a numeric column
	when  time.Time // parsed value of a time column
}

// parse reads "[col,col...][&NAME<op>value...]" with the grammar of
// ParseQuery (percent-encoding decoded first, projection first), column
// names case-insensitive.
func (t Table) parse(query string) (proj []int, fs []tableFilter, err error) {
	query = strings.TrimPrefix(query, "?")
	for k, part := range strings.Split(query, "&") {
		dec, err := url.PathUnescape(part)
		if err != nil {
			return nil, nil, fmt.Errorf("latis query %q: %w", part, err)
		}
		if dec == "" {
			continue
		}
		op := strings.IndexAny(dec, "<>=")
		if op < 0 {
			if k != 0 {
				return nil, nil, fmt.Errorf("latis query: projection %q must come first", dec)
			}
			for _, c := range strings.Split(dec, ",") {
				p, ok := t.column(strings.TrimSpace(c))
				if !ok {
					return nil, nil, fmt.Errorf("latis query: unknown column %q", c)
				}
				proj = append(proj, p)
			}
			continue
		}
		name := strings.TrimSpace(dec[:op])
		p, ok := t.column(name)
		if !ok {
			return nil, nil, fmt.Errorf("latis query: unknown column %q", name)
		}
		f := tableFilter{pos: p}
		rest := dec[op:]
		if strings.HasPrefix(rest, ">=") || strings.HasPrefix(rest, "<=") {
			f.op, f.value = rest[:2], rest[2:]
		} else {
			f.op, f.value = rest[:1], rest[1:]
		}
		if strings.ContainsAny(f.value, "<>=") {
			return nil, nil, fmt.Errorf("latis query: bad operator in %q", dec)
		}
		col := t.Columns[p]
		switch {
		case t.Numeric[col]:
			if f.num, err = strconv.ParseFloat(f.value, 64); err != nil {
				return nil, nil, fmt.Errorf("latis query: %s needs a number, got %q", col, f.value)
			}
		case t.Times[col]:
			if f.when, err = parseTime(f.value); err != nil {
				return nil, nil, fmt.Errorf("latis query: %s: %w", col, err)
			}
		}
		fs = append(fs, f)
	}
	return proj, fs, nil
}

var timeLayouts = []string{time.DateTime, "2006-01-02T15:04:05", time.RFC3339, time.DateOnly, "2006-01-02T15:04", "2006-01-02 15:04"}

func parseTime(v string) (time.Time, error) {
	v = strings.TrimSpace(strings.TrimSuffix(v, "Z"))
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want YYYY-MM-DD[ hh:mm:ss]", v)
}

// FormatTime formats a UTC time as the time columns hold it.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime)
}

// match applies the filters to one row.
func (t Table) match(row []string, fs []tableFilter) bool {
	for _, f := range fs {
		pos, op := f.pos, f.op
		if col := t.Columns[pos]; t.Start != "" && (col == t.Start || col == t.End) {
			switch op {
			case ">", ">=":
				pos, _ = t.column(t.End)
				op = ">"
			case "<", "<=":
				pos, _ = t.column(t.Start)
				op = "<"
			}
		}
		col := t.Columns[pos]
		var ok bool
		switch {
		case t.Numeric[col]:
			// An empty or unparsable cell matches nothing.
			v, err := strconv.ParseFloat(row[pos], 64)
			ok = err == nil && cmpOp(cmpFloat(v, f.num), op)
		case t.Times[col]:
			v, err := parseTime(row[pos])
			ok = err == nil && cmpOp(v.Compare(f.when), op)
		default:
			ok = compare(row[pos], op, f.value, false)
		}
		if !ok {
			return false
		}
	}
	return true
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpOp(c int, op string) bool {
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return c == 0
}

// Bounds returns the tightest lower and upper bound the query puts on a
// numeric column, or on a time column as Unix seconds (has* false when
// none), so a caller can read only what may match. A query that does not
// parse has no bounds (Write reports its error).
func (t Table) Bounds(query, column string) (lo, hi float64, hasLo, hasHi bool) {
	_, fs, err := t.parse(query)
	if err != nil {
		return 0, 0, false, false
	}
	for _, f := range fs {
		col := t.Columns[f.pos]
		if !strings.EqualFold(col, column) || !t.Numeric[col] && !t.Times[col] {
			continue
		}
		v, _ := strconv.ParseFloat(f.value, 64)
		if t.Times[col] {
			v = float64(f.when.Unix())
		}
		switch f.op {
		case ">", ">=", "=":
			if !hasLo || v > lo {
				lo, hasLo = v, true
			}
		}
		switch f.op {
		case "<", "<=", "=":
			if !hasHi || v < hi {
				hi, hasHi = v, true
			}
		}
	}
	return lo, hi, hasLo, hasHi
}

// Check parses query and reports its error, so a handler can answer 400
// before it gathers rows.
func (t Table) Check(query string) error {
	_, _, err := t.parse(query)
	return err
}

// Write writes the header (projected) and the rows the filters keep.
// Every row must have len(t.Columns) fields. Only the dataset's last
// column may hold commas (clients split on the first ones): elsewhere they
// become semicolons; line breaks become spaces everywhere.
func (t Table) Write(w io.Writer, rows [][]string, query string) error {
	proj, fs, err := t.parse(query)
	if err != nil {
		return err
	}
	if proj == nil {
		for i := range t.Columns {
			proj = append(proj, i)
		}
	}
	bw := bufio.NewWriter(w)
	head := make([]string, len(proj))
	for k, p := range proj {
		head[k] = t.Columns[p]
	}
	bw.WriteString(strings.Join(head, ",") + "\n")
	clean := strings.NewReplacer("\r", " ", "\n", " ")
	out := make([]string, len(proj))
	for i, row := range rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("latis: row %d has %d fields, want %d", i, len(row), len(t.Columns))
		}
		if !t.match(row, fs) {
			continue
		}
		for k, p := range proj {
			v := row[p]
			if strings.ContainsAny(v, "\r\n,") {
				v = clean.Replace(v)
				if p != len(t.Columns)-1 {
					v = strings.ReplaceAll(v, ",", ";")
				}
			}
			out[k] = v
		}
		for k, v := range out {
			if k > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(v)
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("latis: write: %w", err)
	}
	return nil
}
