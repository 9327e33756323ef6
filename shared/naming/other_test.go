package naming

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAncillaryValid(t *testing.T) {
	tests := []struct {
		name       string
		sc, scid   string
		prod, code string
		start, end time.Time
		version    int
		key        string
	}{
		{"MMS1_DEFEPH_2015144_2015145.V00", "MMS1", "mms1", "DEFEPH", "defeph", day(2015, 5, 24), day(2015, 5, 25), 0,
			"ancillary/mms1/defeph/2015/MMS1_DEFEPH_2015144_2015145.V00"},
		{"MMS_DEFQ_2015144_2015145.V01", "MMS", "mms", "DEFQ", "defq", day(2015, 5, 24), day(2015, 5, 25), 1,
			"ancillary/mms/defq/2015/MMS_DEFQ_2015144_2015145.V01"},
		{"MMS2_PREDATT_2016366_2017001.V12", "MMS2", "mms2", "PREDATT", "predatt", day(2016, 12, 31), day(2017, 1, 1), 12,
			"ancillary/mms2/predatt/2016/MMS2_PREDATT_2016366_2017001.V12"},
		{"MMS4_DEFATT_2015001_2015001.V100", "MMS4", "mms4", "DEFATT", "defatt", day(2015, 1, 1), day(2015, 1, 1), 100,
			"ancillary/mms4/defatt/2015/MMS4_DEFATT_2015001_2015001.V100"},
		{"MMS3_DEFERR_2015365_2016001.V99", "MMS3", "mms3", "DEFERR", "deferr", day(2015, 12, 31), day(2016, 1, 1), 99,
			"ancillary/mms3/deferr/2015/MMS3_DEFERR_2015365_2016001.V99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAncillary(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if a.SC != tc.sc || a.SCID() != tc.scid || a.Product != tc.prod || a.ProductCode() != tc.code ||
				!a.Start.Equal(tc.start) || !a.End.Equal(tc.end) || a.Version != tc.version {
				t.Fatalf("ParseAncillary = %+v", a)
			}
			if a.String() != tc.name {
				t.Errorf("String() = %q", a.String())
			}
			if a.ArchiveKey() != tc.key {
				t.Errorf("ArchiveKey() = %q, want %q", a.ArchiveKey(), tc.key)
			}
			if err := a.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			n, err := Parse(tc.name)
			if err != nil || n.Kind() != KindAncillary || n.String() != tc.name || n.ArchiveKey() != tc.key {
				t.Errorf("Parse = %v, %v", n, err)
			}
		})
	}
}

func TestParseAncillaryInvalid(t *testing.T) {
	tests := []struct{ name, reason string }{
		{"", "empty name"},
		{"mms1_defeph_2015144_2015145.v00", "upper case"},
		{"MMS1_DefEph_2015144_2015145.V00", "upper case"},
		{"MMS1_DEFEPH_2015144_2015145", "missing .V<nn>"},
		{"MMS1_DEFEPH_2015144_2015145.00", "missing .V<nn>"},
		{"MMS1_DEFEPH_2015144_2015145.V0", "at least two digits"},
		{"MMS1_DEFEPH_2015144_2015145.V", "at least two digits"},
		{"MMS1_DEFEPH_2015144_2015145.V001", "leading zero"},
		{"MMS1_DEFEPH_2015144_2015145.V1000", "exceeds 999"},
		{"MMS1_DEFEPH_2015144_2015145.VXX", "at least two digits"},
		{"MMS1_DEFEPH_2015144_2015145.V00.GZ", "missing .V<nn>"},
		{"MMS1_DEFEPH_2015144.V00", "3 '_'-separated fields, need 4"},
		{"MMS1_DEF_EPH_2015144_2015145.V00", "5 '_'-separated fields, need 4"},
		{"_DEFEPH_2015144_2015145.V00", "empty spacecraft or product"},
		{"MMS1__2015144_2015145.V00", "empty spacecraft or product"},
		{"MMS1_DEFEPH_2015000_2015145.V00", "day of year 0 out of range 1..365"},
		{"MMS1_DEFEPH_2015366_2015366.V00", "day of year 366 out of range 1..365"},
		{"MMS1_DEFEPH_2016144_2016367.V00", "day of year 367 out of range 1..366"},
		{"MMS1_DEFEPH_2015145_2015144.V00", "end date 2015144 is before start date 2015145"},
		{"MMS1_DEFEPH_20151_2015144.V00", "7 digits"},
		{"MMS1_DEFEPH_2015A44_2015144.V00", "7 digits"},
		{"MMS1-X_DEFEPH_2015144_2015145.V00", "character '-'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAncillary(tc.name)
			if err == nil {
				t.Fatal("accepted")
			}
			var ne *NameError
			if !errors.As(err, &ne) || ne.Kind != KindAncillary || !errors.Is(err, ErrInvalidName) {
				t.Errorf("error %#v is not an ancillary NameError", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not mention %q", err, tc.reason)
			}
		})
	}
	bad := Ancillary{SC: "MMS1", Product: "DEFEPH", Start: day(2015, 5, 24).Add(time.Hour), End: day(2015, 5, 25)}
	if err := bad.Validate(); err == nil {
		t.Error("Validate accepted a start that is not midnight")
	}
	bad = Ancillary{SC: "MMS1", Product: "DEF_EPH", Start: day(2015, 5, 24), End: day(2015, 5, 25)}
	if err := bad.Validate(); err == nil {
		t.Error("Validate accepted a product with '_'")
	}
	bad = Ancillary{SC: "MMS1", Product: "DEFEPH", Start: day(2015, 5, 24), End: day(2015, 5, 25), Version: 1000}
	if err := bad.Validate(); err == nil {
		t.Error("Validate accepted version 1000")
	}
}

