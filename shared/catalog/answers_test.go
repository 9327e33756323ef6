package catalog

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Every field of Filter changes the cache key: a field added later without
// a place in answerKey would let two different queries share an answer.
func TestAnswerKeyCoversFilter(t *testing.T) {
	base := answerKey("pk", Filter{})
	seen := map[string]string{base: "zero"}
	ft := reflect.TypeOf(Filter{})
	for i := range ft.NumField() {
		var f Filter
		v := reflect.ValueOf(&f).Elem().Field(i)
		switch v.Interface().(type) {
		case string:
			v.SetString("x")
		case []string:
			v.Set(reflect.ValueOf([]string{"x"}))
		case bool:
			v.SetBool(true)
		case time.Time:
			v.Set(reflect.ValueOf(time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)))
		default:
			t.Fatalf("Filter.%s: type %s unknown to this test and maybe to answerKey", ft.Field(i).Name, v.Type())
		}
		k := answerKey("pk", f)
		if other, dup := seen[k]; dup {
			t.Errorf("Filter.%s gives the same key as %s", ft.Field(i).Name, other)
		}
		seen[k] = ft.Field(i).Name
	}
	// Lists are delimited: ["a,b"] is not ["a","b"], nor is it split across fields.
	if answerKey("pk", Filter{SC: []string{"a", "b"}}) == answerKey("pk", Filter{SC: []string{"a"}, Instrument: []string{"b"}}) {
		t.Error("list boundaries are not in the key")
	}
	if answerKey("p", Filter{}) == answerKey("q", Filter{}) {
		t.Error("partition not in the key")
	}
}

// The cached answers follow every write at once: releasing a file, a new
// version, a write to the table that bypasses Catalog; and callers that
// change the slice they get do not change the next answer.
func TestQueryAnswersFollowWrites(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	for _, n := range []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"} {
		add(t, c, n, t0)
	}
	public := Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l2"},
		From: day("2015-10-16"), To: day("2015-10-17"), ReleasedOnly: true}
	team := public
	team.ReleasedOnly = false
	query := func(f Filter) []string {
		t.Helper()
		recs, err := c.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got := names(recs)
		if len(recs) > 0 {
			recs[0].Name = "scribbled" // a caller changing its copy
			_ = append(recs[:1], Record{Name: "appended"})
		}
		return got
	}
	steps := []struct {
		name        string
		write       func() error
		public, all []string
	}{
		{"nothing released", nil, nil,
			[]string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"}},
		{"release one", func() error {
			_, err := c.Update(ctx, "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", func(r *Record) error { r.Released = true; return nil })
			return err
		}, []string{"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"},
			[]string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"}},
		{"new version", func() error {
			add(t, c, "mms1_fgm_srvy_l2_20151016_v4.19.0.cdf", t0.Add(time.Hour))
			return nil
		}, []string{"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"},
			[]string{"mms1_fgm_srvy_l2_20151016_v4.19.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"}},
		{"unrelease behind Catalog's back", func() error {
			r, err := c.Get(ctx, "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf")
			if err != nil {
				return err
			}
			r.Released = false
			return c.db.Put(ctx, TableName, toItem(r), store.Cond{})
		}, nil,
			[]string{"mms1_fgm_srvy_l2_20151016_v4.19.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"}},
	}
	for _, s := range steps {
		if s.write != nil {
			if err := s.write(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		for range 2 { // the second time from the cache
			if got := query(public); !equal(got, s.public) {
				t.Errorf("%s: public sees %v, want %v", s.name, got, s.public)
			}
			if got := query(team); !equal(got, s.all) {
				t.Errorf("%s: team sees %v, want %v", s.name, got, s.all)
			}
		}
	}
}

// An answer read at an older generation never replaces newer ones, and a
// newer one retires them.
func TestAnswerCacheGenerations(t *testing.T) {
	var a answerCache
	a.put("k", 5, []Record{{Name: "at5"}})
	if got, ok := a.get("k", 5); !ok || got[0].Name != "at5" {
		t.Fatalf("get at 5: %v %v", got, ok)
	}
	if _, ok := a.get("k", 6); ok {
		t.Fatal("answer of generation 5 served at 6")
	}
	a.put("k", 4, []Record{{Name: "at4"}})
	if got, ok := a.get("k", 5); !ok || got[0].Name != "at5" {
		t.Fatalf("older answer replaced a newer one: %v %v", got, ok)
	}
	a.put("j", 7, []Record{{Name: "at7"}})
	if _, ok := a.get("k", 5); ok {
		t.Fatal("generation 5 entry kept after generation 7 arrived")
	}
}

// The cache never holds more than maxHeldRecords records.
func TestAnswerCacheBounded(t *testing.T) {
	var a answerCache
	a.put("huge", 1, make([]Record, maxHeldRecords+1))
	if _, ok := a.get("huge", 1); ok {
		t.Fatal("an answer larger than the bound was kept")
	}
	for i := range 10 {
		a.put(string(rune('a'+i)), 1, make([]Record, maxHeldRecords/4))
		if a.held > maxHeldRecords {
			t.Fatalf("after %d puts: %d records held", i+1, a.held)
		}
	}
	a.put("a", 1, make([]Record, 3))
	a.put("a", 1, make([]Record, 2))
	if got, ok := a.get("a", 1); !ok || len(got) != 2 {
		t.Fatalf("replaced entry: %d records, %v", len(got), ok)
	}
}
