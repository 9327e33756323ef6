package sitl

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// Severity of a finding.
type Severity string

// Severities: errors reject, approvals wait for a super-SITL, warnings inform.
const (
	Error    Severity = "error"
	Approval Severity = "approval"
	Warning  Severity = "warning"
)

// Rule names (stable: clients and tests key on them).
const (
	RuleFOMRange       = "fom-range"          // FOM outside 0–255
	RuleLengthRange    = "length-range"       // outside 1–60 buffers
	RuleStartAfterStop = "start-after-stop"   // start after stop
	RuleWindowClose    = "after-window-close" // ends at or after the window close
	RuleFOMAbove200    = "fom-above-200"      // needs approval
	RuleTotalAbove1000 = "total-above-1000"   // needs approval
	RuleLengthAdvised  = "length-advised"     // outside 2–35 buffers
	RulePriority1Share = "priority1-share"    // FOM 100–199 buffers above 33 % of 1,000
	RuleEditOverlap    = "edit-overlap"       // new segment overlaps an existing one
	RuleEditFinished   = "edit-finished"      // FINISHED segments cannot change
	RuleEditUnknown    = "edit-unknown"       // modified/deleted segment does not exist
	RuleEditNewHighFOM = "edit-new-high-fom"  // new FOM ≥ 150
	RuleEditDeleteFOM  = "edit-delete-fom"    // deleting a FOM > 100 segment
	RuleEditFOMChange  = "edit-fom-change"    // FOM changed by more than 40 %
)

// Limits of the rules (the reference's numbers).
const (
	maxFOM            = 255
	maxBuffers        = 60
	advisedMinBuffers = 2
	advisedMaxBuffers = 35
	approvalFOM       = 200
	approvalTotal     = 1000
	priority1Min      = 100
	priority1Max      = 199
	priority1Share    = 0.33
	editHighFOM       = 150
	editDeleteFOM     = 100
	editFOMChange     = 0.40
)

// Finding is one rule's verdict on one segment (Segment is the row index,
// -1 for the submission as a whole; SegmentID for edits).
type Finding struct {
	Segment   int      `json:"segment"`
	SegmentID int64    `json:"segment_id,omitempty"`
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
}

// Result is the outcome of a validation.
type Result struct {
	Findings []Finding `json:"findings"`
}

// Has reports whether any finding has severity s.
func (r Result) Has(s Severity) bool {
	for _, f := range r.Findings {
		if f.Severity == s {
			return true
		}
	}
	return false
}

func (r *Result) add(seg int, id int64, rule string, sev Severity, format string, a ...any) {
	r.Findings = append(r.Findings, Finding{Segment: seg, SegmentID: id, Rule: rule, Severity: sev, Message: fmt.Sprintf(format, a...)})
}

// Row is one selection of a SITL (or GLS) submission. Start and Stop are
// TAI-1958 seconds; Stop is the end of the data (exclusive).
type Row struct {
	Start, Stop int64
	FOM         float64
	SourceID    string
	Discussion  string
}

// Buffers is the row's length in buffers (partial buffers count).
func (r Row) Buffers(bufferSeconds int) int {
	bs := int64(bufferSeconds)
	if r.Stop <= r.Start {
		return 0
	}
	return int((r.Stop - r.Start + bs - 1) / bs)
}

// ValidateSubmission applies every submission rule; windowClose is the TAI
// second the SITL window closes.
func ValidateSubmission(rows []Row, windowClose int64, bufferSeconds int) Result {
	var r Result
	total, p1 := 0, 0
	for k, row := range rows {
		n := row.Buffers(bufferSeconds)
		if row.FOM < 0 || row.FOM > maxFOM {
			r.add(k, 0, RuleFOMRange, Error, "FOM %v outside 0–%d", row.FOM, maxFOM)
		}
		if row.Start > row.Stop {
			r.add(k, 0, RuleStartAfterStop, Error, "start %d after stop %d", row.Start, row.Stop)
		} else if n < 1 || n > maxBuffers {
			r.add(k, 0, RuleLengthRange, Error, "%d buffers, outside 1–%d", n, maxBuffers)
		} else if n < advisedMinBuffers || n > advisedMaxBuffers {
			r.add(k, 0, RuleLengthAdvised, Warning, "%d buffers, outside the advised %d–%d", n, advisedMinBuffers, advisedMaxBuffers)
		}
		if row.Stop >= windowClose {
			r.add(k, 0, RuleWindowClose, Error, "ends at %d, at or after the window close %d", row.Stop, windowClose)
		}
		if row.FOM > approvalFOM {
			r.add(k, 0, RuleFOMAbove200, Approval, "FOM %v above %d needs super-SITL approval", row.FOM, approvalFOM)
		}
		total += n
		if row.FOM >= priority1Min && row.FOM < priority1Max+1 {
			p1 += n
		}
	}
	if total > approvalTotal {
		r.add(-1, 0, RuleTotalAbove1000, Approval, "%d buffers in total, above %d: needs super-SITL approval", total, approvalTotal)
	}
	if float64(p1) > priority1Share*approvalTotal {
		r.add(-1, 0, RulePriority1Share, Warning, "%d priority-1 buffers (FOM %d–%d), above %.0f%% of %d", p1, priority1Min, priority1Max, priority1Share*100, approvalTotal)
	}
	return r
}

// Edit kinds of a back-structure change.
const (
	EditNew      = "NEW"
	EditModified = "MODIFIED"
	EditDeleted  = "DELETED"
)

