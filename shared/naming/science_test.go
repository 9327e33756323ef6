package naming

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// clientRegex is the listing regex of pySPEDAS / IDL SPEDAS (mms-sdc.md §2).
var clientRegex = regexp.MustCompile(`mms.*_([0-9]{8,14})_v(\d+).(\d+).(\d+).cdf`)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseScienceValid(t *testing.T) {
	tests := []struct {
		name string
		want Science
		key  string
	}{
		{
			"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
			Science{"mms1", "fgm", "srvy", "l2", "", day(2015, 10, 16), 8, Version{4, 18, 0}, "cdf"},
			"mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
		},
		{
			"mms1_fgm_brst_l2_20171124014003_v5.113.0.cdf",
			Science{"mms1", "fgm", "brst", "l2", "", time.Date(2017, 11, 24, 1, 40, 3, 0, time.UTC), 14, Version{5, 113, 0}, "cdf"},
			"mms1/fgm/brst/l2/2017/11/24/mms1_fgm_brst_l2_20171124014003_v5.113.0.cdf",
		},
		{
			// 14-digit tag but fast rate: no day folder (clients add DD only for brst).
			"mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf",
			Science{"mms1", "fpi", "fast", "l2", "dis-moms", day(2015, 10, 16), 14, Version{3, 3, 0}, "cdf"},
			"mms1/fpi/fast/l2/dis-moms/2015/10/mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf",
		},
		{
			"mms2_dsp_srvy_l1a_177_20150523_v0.3.0.cdf",
			Science{"mms2", "dsp", "srvy", "l1a", "177", day(2015, 5, 23), 8, Version{0, 3, 0}, "cdf"},
			"mms2/dsp/srvy/l1a/177/2015/05/mms2_dsp_srvy_l1a_177_20150523_v0.3.0.cdf",
		},
		{
			"mms3_epd-eis_brst_l2_extof_20151016121314_v3.0.100.cdf",
			Science{"mms3", "epd-eis", "brst", "l2", "extof", time.Date(2015, 10, 16, 12, 13, 14, 0, time.UTC), 14, Version{3, 0, 100}, "cdf"},
			"mms3/epd-eis/brst/l2/extof/2015/10/16/mms3_epd-eis_brst_l2_extof_20151016121314_v3.0.100.cdf",
		},
		{
			"mms4_fpi_brst_l2_des-dist_20160229235959_v3.3.0.cdf",
			Science{"mms4", "fpi", "brst", "l2", "des-dist", time.Date(2016, 2, 29, 23, 59, 59, 0, time.UTC), 14, Version{3, 3, 0}, "cdf"},
			"mms4/fpi/brst/l2/des-dist/2016/02/29/mms4_fpi_brst_l2_des-dist_20160229235959_v3.3.0.cdf",
		},
		{
			// Magpie's raw telemetry: level l0, .dat extension.
			"mms1_fields_fast_l0_20150523_v0.0.0.dat",
			Science{"mms1", "fields", "fast", "l0", "", day(2015, 5, 23), 8, Version{0, 0, 0}, "dat"},
			"mms1/fields/fast/l0/2015/05/mms1_fields_fast_l0_20150523_v0.0.0.dat",
		},
		{
			"mms1_fgm_srvy_ql_quicklook-24h_20151016_v1.0.0.png",
			Science{"mms1", "fgm", "srvy", "ql", "quicklook-24h", day(2015, 10, 16), 8, Version{1, 0, 0}, "png"},
			"mms1/fgm/srvy/ql/quicklook-24h/2015/10/mms1_fgm_srvy_ql_quicklook-24h_20151016_v1.0.0.png",
		},
		{
			"mms1_fgm_srvy_l2_20151016_v99999.99999.99999.cdf",
			Science{"mms1", "fgm", "srvy", "l2", "", day(2015, 10, 16), 8, Version{99999, 99999, 99999}, "cdf"},
			"mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151016_v99999.99999.99999.cdf",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseScience(tc.name)
			if err != nil {
				t.Fatalf("ParseScience: %v", err)
			}
			if got.Product() != tc.want.Product() || !got.Start.Equal(tc.want.Start) || got.TimeDigits != tc.want.TimeDigits ||
				got.Version != tc.want.Version || got.Ext != tc.want.Ext {
				t.Fatalf("ParseScience = %+v\nwant %+v", got, tc.want)
			}
			if s := got.String(); s != tc.name {
				t.Errorf("String() = %q, want %q", s, tc.name)
			}
			if s := tc.want.String(); s != tc.name {
				t.Errorf("constructed String() = %q, want %q", s, tc.name)
			}
			if k := got.ArchiveKey(); k != tc.key {
				t.Errorf("ArchiveKey() = %q, want %q", k, tc.key)
			}
			if err := tc.want.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if got.Kind() != KindScience {
				t.Errorf("Kind = %v", got.Kind())
			}
			if tc.want.Ext == "cdf" {
				checkClientRegex(t, got)
			}
		})
	}
}

