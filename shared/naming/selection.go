package naming

import (
	"fmt"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// SelectionType is the kind of burst selection file; its value is the
// name prefix and the web-service type.
type SelectionType string

// The selection file types.
const (
	ABSSelections  SelectionType = "abs_selections"
	SITLSelections SelectionType = "sitl_selections"
	BDMSITLChanges SelectionType = "bdm_sitl_changes"
	GLSSelections  SelectionType = "gls_selections_mp-dl-unh"
)

// SelectionTypes lists every selection type.
func SelectionTypes() []SelectionType {
	return []SelectionType{ABSSelections, SITLSelections, BDMSITLChanges, GLSSelections}
}

// Selection is a parsed selection file name:
//
//	<type>_YYYY-MM-DD-hh-mm-ss.<ext>
//
// e.g. abs_selections_2015-10-16-08-30-53.sav. Created is the creation or
// submission time, not the time of the data selected.
type Selection struct {
	Type    SelectionType
	Created time.Time // UTC, whole seconds
	Ext     string
}

// Kind returns KindSelection.
func (Selection) Kind() Kind { return KindSelection }

// selectionTypeOf returns the type whose "<type>_" prefix name starts with.
func selectionTypeOf(name string) (SelectionType, bool) {
	for _, t := range SelectionTypes() {
		if len(name) > len(t) && name[len(t)] == '_' && strings.HasPrefix(name, string(t)) {
			return t, true
		}
	}
	return "", false
}

// ParseSelection parses a selection file name.
func ParseSelection(name string) (Selection, error) {
	s, reason := parseSelection(name)
	if reason != "" {
		return Selection{}, nameErr(KindSelection, name, "%s", reason)
	}
	return s, nil
}

func parseSelection(name string) (Selection, string) {
	if len(name) > MaxNameLength {
		return Selection{}, fmt.Sprintf("longer than %d characters", MaxNameLength)
	}
	t, ok := selectionTypeOf(name)
	if !ok {
		return Selection{}, fmt.Sprintf("want one of the prefixes %v followed by '_'", SelectionTypes())
	}
	rest := name[len(t)+1:]
	const n = len(timeutil.LayoutServiceDate)
	if len(rest) < n+1 || rest[n] != '.' {
		return Selection{}, "want <type>_YYYY-MM-DD-hh-mm-ss.<ext>"
	}
	created, err := timeutil.ParseServiceDate(rest[:n])
	if err != nil {
		return Selection{}, err.Error()
	}
	ext := rest[n+1:]
	if r := checkExt(ext); r != "" {
		return Selection{}, r
	}
	return Selection{Type: t, Created: created, Ext: ext}, ""
}

// String formats the file name; for a parsed name it is the input exactly.
func (s Selection) String() string {
	return string(s.Type) + "_" + timeutil.FormatServiceDate(s.Created) + "." + s.Ext
}

// ArchiveKey returns selections/<type>/YYYY/MM/<name> (by creation time).
func (s Selection) ArchiveKey() string {
	t := s.Created.UTC()
	b := make([]byte, 0, 96)
	b = append(b, "selections/"...)
	b = append(b, s.Type...)
	b = append(b, '/')
	b = appendPad(b, t.Year(), 4)
	b = append(b, '/')
	b = appendPad(b, int(t.Month()), 2)
	b = append(b, '/')
	b = append(b, s.String()...)
	return string(b)
}

// Validate checks a constructed Selection: a known type, a creation time of
// whole seconds with a 4-digit year, and a lower-case extension.
func (s Selection) Validate() error {
	name := s.String()
	if y := s.Created.UTC().Year(); y < 0 || y > 9999 {
		return nameErr(KindSelection, name, "creation year %d does not fit 4 digits", y)
	}
	p, err := ParseSelection(name)
	if err != nil {
		return err
	}
	if p.Type != s.Type || p.Ext != s.Ext {
		return nameErr(KindSelection, name, "fields do not survive formatting")
	}
	if !p.Created.Equal(s.Created) {
		return nameErr(KindSelection, name, "creation time must be whole seconds")
	}
	return nil
}
