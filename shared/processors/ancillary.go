package processors

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// ancillaryTable is a DEFATT or DEFEPH file: row times (TT2000) and columns.
type ancillaryTable struct {
	times []int64
	cols  [][]float64 // cols[c][row]
}

// readAncillary parses the text layout of docs/l0-format.md §4: header
// lines up to and including the "Epoch (UTC)" title line, then rows of a
// YYYY-DOY/hh:mm:ss.sss epoch and ncols numbers.
func readAncillary(path string, ncols int) (*ancillaryTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ancillary: %w", err)
	}
	defer f.Close()
	t := &ancillaryTable{cols: make([][]float64, ncols)}
	sc := bufio.NewScanner(f)
	inData := false
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if !inData {
			inData = strings.HasPrefix(s, "Epoch (UTC)")
			continue
		}
		if s == "" {
			continue
		}
		fields := strings.Fields(s)
		if len(fields) != ncols+1 {
			return nil, fmt.Errorf("ancillary %s line %d: %d fields, want %d", path, line, len(fields), ncols+1)
		}
		tt, err := parseDOYTime(fields[0])
		if err != nil {
			return nil, fmt.Errorf("ancillary %s line %d: %w", path, line, err)
		}
		if n := len(t.times); n > 0 && tt <= t.times[n-1] {
			return nil, fmt.Errorf("ancillary %s line %d: epochs must increase", path, line)
		}
		t.times = append(t.times, tt)
		for c := range ncols {
			v, err := strconv.ParseFloat(fields[c+1], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("ancillary %s line %d: column %d: bad number %q", path, line, c+2, fields[c+1])
			}
			t.cols[c] = append(t.cols[c], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ancillary %s: %w", path, err)
	}
	if !inData {
		return nil, fmt.Errorf("ancillary %s: no \"Epoch (UTC)\" column title line", path)
	}
	if len(t.times) == 0 {
		return nil, fmt.Errorf("ancillary %s: no data rows", path)
	}
	return t, nil
}

// parseDOYTime parses YYYY-DOY/hh:mm:ss.sss (UTC) into TT2000.
func parseDOYTime(s string) (int64, error) {
	if len(s) < 17 || s[4] != '-' || s[8] != '/' {
		return 0, fmt.Errorf("epoch %q: want YYYY-DOY/hh:mm:ss.sss", s)
	}
	year, err1 := strconv.Atoi(s[:4])
	doy, err2 := strconv.Atoi(s[5:8])
	if err1 != nil || err2 != nil || doy < 1 || doy > 366 {
		return 0, fmt.Errorf("epoch %q: bad year or day of year", s)
	}
	day := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, doy-1)
	b, err := timeutil.ParseBreakdown(day.Format("2006-01-02") + "T" + s[9:])
	if err != nil {
		return 0, fmt.Errorf("epoch %q: %w", s, err)
	}
	return b.TT2000()
}

// row returns the index of the last row at or before tt (0 before the first).
func (t *ancillaryTable) row(tt int64, hint int) int {
	i := hint
	if i < 0 || i >= len(t.times) || t.times[i] > tt {
		i = 0
	}
	for i+1 < len(t.times) && t.times[i+1] <= tt {
		i++
	}
	return i
}