// checkClientRegex asserts that the clients' listing regex finds the name
// and captures its time tag and version.
func checkClientRegex(t *testing.T, s Science) {
	t.Helper()
	m := clientRegex.FindStringSubmatch(s.String())
	if m == nil {
		t.Fatalf("client regex does not match %q", s.String())
	}
	v := s.Version
	if want := []string{s.TimeTag(), itoa(v.X), itoa(v.Y), itoa(v.Z)}; !slices.Equal(m[1:], want) {
		t.Fatalf("client regex captured %q from %q, want %q", m[1:], s.String(), want)
	}
}

func itoa(n int) string { return string(appendPad(nil, n, 1)) }

func TestParseScienceInvalid(t *testing.T) {
	tests := []struct {
		name   string
		reason string // substring of the error
	}{
		{"", "empty name"},
		{"MMS1_FGM_SRVY_L2_20151016_V4.18.0.CDF", "lower case"},
		{"mms1_fgm_srvy_L2_20151016_v4.18.0.cdf", "lower case"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.CDF", "lower case"},
		{"mms1_fgm_srvy_20151016_v4.18.0.cdf", "5 '_'-separated fields, need 6 or 7"},
		{"mms1_fpi_fast_l2_dis_moms_20151016_v3.3.0.cdf", "more than 7"},
		{"mms1_fgm_srvy_l2_20151016.cdf", "5 '_'-separated fields"},
		{"mms1_fgm_srvy_l2_20151016_4.18.0.cdf", "missing version"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.cdf", "must be v<X>.<Y>.<Z>.<ext>"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.1.cdf", "must be v<X>.<Y>.<Z>.<ext>"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0", "must be v<X>.<Y>.<Z>.<ext>"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.", "missing extension"},
		{"mms1_fgm_srvy_l2_20151016_v4..0.cdf", "empty version component"},
		{"mms1_fgm_srvy_l2_20151016_v04.18.0.cdf", "leading zero"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.100000.cdf", "exceeds 99999"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.99999999999999999999999.cdf", "exceeds 99999"},
		{"mms1_fgm_srvy_l2_20151016_v+4.18.0.cdf", "character '+'"},
		{"mms1_fgm_srvy_l2_20151016_v-4.18.0.cdf", "not a decimal number"},
		{"mms1_fgm_srvy_l2_20151016_vx.18.0.cdf", "not a decimal number"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.c-f", "extension \"c-f\""},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.abcdefghijklmnopq", "extension longer"},
		{"mms1_fgm_srvy_l2_20151316_v4.18.0.cdf", "month 13"},
		{"mms1_fgm_srvy_l2_20151000_v4.18.0.cdf", "day 0"},
		{"mms1_fgm_srvy_l2_20150229_v4.18.0.cdf", "day 29 out of range 1..28"},
		{"mms1_fgm_srvy_l2_20150431_v4.18.0.cdf", "day 31 out of range 1..30"},
		{"mms1_fgm_brst_l2_20151016240000_v4.18.0.cdf", "hour 24"},
		{"mms1_fgm_brst_l2_20151016236000_v4.18.0.cdf", "minute 60"},
		{"mms1_fgm_brst_l2_20151016235960_v4.18.0.cdf", "second 60"},
		{"mms1_fgm_srvy_l2_2015101_v4.18.0.cdf", "8 (YYYYMMDD) or 14"},
		{"mms1_fgm_srvy_l2_2015101600_v4.18.0.cdf", "8 (YYYYMMDD) or 14"},
		{"mms1_fgm_srvy_l2_2015101a_v4.18.0.cdf", "all digits"},
		{"mms1_-fgm_srvy_l2_20151016_v4.18.0.cdf", "leading, trailing or doubled '-'"},
		{"mms1_epd--eis_srvy_l2_20151016_v4.18.0.cdf", "doubled"},
		{"mms1_fpi_fast_l2_dis-_20151016_v3.3.0.cdf", "trailing"},
		{"mms-1_fgm_srvy_l2_20151016_v4.18.0.cdf", "spacecraft \"mms-1\""},
		{"mms1_fgm_sr-vy_l2_20151016_v4.18.0.cdf", "data rate"},
		{"mms1_fgm_srvy_l-2_20151016_v4.18.0.cdf", "level"},
		{"mms1__srvy_l2_20151016_v4.18.0.cdf", "empty instrument"},
		{"mms1_fgm_srvy_l2__20151016_v4.18.0.cdf", "empty descriptor"},
		{"mms1/fgm_srvy_l2_20151016_v4.18.0.cdf", "character '/'"},
		{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf ", "character ' '"},
		{"mms1_fgm_srvy_l2_" + strings.Repeat("x", 300) + "_20151016_v4.18.0.cdf", "longer than 255"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScience(tc.name)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Errorf("error %v does not wrap ErrInvalidName", err)
			}
			var ne *NameError
			if !errors.As(err, &ne) || ne.Kind != KindScience || ne.Name != tc.name {
				t.Errorf("error %#v is not a science NameError for the name", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not mention %q", err, tc.reason)
			}
		})
	}
}

func TestScienceValidate(t *testing.T) {
	good := Science{"mms1", "fgm", "srvy", "l2", "", day(2015, 10, 16), 8, Version{4, 18, 0}, "cdf"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	// Start in another zone is fine as long as the UTC instant fits the tag.
	zoned := good
	zoned.Start = good.Start.In(time.FixedZone("EST", -5*3600))
	if err := zoned.Validate(); err != nil || zoned.String() != good.String() {
		t.Errorf("zoned Start: %v, %q", err, zoned.String())
	}
	bad := map[string]func(*Science){
		"time digits 0":      func(s *Science) { s.TimeDigits = 0 },
		"time digits 12":     func(s *Science) { s.TimeDigits = 12 },
		"hour in daily tag":  func(s *Science) { s.Start = s.Start.Add(time.Hour) },
		"fraction in burst":  func(s *Science) { s.TimeDigits = 14; s.Start = s.Start.Add(time.Millisecond) },
		"underscore in sc":   func(s *Science) { s.SC = "mms_1" },
		"dot in descriptor":  func(s *Science) { s.Descriptor = "a.b" },
		"upper instrument":   func(s *Science) { s.Instrument = "FGM" },
		"negative version":   func(s *Science) { s.Version.Z = -1 },
		"huge version":       func(s *Science) { s.Version.X = 100000 },
		"empty ext":          func(s *Science) { s.Ext = "" },
		"year 10000":         func(s *Science) { s.Start = day(10000, 1, 1) },
		"empty level":        func(s *Science) { s.Level = "" },
		"hyphen edge in sc":  func(s *Science) { s.SC = "-mms1" },
		"descriptor w/ dash": func(s *Science) { s.Descriptor = "dis-" },
	}
	for name, mutate := range bad {
		s := good
		mutate(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %q", name, s.String())
		} else if !errors.Is(err, ErrInvalidName) {
			t.Errorf("%s: error %v does not wrap ErrInvalidName", name, err)
		}
	}
}

func TestProduct(t *testing.T) {
	s, err := ParseScience("mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf")
	if err != nil {
		t.Fatal(err)
	}
	p := s.Product()
	if p.String() != "mms1_fpi_fast_l2_dis-moms" || p.ArchivePrefix() != "mms1/fpi/fast/l2/dis-moms/" {
		t.Errorf("product = %q, prefix %q", p.String(), p.ArchivePrefix())
	}
	if !strings.HasPrefix(s.ArchiveKey(), p.ArchivePrefix()) {
		t.Errorf("archive key %q outside prefix %q", s.ArchiveKey(), p.ArchivePrefix())
	}
	// Usable as a map key: other versions and times of the product collide.
	other, _ := ParseScience("mms1_fpi_fast_l2_dis-moms_20151017020000_v3.4.0.cdf")
	m := map[Product]int{p: 1}
	m[other.Product()]++
	if len(m) != 1 || m[p] != 2 {
		t.Errorf("map by product = %v", m)
	}
	for _, in := range []string{"mms1_fpi_fast_l2_dis-moms", "mms1_fgm_srvy_l2"} {
		q, err := ParseProduct(in)
		if err != nil || q.String() != in {
			t.Errorf("ParseProduct(%q) = %+v, %v", in, q, err)
		}
	}
	for _, in := range []string{"mms1_fgm_srvy", "mms1_fgm_srvy_l2_a_b", "MMS1_fgm_srvy_l2", "mms1__srvy_l2"} {
		if _, err := ParseProduct(in); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseProduct(%q) error = %v", in, err)
		}
	}
}

func TestVersion(t *testing.T) {
	ordered := []string{"0.0.0", "0.0.1", "0.0.10", "0.3.0", "0.10.0", "1.0.0", "3.0.100", "3.3.0",
		"4.9.0", "4.9.10", "4.18.0", "5.113.0", "10.0.0", "99999.99999.99999"}
	var vs []Version
	for _, s := range ordered {
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatalf("ParseVersion(%q): %v", s, err)
		}
		if v.String() != s {
			t.Errorf("String() = %q, want %q", v.String(), s)
		}
		back, err := ParseSortableVersion(v.Sortable())
		if err != nil || back != v {
			t.Errorf("ParseSortableVersion(%q) = %v, %v", v.Sortable(), back, err)
		}
		vs = append(vs, v)
	}
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := vs[i].Compare(vs[j]); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", vs[i], vs[j], got, want)
			}
			if got := strings.Compare(vs[i].Sortable(), vs[j].Sortable()); got != want {
				t.Errorf("Sortable %q vs %q = %d, want %d", vs[i].Sortable(), vs[j].Sortable(), got, want)
			}
		}
	}
	if got := (Version{4, 18, 0}).Sortable(); got != "00004.00018.00000" {
		t.Errorf("Sortable = %q", got)
	}
	for _, bad := range []string{"", "4", "4.18", "4.18.0.1", "v4.18.0", "4.18.x", "4.-1.0", "+4.18.0",
		"04.18.0", "4.18.00", "4.18.100000", "4.18. 0", "4..0"} {
		if _, err := ParseVersion(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseVersion(%q) error = %v", bad, err)
		}
	}
	for _, bad := range []string{"", "4.18.0", "00004.00018.0000", "00004-00018-00000", "0000a.00018.00000"} {
		if _, err := ParseSortableVersion(bad); err == nil {
			t.Errorf("ParseSortableVersion(%q) accepted", bad)
		}
	}
}

func BenchmarkParseScience(b *testing.B) {
	names := []string{
		"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
		"mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf",
	}
	for _, name := range names {
		b.Run(strings.SplitN(name, "_", 3)[1]+"-"+itoa(len(name)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseScience(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkScienceString(b *testing.B) {
	s, _ := ParseScience("mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf")
	b.ReportAllocs()
	for b.Loop() {
		_ = s.String()
	}
}