// Edit is one back-structure change by a super-SITL.
type Edit struct {
	Kind      string  `json:"kind"`
	SegmentID int64   `json:"segment_id,omitempty"` // modified/deleted
	TAIStart  int64   `json:"tai_start,omitempty"`  // new/modified
	TAIEnd    int64   `json:"tai_end,omitempty"`    // start of the last buffer
	FOM       float64 `json:"fom"`
}

// ValidateEdits applies the back-structure rules against the existing
// segments.
func ValidateEdits(edits []Edit, existing []*burst.Segment, bufferSeconds int) Result {
	var r Result
	byID := make(map[int64]*burst.Segment, len(existing))
	for _, s := range existing {
		byID[s.ID] = s
	}
	gone := burst.StatusDeleted | burst.StatusSubsumed | burst.StatusTrimmed | burst.StatusObsolete
	bs := int64(bufferSeconds)
	for k, e := range edits {
		switch e.Kind {
		case EditNew:
			if e.FOM < 0 || e.FOM > maxFOM {
				r.add(k, 0, RuleFOMRange, Error, "FOM %v outside 0–%d", e.FOM, maxFOM)
			}
			if e.TAIStart > e.TAIEnd {
				r.add(k, 0, RuleStartAfterStop, Error, "start %d after end %d", e.TAIStart, e.TAIEnd)
			}
			for _, s := range existing {
				if s.Status&gone == 0 && e.TAIStart < s.TAIEnd+bs && s.TAIStart < e.TAIEnd+bs {
					r.add(k, s.ID, RuleEditOverlap, Error, "new segment %d–%d overlaps segment %d", e.TAIStart, e.TAIEnd, s.ID)
				}
			}
			if e.FOM >= editHighFOM {
				r.add(k, 0, RuleEditNewHighFOM, Warning, "new segment with FOM %v ≥ %d", e.FOM, editHighFOM)
			}
		case EditModified, EditDeleted:
			s := byID[e.SegmentID]
			if s == nil {
				r.add(k, e.SegmentID, RuleEditUnknown, Error, "segment %d does not exist", e.SegmentID)
				continue
			}
			if s.Status.Has(burst.StatusFinished) {
				r.add(k, s.ID, RuleEditFinished, Error, "segment %d is %s and cannot change", s.ID, s.Status)
				continue
			}
			if e.Kind == EditDeleted {
				if s.FOM > editDeleteFOM {
					r.add(k, s.ID, RuleEditDeleteFOM, Warning, "deleting segment %d of FOM %v > %d", s.ID, s.FOM, editDeleteFOM)
				}
				continue
			}
			if e.FOM < 0 || e.FOM > maxFOM {
				r.add(k, s.ID, RuleFOMRange, Error, "FOM %v outside 0–%d", e.FOM, maxFOM)
			}
			if s.FOM > 0 && abs(e.FOM-s.FOM)/s.FOM > editFOMChange || s.FOM == 0 && e.FOM > 0 {
				r.add(k, s.ID, RuleEditFOMChange, Warning, "FOM of segment %d changes from %v to %v (> %.0f%%)", s.ID, s.FOM, e.FOM, editFOMChange*100)
			}
		default:
			r.add(k, e.SegmentID, "edit-kind", Error, "unknown edit kind %q (want NEW, MODIFIED or DELETED)", e.Kind)
		}
	}
	return r
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// ParseCSV reads SITL/GLS selection rows "start_time, stop_time, fom,
// sourceid, discussion" with UTC times "YYYY-MM-DD hh:mm:ss"; the
// discussion is the rest of the line (it may hold commas). A header line
// starting with "start_time" is skipped.
func ParseCSV(rd io.Reader) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(rd)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || (line == 1 && strings.HasPrefix(strings.ToLower(text), "start_time")) {
			continue
		}
		f := strings.SplitN(text, ",", 5)
		if len(f) < 4 {
			return nil, fmt.Errorf("selections line %d: %d fields, want start_time, stop_time, fom, sourceid[, discussion]", line, len(f))
		}
		var row Row
		var err error
		if row.Start, err = parseTAI(f[0]); err != nil {
			return nil, fmt.Errorf("selections line %d: start_time: %w", line, err)
		}
		if row.Stop, err = parseTAI(f[1]); err != nil {
			return nil, fmt.Errorf("selections line %d: stop_time: %w", line, err)
		}
		if row.FOM, err = strconv.ParseFloat(strings.TrimSpace(f[2]), 64); err != nil {
			return nil, fmt.Errorf("selections line %d: fom: %w", line, err)
		}
		row.SourceID = strings.TrimSpace(f[3])
		if len(f) == 5 {
			row.Discussion = strings.TrimSpace(f[4])
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("selections: %w", err)
	}
	return rows, nil
}

func parseTAI(s string) (int64, error) {
	t, err := timeutil.ParseUTC(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return timeutil.UTCToTAI(t)
}

// Selections turns validated rows into BDM selections, snapped outward to
// buffer boundaries.
func Selections(rows []Row, source string, bufferSeconds int) []burst.Selection {
	bs := int64(bufferSeconds)
	out := make([]burst.Selection, 0, len(rows))
	for _, r := range rows {
		start := r.Start - r.Start%bs
		n := int64(Row{Start: start, Stop: r.Stop}.Buffers(bufferSeconds))
		src := source
		if r.SourceID != "" {
			src = r.SourceID
		}
		out = append(out, burst.Selection{TAIStart: start, TAIEnd: start + (max(n, 1)-1)*bs, FOM: r.FOM, Source: src, Discussion: r.Discussion})
	}
	return out
}
