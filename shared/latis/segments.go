// Package latis writes the MMS SDC's tabular ("LaTiS") CSV datasets.
package latis

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// SegmentColumns are the columns of mms_burst_data_segment.csv in their
// exact order: clients index them by position.
var SegmentColumns = []string{
	"DATASEGMENTID", "TAISTARTTIME", "TAIENDTIME", "PARAMETERSETID", "FOM",
	"ISPENDING", "INPLAYLIST", "STATUS", "NUMEVALCYCLES", "SOURCEID",
	"CREATETIME", "FINISHTIME",
	"OBS1NUMBUFS", "OBS2NUMBUFS", "OBS3NUMBUFS", "OBS4NUMBUFS",
	"OBS1ALLOCBUFS", "OBS2ALLOCBUFS", "OBS3ALLOCBUFS", "OBS4ALLOCBUFS",
	"OBS1REMFILES", "OBS2REMFILES", "OBS3REMFILES", "OBS4REMFILES",
	"DISCUSSION",
}

// numeric columns compare as numbers in filters.
var numeric = map[string]bool{"DATASEGMENTID": true, "TAISTARTTIME": true, "TAIENDTIME": true,
	"FOM": true, "ISPENDING": true, "INPLAYLIST": true, "NUMEVALCYCLES": true}

// Filter is one NAME<op>value condition.
type Filter struct {
	Column, Op, Value string
}

// Query is a parsed LaTiS query: a projection (nil: all columns) and filters.
type Query struct {
	Columns []string
	Filters []Filter
}

// ParseQuery parses "[col,col...][&NAME<op>value...]" where each part may be
// percent-encoded (TAISTARTTIME%3E=123 means TAISTARTTIME>=123). A leading
// '?' is ignored. Unknown columns and operators are errors.
func ParseQuery(q string, columns []string) (Query, error) {
	var out Query
	q = strings.TrimPrefix(q, "?")
	if q == "" {
		return out, nil
	}
	for k, part := range strings.Split(q, "&") {
		// PathUnescape keeps '+' (statuses are joined with it).
		dec, err := url.PathUnescape(part)
		if err != nil {
			return Query{}, fmt.Errorf("latis query %q: %w", part, err)
		}
		if dec == "" {
			continue
		}
		op := strings.IndexAny(dec, "<>=")
		if op < 0 {
			if k != 0 {
				return Query{}, fmt.Errorf("latis query: projection %q must come first", dec)
			}
			for _, c := range strings.Split(dec, ",") {
				c = strings.ToUpper(strings.TrimSpace(c))
				if !slices.Contains(columns, c) {
					return Query{}, fmt.Errorf("latis query: unknown column %q", c)
				}
				out.Columns = append(out.Columns, c)
			}
			continue
		}
		f := Filter{Column: strings.ToUpper(strings.TrimSpace(dec[:op]))}
		rest := dec[op:]
		switch {
		case strings.HasPrefix(rest, ">="), strings.HasPrefix(rest, "<="):
			f.Op, f.Value = rest[:2], rest[2:]
		case rest[0] == '>' || rest[0] == '<' || rest[0] == '=':
			f.Op, f.Value = rest[:1], rest[1:]
		}
		if !slices.Contains(columns, f.Column) {
			return Query{}, fmt.Errorf("latis query: unknown column %q", f.Column)
		}
		if strings.ContainsAny(f.Value, "<>=") {
			return Query{}, fmt.Errorf("latis query: bad operator in %q", dec)
		}
		if numeric[f.Column] {
			if _, err := strconv.ParseFloat(f.Value, 64); err != nil {
				return Query{}, fmt.Errorf("latis query: %s needs a number, got %q", f.Column, f.Value)
			}
		}
		out.Filters = append(out.Filters, f)
	}
	return out, nil
}

// SegmentRow returns the 25 fields of a segment (at most four observatories).
func SegmentRow(s *burst.Segment) []string {
	create := ""
	if !s.CreateTime.IsZero() {
		create = timeutil.FormatUTC(s.CreateTime)
	}
	finish := ""
	if !s.Pending && !s.FinishTime.IsZero() {
		finish = timeutil.FormatUTC(s.FinishTime)
	}
	row := []string{
		strconv.FormatInt(s.ID, 10),
		strconv.FormatInt(s.TAIStart, 10),
		strconv.FormatInt(s.TAIEnd, 10),
		s.ParameterSetID,
		strconv.FormatFloat(s.FOM, 'f', -1, 64),
		boolDigit(s.Pending),
		boolDigit(s.InPlaylist),
		s.Status.String(),
		strconv.Itoa(s.EvalCycles),
		s.Source,
		create,
		finish,
	}
	for _, field := range []func(burst.Obs) int{
		func(o burst.Obs) int { return o.Buffers },
		func(o burst.Obs) int { return o.Alloc },
		func(o burst.Obs) int { return o.Remaining },
	} {
		for i := 0; i < 4; i++ {
			v := 0
			if i < len(s.Obs) {
				v = field(s.Obs[i])
			}
			row = append(row, strconv.Itoa(v))
		}
	}
	// DISCUSSION is last so that its commas stay in it; a line break would
	// start a new row.
	row = append(row, strings.NewReplacer("\r", " ", "\n", " ").Replace(s.Discussion))
	return row
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// SegmentsCSV writes mms_burst_data_segment.csv for segs filtered and
// projected by query (the URL query string, without the dataset name).
func SegmentsCSV(w io.Writer, segs []*burst.Segment, query string) error {
	q, err := ParseQuery(query, SegmentColumns)
	if err != nil {
		return err
	}
	cols := q.Columns
	if cols == nil {
		cols = SegmentColumns
	}
	pos := make([]int, len(cols))
	for k, c := range cols {
		pos[k] = slices.Index(SegmentColumns, c)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(cols, ",") + "\n")
	out := make([]string, len(cols))
	for _, s := range segs {
		row := SegmentRow(s)
		if !matches(row, q.Filters) {
			continue
		}
		for k, p := range pos {
			out[k] = row[p]
		}
		bw.WriteString(strings.Join(out, ",") + "\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("latis: write segments: %w", err)
	}
	return nil
}

// matches applies the filters. Time bounds use overlap semantics: a lower
// bound (> or >=) on TAISTARTTIME or TAIENDTIME keeps segments with
// TAIENDTIME > bound, an upper bound (< or <=) keeps those with
// TAISTARTTIME < bound, so a segment straddling a bound is returned.
func matches(row []string, fs []Filter) bool {
	for _, f := range fs {
		col, op := f.Column, f.Op
		if col == "TAISTARTTIME" || col == "TAIENDTIME" {
			switch op {
			case ">", ">=":
				col, op = "TAIENDTIME", ">"
			case "<", "<=":
				col, op = "TAISTARTTIME", "<"
			}
		}
		v := row[slices.Index(SegmentColumns, col)]
		if !compare(v, op, f.Value, numeric[col]) {
			return false
		}
	}
	return true
}

func compare(a, op, b string, num bool) bool {
	c := 0
	if num {
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	} else {
		c = strings.Compare(a, b)
	}
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
