package naming

import (
	"strings"
	"testing"
)

var seedNames = []string{
	"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
	"mms1_fgm_brst_l2_20171124014003_v5.113.0.cdf",
	"mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf",
	"mms2_dsp_srvy_l1a_177_20150523_v0.3.0.cdf",
	"mms3_epd-eis_brst_l2_extof_20151016121314_v3.0.100.cdf",
	"mms1_fields_fast_l0_20150523_v0.0.0.dat",
	"MMS1_DEFEPH_2015144_2015145.V00",
	"MMS_DEFQ_2015144_2015145.V01",
	"abs_selections_2015-10-16-08-30-53.sav",
	"gls_selections_mp-dl-unh_2019-02-03-00-00-00.csv",
	"mms1_fgm_srvy_l2_20151316_v4.18.0.cdf",
	"mms1_fgm_srvy_l2_20151016_v04.18.0.cdf",
	"MMS1_DEFEPH_2016366_2016001.V00",
}

func addSeeds(f *testing.F) {
	for _, s := range seedNames {
		f.Add(s)
	}
}

func FuzzParseScience(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseScience(in)
		if err != nil {
			if s != (Science{}) {
				t.Fatalf("error %v with non-zero value %+v", err, s)
			}
			return
		}
		out := s.String()
		if out != in {
			t.Fatalf("round trip %q -> %q", in, out)
		}
		again, err := ParseScience(out)
		if err != nil || again != s {
			t.Fatalf("re-parse %q = %+v, %v; want %+v", out, again, err, s)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Validate(%q): %v", in, err)
		}
		if !strings.HasSuffix(s.ArchiveKey(), "/"+in) || !strings.HasPrefix(s.ArchiveKey(), s.Product().ArchivePrefix()) {
			t.Fatalf("ArchiveKey %q for %q", s.ArchiveKey(), in)
		}
		if strings.Compare(s.Version.Sortable(), (Version{}).Sortable()) != s.Version.Compare(Version{}) {
			t.Fatalf("sortable order disagrees for %v", s.Version)
		}
		if strings.HasPrefix(s.SC, "mms") && s.Ext == "cdf" {
			checkClientRegex(t, s)
		}
	})
}

func FuzzParseAncillary(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseAncillary(in)
		if err != nil {
			return
		}
		if out := a.String(); out != in {
			t.Fatalf("round trip %q -> %q", in, out)
		}
		again, err := ParseAncillary(in)
		if err != nil || again != a {
			t.Fatalf("re-parse %q = %+v, %v", in, again, err)
		}
		if a.End.Before(a.Start) {
			t.Fatalf("end before start in %q", in)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Validate(%q): %v", in, err)
		}
		if !strings.HasSuffix(a.ArchiveKey(), "/"+in) {
			t.Fatalf("ArchiveKey %q for %q", a.ArchiveKey(), in)
		}
	})
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Parse(in)
		if err != nil {
			if n != nil {
				t.Fatalf("error %v with non-nil name %v", err, n)
			}
			return
		}
		if n.String() != in {
			t.Fatalf("round trip %q -> %q", in, n.String())
		}
		again, err := Parse(n.String())
		if err != nil || again.Kind() != n.Kind() || again.ArchiveKey() != n.ArchiveKey() {
			t.Fatalf("re-parse %q = %v, %v", in, again, err)
		}
		if !strings.HasSuffix(n.ArchiveKey(), "/"+in) {
			t.Fatalf("ArchiveKey %q for %q", n.ArchiveKey(), in)
		}
	})
}