func TestParseSelection(t *testing.T) {
	tests := []struct {
		name    string
		typ     SelectionType
		created time.Time
		ext     string
		key     string
	}{
		{"abs_selections_2015-10-16-08-30-53.sav", ABSSelections, time.Date(2015, 10, 16, 8, 30, 53, 0, time.UTC), "sav",
			"selections/abs_selections/2015/10/abs_selections_2015-10-16-08-30-53.sav"},
		{"sitl_selections_2016-01-02-03-04-05.sav", SITLSelections, time.Date(2016, 1, 2, 3, 4, 5, 0, time.UTC), "sav",
			"selections/sitl_selections/2016/01/sitl_selections_2016-01-02-03-04-05.sav"},
		{"bdm_sitl_changes_2017-12-31-23-59-59.csv", BDMSITLChanges, time.Date(2017, 12, 31, 23, 59, 59, 0, time.UTC), "csv",
			"selections/bdm_sitl_changes/2017/12/bdm_sitl_changes_2017-12-31-23-59-59.csv"},
		{"gls_selections_mp-dl-unh_2019-02-03-00-00-00.csv", GLSSelections, time.Date(2019, 2, 3, 0, 0, 0, 0, time.UTC), "csv",
			"selections/gls_selections_mp-dl-unh/2019/02/gls_selections_mp-dl-unh_2019-02-03-00-00-00.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSelection(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Type != tc.typ || !s.Created.Equal(tc.created) || s.Ext != tc.ext {
				t.Fatalf("ParseSelection = %+v", s)
			}
			if s.String() != tc.name || s.ArchiveKey() != tc.key {
				t.Errorf("String() = %q, ArchiveKey() = %q", s.String(), s.ArchiveKey())
			}
			if err := s.Validate(); err != nil {
				t.Error(err)
			}
			n, err := Parse(tc.name)
			if err != nil || n.Kind() != KindSelection || n.String() != tc.name {
				t.Errorf("Parse = %v, %v", n, err)
			}
		})
	}
	invalid := []struct{ name, reason string }{
		{"abs_selections_2015-10-16-08-30-53", "want <type>_YYYY-MM-DD-hh-mm-ss.<ext>"},
		{"abs_selections_2015-10-16-08-30-53.", "missing extension"},
		{"abs_selections_2015-10-16-08-30.sav", "want <type>_YYYY-MM-DD-hh-mm-ss.<ext>"},
		{"abs_selections_2015-13-16-08-30-53.sav", "month 13"},
		{"abs_selections_2015-10-16-08-30-53.SAV", "extension \"SAV\""},
		{"abs_selections_2015-10-16T08-30-53.sav", "want '-'"},
		{"sitl_selections_2015-10-16-08-30-60.sav", "not a leap second"},
		{"fom_validation_2015-10-16-08-30-53.sav", "want one of the prefixes"},
	}
	for _, tc := range invalid {
		_, err := ParseSelection(tc.name)
		if err == nil || !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("ParseSelection(%q) error = %v, want mention of %q", tc.name, err, tc.reason)
		}
	}
	if err := (Selection{Type: "foo_selections", Created: day(2015, 1, 1), Ext: "csv"}).Validate(); err == nil {
		t.Error("Validate accepted an unknown type")
	}
	if err := (Selection{Type: ABSSelections, Created: day(2015, 1, 1).Add(time.Millisecond), Ext: "csv"}).Validate(); err == nil {
		t.Error("Validate accepted a fractional creation time")
	}
}

func TestParseDetectsKind(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		ok   bool
	}{
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", KindScience, true},
		{"mms2_dsp_srvy_l1a_177_20150523_v0.3.0.cdf", KindScience, true},
		{"MMS1_DEFEPH_2015144_2015145.V00", KindAncillary, true},
		{"MMS_DEFQ_2015144_2015145.V01", KindAncillary, true},
		{"abs_selections_2015-10-16-08-30-53.sav", KindSelection, true},
		{"gls_selections_mp-dl-unh_2019-02-03-00-00-00.csv", KindSelection, true},
		// Failures are reported against the scheme the name resembles.
		{"mms1_defeph_2015144_2015145.v00", KindAncillary, false},
		{"MMS1_FGM_SRVY_L2_20151016_V4.18.0.CDF", KindScience, false},
		{"abs_selections_yesterday.sav", KindSelection, false},
		{"README.txt", KindScience, false},
		{"", KindScience, false},
	}
	for _, tc := range tests {
		n, err := Parse(tc.name)
		if tc.ok {
			if err != nil || n.Kind() != tc.kind || n.String() != tc.name {
				t.Errorf("Parse(%q) = %v, %v; want kind %v", tc.name, n, err, tc.kind)
			}
			continue
		}
		var ne *NameError
		if err == nil || !errors.As(err, &ne) || ne.Kind != tc.kind {
			t.Errorf("Parse(%q) error = %v; want a %v NameError", tc.name, err, tc.kind)
		}
	}
	if KindScience.String() != "science" || Kind(9).String() != "Kind(9)" {
		t.Error("Kind.String")
	}
}
