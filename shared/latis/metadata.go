package latis

import (
	"io"
	"strconv"
)

// MetadataTable is mms{1..4}_burst_metadata.csv: one row per 10-s buffer
// with the spacecraft's trigger quality (CDQ), the mission quality (MDQ)
// and the segment holding the buffer (empty when none does).
var MetadataTable = Table{
	Columns: []string{"TAITIMESTAMP", "DATASEGMENTID", "CDQ", "MDQ"},
	Numeric: map[string]bool{"TAITIMESTAMP": true, "DATASEGMENTID": true, "CDQ": true, "MDQ": true},
}

// MetadataRow is one buffer of one spacecraft.
type MetadataRow struct {
	TAI       int64 // buffer start, TAI-1958 s
	SegmentID int64 // 0: no segment covers the buffer
	CDQ, MDQ  int
}

// MetadataCSV writes the dataset for rows (in time order) filtered and
// projected by query.
func MetadataCSV(w io.Writer, rows []MetadataRow, query string) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		seg := ""
		if r.SegmentID != 0 {
			seg = strconv.FormatInt(r.SegmentID, 10)
		}
		out[i] = []string{strconv.FormatInt(r.TAI, 10), seg, strconv.Itoa(r.CDQ), strconv.Itoa(r.MDQ)}
	}
	return MetadataTable.Write(w, out, query)
}
