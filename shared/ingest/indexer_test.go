package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

type recorder struct {
	mu   sync.Mutex
	evs  []events.Event
	fail error
}

func (r *recorder) Publish(_ context.Context, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.evs = append(r.evs, e)
	return nil
}

func (r *recorder) count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// failingDelete makes the dropbox removal fail, as a crash between archive
// write and dropbox removal would leave things.
type failingDelete struct {
	store.ObjectStore
	fail bool
}

func (f *failingDelete) Delete(ctx context.Context, key string) error {
	if f.fail {
		return errors.New("simulated crash before removing the dropbox copy")
	}
	return f.ObjectStore.Delete(ctx, key)
}

type fixture struct {
	ix      *Indexer
	dropbox *failingDelete
	archive *local.ObjectStore
	cat     *catalog.Catalog
	events  *recorder
	dir     string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	p, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	drop, err := local.NewObjectStore(filepath.Join(dir, "dropbox"))
	if err != nil {
		t.Fatal(err)
	}
	arch, err := local.NewObjectStore(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := local.OpenTableStore(filepath.Join(dir, "magpie.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat := catalog.New(db)
	if err := cat.EnsureTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{dropbox: &failingDelete{ObjectStore: drop}, archive: arch, cat: cat, events: &recorder{}, dir: dir}
	f.ix = &Indexer{Profile: p, Dropbox: f.dropbox, Archive: arch, Catalog: cat, Events: f.events,
		Clock: clock.NewFake(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f
}

func (f *fixture) drop(t *testing.T, key string, body []byte, meta map[string]string) {
	t.Helper()
	if _, err := f.dropbox.Put(context.Background(), key, bytes.NewReader(body), store.PutOptions{Metadata: meta}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) index(t *testing.T, key string) Outcome {
	t.Helper()
	out, err := f.ix.Index(context.Background(), key)
	if err != nil {
		t.Fatalf("index %s: %v", key, err)
	}
	return out
}

func (f *fixture) exists(t *testing.T, s store.ObjectStore, key string) bool {
	t.Helper()
	_, err := s.Head(context.Background(), key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func cdfBytes(payload string) []byte {
	return append([]byte{0xCD, 0xF3, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF}, payload...)
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

const l2name = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"

func TestIndexArchivesCatalogsAnnouncesThenRemoves(t *testing.T) {
	f := newFixture(t)
	body := cdfBytes("field data")
	f.drop(t, "incoming/"+l2name, body, nil)
	out := f.index(t, "incoming/"+l2name)
	if out.Result != ResultIndexed || out.Record == nil {
		t.Fatalf("outcome %+v", out)
	}
	const akey = "mms1/fgm/srvy/l2/2015/10/" + l2name
	if out.Record.ArchiveKey != akey || !f.exists(t, f.archive, akey) {
		t.Fatalf("archive copy missing at %s", akey)
	}
	rec, err := f.cat.Get(context.Background(), l2name)
	if err != nil || rec.SHA256 != sum(body) || rec.Size != int64(len(body)) || rec.Level != "l2" {
		t.Fatalf("catalog record %+v %v", rec, err)
	}
	if f.exists(t, f.dropbox, "incoming/"+l2name) {
		t.Error("dropbox copy not removed")
	}
	if f.events.count(events.FileIndexed) != 1 {
		t.Errorf("FileIndexed published %d times", f.events.count(events.FileIndexed))
	}
	var detail catalog.Record
	if err := json.Unmarshal(f.events.evs[0].Detail, &detail); err != nil || detail.Name != l2name {
		t.Errorf("event detail %s", f.events.evs[0].Detail)
	}
}

func TestDuplicateEventsAndIdenticalRedropsAreNoOps(t *testing.T) {
	f := newFixture(t)
	body := cdfBytes("x")
	f.drop(t, l2name, body, nil)
	f.index(t, l2name)
	// The same event delivered again: the object is gone, nothing happens.
	out := f.index(t, l2name)
	if out.Result != ResultDuplicate {
		t.Fatalf("second delivery: %+v", out)
	}
	if n := f.events.count(events.FileIndexed); n != 1 {
		t.Fatalf("duplicate delivery republished: %d events", n)
	}
	// The identical file dropped again: removed from the dropbox, nothing new.
	f.drop(t, l2name, body, nil)
	out = f.index(t, l2name)
	if out.Result != ResultDuplicate || f.exists(t, f.dropbox, l2name) {
		t.Fatalf("re-drop: %+v", out)
	}
	recs, _ := f.cat.Query(context.Background(), catalog.Filter{Instrument: []string{"fgm"}, AllVersions: true})
	if len(recs) != 1 {
		t.Fatalf("catalog holds %d records", len(recs))
	}
}

func TestCrashBetweenArchiveAndDropboxRemovalRecovers(t *testing.T) {
	f := newFixture(t)
	body := cdfBytes("recover me")
	f.drop(t, l2name, body, nil)
	f.dropbox.fail = true
	if _, err := f.ix.Index(context.Background(), l2name); err == nil {
		t.Fatal("expected the simulated crash to surface as an error")
	}
	if !f.exists(t, f.dropbox, l2name) {
		t.Fatal("dropbox copy lost")
	}
	f.dropbox.fail = false
	out := f.index(t, l2name)
	if out.Result != ResultDuplicate || f.exists(t, f.dropbox, l2name) {
		t.Fatalf("re-run: %+v", out)
	}
	// Announced again on recovery: the crashed run may not have reached
	// its consumers.
	if n := f.events.count(events.FileIndexed); n != 2 {
		t.Errorf("FileIndexed %d times", n)
	}
	objs := 0
	store.ListAll(context.Background(), f.archive, "", func(store.ObjectInfo) error { objs++; return nil })
	if objs != 1 {
		t.Errorf("archive holds %d objects", objs)
	}
}

func TestCrashAfterArchiveBeforeCatalogRecovers(t *testing.T) {
	f := newFixture(t)
	body := cdfBytes("half done")
	f.drop(t, l2name, body, nil)
	// A previous run archived the file and died before the catalog write.
	akey := "mms1/fgm/srvy/l2/2015/10/" + l2name
	if _, err := f.archive.Put(context.Background(), akey, bytes.NewReader(body), store.PutOptions{CreateOnly: true}); err != nil {
		t.Fatal(err)
	}
	out := f.index(t, l2name)
	if out.Result != ResultIndexed || out.Record.SHA256 != sum(body) {
		t.Fatalf("%+v", out)
	}
	// Publishing fails: the dropbox copy must stay for the retry.
	f2 := newFixture(t)
	f2.drop(t, l2name, body, nil)
	f2.events.fail = errors.New("bus down")
	if _, err := f2.ix.Index(context.Background(), l2name); err == nil || !f2.exists(t, f2.dropbox, l2name) {
		t.Fatalf("publish failure: err %v, dropbox copy kept %v", err, f2.exists(t, f2.dropbox, l2name))
	}
	f2.events.fail = nil
	if out := f2.index(t, l2name); out.Result != ResultDuplicate || f2.events.count(events.FileIndexed) != 1 {
		t.Fatalf("retry after publish failure: %+v", out)
	}
}

func readReason(t *testing.T, f *fixture, qkey string) QuarantineReason {
	t.Helper()
	rc, _, err := f.dropbox.Get(context.Background(), qkey+ReasonSuffix, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var r QuarantineReason
	if err := json.NewDecoder(rc).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQuarantineReasons(t *testing.T) {
	cases := []struct {
		name, key string
		body      []byte
		meta      map[string]string
		code      string
		reason    string
	}{
		{"bad name", "MMS1_FGM_SRVY_L2_20151016_v4.18.0.cdf", cdfBytes("x"), nil, CodeInvalidName, ""},
		{"bad month", "mms1_fgm_srvy_l2_20151316_v4.18.0.cdf", cdfBytes("x"), nil, CodeInvalidName, "month"},
		{"unknown spacecraft", "mms9_fgm_srvy_l2_20151016_v4.18.0.cdf", cdfBytes("x"), nil, CodeUnknownProduct, "spacecraft"},
		{"unknown descriptor", "mms1_fpi_fast_l2_xyz-moms_20151016000000_v3.3.0.cdf", cdfBytes("x"), nil, CodeUnknownProduct, "descriptor"},
		{"empty", l2name, nil, nil, CodeEmpty, "empty"},
		{"not a cdf", l2name, []byte("<html>oops</html>"), nil, CodeBadContent, "magic"},
		{"not telemetry", "mms1_fgm_srvy_l0_20151016_v1.0.0.dat", []byte{0xFF, 1, 2, 3, 4, 5, 6}, nil, CodeBadContent, "CCSDS"},
		{"binary ancillary", "MMS1_DEFEPH_2015289_2015290.V00", []byte("a\x00b"), nil, CodeBadContent, "NUL"},
		{"checksum", l2name, cdfBytes("x"), map[string]string{MetaSHA256: strings.Repeat("0", 64)}, CodeChecksum, "SHA-256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.drop(t, tc.key, tc.body, tc.meta)
			out := f.index(t, tc.key)
			if out.Result != ResultQuarantined || out.Code != tc.code || !strings.Contains(out.Reason, tc.reason) {
				t.Fatalf("outcome %+v, want code %s reason ~%q", out, tc.code, tc.reason)
			}
			if f.exists(t, f.dropbox, tc.key) || !f.exists(t, f.dropbox, out.QuarantineKey) {
				t.Fatal("file not moved to quarantine")
			}
			r := readReason(t, f, out.QuarantineKey)
			if r.Code != tc.code || r.Reason != out.Reason || r.FileName != tc.key || r.SHA256 != sum(tc.body) {
				t.Fatalf("reason doc %+v", r)
			}
			if _, err := f.cat.Get(context.Background(), tc.key); !errors.Is(err, store.ErrNotFound) {
				t.Fatal("quarantined file was cataloged")
			}
			// Quarantined content is kept byte for byte.
			rc, _, _ := f.dropbox.Get(context.Background(), out.QuarantineKey, nil)
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, tc.body) {
				t.Fatal("quarantined bytes differ")
			}
		})
	}
}

func TestDifferentFileUnderExistingNameIsRejected(t *testing.T) {
	f := newFixture(t)
	f.drop(t, l2name, cdfBytes("original"), nil)
	f.index(t, l2name)
	f.drop(t, l2name, cdfBytes("tampered"), nil)
	out := f.index(t, l2name)
	if out.Result != ResultQuarantined || out.Code != CodeConflict {
		t.Fatalf("%+v", out)
	}
	rec, _ := f.cat.Get(context.Background(), l2name)
	if rec.SHA256 != sum(cdfBytes("original")) {
		t.Fatal("catalog record changed")
	}
	rc, _, _ := f.archive.Get(context.Background(), rec.ArchiveKey, nil)
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, cdfBytes("original")) {
		t.Fatal("archive copy changed")
	}
	// The same bad file quarantined twice lands on one key (idempotent).
	f.drop(t, l2name, cdfBytes("tampered"), nil)
	out2 := f.index(t, l2name)
	if out2.QuarantineKey != out.QuarantineKey {
		t.Fatalf("quarantine keys differ: %s vs %s", out.QuarantineKey, out2.QuarantineKey)
	}
}

func TestSkipsTempAndQuarantineKeys(t *testing.T) {
	f := newFixture(t)
	for _, k := range []string{"quarantine/abc_x.cdf", ".mms1_fgm_srvy_l2_20151016_v4.18.0.cdf.tmp", "dir/.partial"} {
		if out := f.index(t, k); out.Result != ResultSkipped {
			t.Errorf("%s: %+v", k, out)
		}
	}
	if out := f.index(t, "never-existed.cdf"); out.Result != ResultGone {
		t.Errorf("missing key: %+v", out)
	}
}

func TestHandlerAcceptsEveryDeliveryShape(t *testing.T) {
	load := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	l0 := append([]byte{0x0C, 0x4C, 0xC0, 0x00, 0x00, 0x10}, make([]byte, 30)...)
	for _, tc := range []struct {
		event   string
		want    int // indexed outcomes
		failIDs int // SQS batch item failures
	}{
		{"s3-put.json", 1, 0},
		{"eventbridge-s3.json", 1, 0},
		{"sqs-s3.json", 1, 0},
		{"sqs-sns-s3.json", 1, 0},
	} {
		t.Run(tc.event, func(t *testing.T) {
			f := newFixture(t)
			f.drop(t, "mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0, nil)
			h := &Handler{Indexer: f.ix, Bucket: "magpie-dropbox"}
			resp, err := h.Handle(context.Background(), load(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, o := range resp.Outcomes {
				if o.Result == ResultIndexed {
					n++
				}
			}
			if n != tc.want || len(resp.BatchItemFailures) != tc.failIDs {
				t.Fatalf("indexed %d, failures %v: %+v", n, resp.BatchItemFailures, resp.Outcomes)
			}
		})
	}
	t.Run("s3-batch.json url-encoded keys and removals", func(t *testing.T) {
		f := newFixture(t)
		f.drop(t, "MMS1_DEFEPH_2015289_2015290.V00", []byte("DEFEPH text\n"), nil)
		f.drop(t, "incoming/team fpi/mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf", cdfBytes("fpi"), nil)
		h := &Handler{Indexer: f.ix, Bucket: "magpie-dropbox"}
		resp, err := h.Handle(context.Background(), load("s3-batch.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Outcomes) != 2 || resp.Outcomes[0].Result != ResultIndexed || resp.Outcomes[1].Result != ResultIndexed {
			t.Fatalf("%+v", resp.Outcomes)
		}
	})
	t.Run("transient failure marks only that SQS message", func(t *testing.T) {
		f := newFixture(t)
		f.drop(t, "mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0, nil)
		f.dropbox.fail = true
		h := &Handler{Indexer: f.ix, Bucket: "magpie-dropbox"}
		resp, err := h.Handle(context.Background(), load("sqs-s3.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "2e1424d4-f796-459a-8184-9c92662be6da" {
			t.Fatalf("failures %+v", resp.BatchItemFailures)
		}
	})
	t.Run("other bucket ignored, garbage rejected", func(t *testing.T) {
		f := newFixture(t)
		h := &Handler{Indexer: f.ix, Bucket: "another-bucket"}
		resp, err := h.Handle(context.Background(), load("s3-put.json"))
		if err != nil || resp.Outcomes[0].Result != ResultSkipped {
			t.Fatalf("%+v %v", resp, err)
		}
		if _, err := h.Handle(context.Background(), []byte(`{"hello":1}`)); err == nil {
			t.Fatal("unknown event shape accepted")
		}
		if _, err := h.Handle(context.Background(), []byte(`not json`)); err == nil {
			t.Fatal("non-JSON accepted")
		}
	})
}

// vanishing lets a concurrent handler finish the file between the indexer's
// Head and its read, the race of a watcher and a direct ingest.
type vanishing struct {
	store.ObjectStore
	f *fixture
}

func (v *vanishing) Get(ctx context.Context, key string, rng *store.Range) (io.ReadCloser, store.ObjectInfo, error) {
	v.f.dropbox.fail = false
	other := &Indexer{Profile: v.f.ix.Profile, Dropbox: v.f.dropbox, Archive: v.f.archive, Catalog: v.f.cat,
		Events: v.f.events, Clock: v.f.ix.Clock, Log: v.f.ix.Log}
	if _, err := other.Index(ctx, key); err != nil {
		return nil, store.ObjectInfo{}, err
	}
	return v.ObjectStore.Get(ctx, key, rng)
}

func TestConcurrentHandlerFinishingFirstIsNotAFailure(t *testing.T) {
	f := newFixture(t)
	f.drop(t, l2name, cdfBytes("raced"), nil)
	ix := *f.ix
	ix.Dropbox = &vanishing{ObjectStore: f.dropbox, f: f}
	out, err := ix.Index(context.Background(), l2name)
	if err != nil || out.Result != ResultDuplicate {
		t.Fatalf("outcome %+v, err %v", out, err)
	}
	if n := f.events.count(events.FileIndexed); n != 1 {
		t.Fatalf("FileIndexed %d times", n)
	}
}

// TestArchiveObjectsAreTaggedForLifecycle: the archive's lifecycle rules
// select by object tags, so every archived file must carry its level (or,
// without one, its kind).
func TestArchiveObjectsAreTaggedForLifecycle(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want map[string]string
	}{
		{l2name, cdfBytes("field data"), map[string]string{TagLevel: "l2"}},
		{"mms2_fpi_fast_l1b_des-dist_20151016_v1.0.0.cdf", cdfBytes("counts"), map[string]string{TagLevel: "l1b"}},
		{"MMS1_DEFEPH_2015289_2015290.V00", []byte("DEFINITIVE EPHEMERIS\n"), map[string]string{TagKind: catalog.KindAncillary}},
		{"abs_selections_2015-10-16-08-30-53.sav", []byte("SR\x00\x04selections"), map[string]string{TagKind: catalog.KindSelection}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.drop(t, tc.name, tc.body, nil)
			out := f.index(t, tc.name)
			if out.Result != ResultIndexed || out.Record == nil {
				t.Fatalf("outcome %+v", out)
			}
			h, err := f.archive.Head(context.Background(), out.Record.ArchiveKey)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(h.Tags, tc.want) {
				t.Errorf("archive object %s tagged %v, want %v", out.Record.ArchiveKey, h.Tags, tc.want)
			}
		})
	}
}
