package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Job statuses.
const (
	StatusPending   = "PENDING"
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusNotRun    = "NOTRUN" // a required input is missing; re-planned when it arrives
)

// Statuses lists every status, in life-cycle order.
var Statuses = []string{StatusNotRun, StatusPending, StatusRunning, StatusSucceeded, StatusFailed}

// Job is one run of a processor on one set of input files.
type Job struct {
	// ID is the idempotency key: a hash of the node, processor identity,
	// spacecraft, time tag and input files (names and checksums).
	ID              string     `json:"id"`
	Node            string     `json:"node"`
	Processor       string     `json:"processor"`
	SoftwareVersion string     `json:"software_version"`
	FormatVersion   int        `json:"format_version"`
	SC              string     `json:"sc_id"`
	Start           time.Time  `json:"start"`
	TimeDigits      int        `json:"time_digits"`
	Status          string     `json:"status"`
	Inputs          []JobInput `json:"inputs"`
	// Missing names the required inputs that were absent (NOTRUN).
	Missing  []string         `json:"missing,omitempty"`
	Version  string           `json:"version,omitempty"`
	Outputs  []string         `json:"outputs,omitempty"`
	Counters map[string]int64 `json:"counters,omitempty"`
	Messages []string         `json:"messages,omitempty"`
	Attempts int              `json:"attempts"`
	Created  time.Time        `json:"created"`
	Started  time.Time        `json:"started,omitzero"`
	Finished time.Time        `json:"finished,omitzero"`
	// Error, ExitCode and StderrTail describe the last failure.
	Error      string `json:"error,omitempty"`
	ExitCode   int    `json:"exit_code,omitempty"`
	StderrTail string `json:"stderr_tail,omitempty"`
	// WorkDir of a failed attempt is kept for inspection.
	WorkDir string `json:"work_dir,omitempty"`
	// SupersededBy is set on a NOTRUN job once its slot was planned again.
	SupersededBy string `json:"superseded_by,omitempty"`
	// Revision guards concurrent updates.
	Revision int64 `json:"revision"`
}

// TimeTag is the job's time tag as in its output names.
func (j Job) TimeTag() string {
	if j.TimeDigits == 14 {
		return j.Start.UTC().Format("20060102150405")
	}
	return j.Start.UTC().Format("20060102")
}

// Duration is how long the last attempt ran (0 if unfinished).
func (j Job) Duration() time.Duration {
	if j.Started.IsZero() || j.Finished.IsZero() {
		return 0
	}
	return j.Finished.Sub(j.Started)
}

// JobInput is one input file of a job.
type JobInput struct {
	Input      string `json:"input"` // the node input's name
	FileName   string `json:"file_name"`
	SHA256     string `json:"sha256"`
	Version    string `json:"version"`
	ArchiveKey string `json:"archive_key"`
	Size       int64  `json:"size"`
}

// Slot is the latest plan of one node, spacecraft and time tag, so a
// feeding input that arrives late can find the NOTRUN job waiting for it.
type Slot struct {
	Key    string `json:"key"`
	JobID  string `json:"job_id"`
	Status string `json:"status"`
}

// Jobs table layout:
//
//	job   pk = J#<id>                      sk = "J"  spk = status (absent once superseded), ssk = created#id
//	slot  pk = S#<node>#<sc>#<time tag>    sk = "S"
//
// The body of a job is one JSON document: the table only needs to find jobs
// by id and by status.
const (
	JobsTable     = "jobs"
	indexByStatus = "by-status"
	createdLayout = "2006-01-02T15:04:05.000000000Z"
)

// JobsSpec declares the jobs table.
var JobsSpec = store.TableSpec{
	Name: JobsTable, PK: "pk", SK: "sk",
	Indexes: []store.IndexSpec{{Name: indexByStatus, PK: "spk", SK: "ssk"}},
}

// ErrJobExists is returned by Create when a job with that id exists.
var ErrJobExists = errors.New("job already exists")

// Jobs is the jobs repository on the table-store port.
type Jobs struct {
	db store.TableStore
}

// NewJobs returns the repository; call EnsureTable once at start-up.
func NewJobs(db store.TableStore) *Jobs { return &Jobs{db: db} }

// EnsureTable creates the jobs table if needed.
func (s *Jobs) EnsureTable(ctx context.Context) error {
	if err := s.db.EnsureTable(ctx, JobsSpec); err != nil {
		return fmt.Errorf("jobs: ensure table: %w", err)
	}
	return nil
}

func jobItem(j Job) (store.Item, error) {
	doc, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("jobs: encode %s: %w", j.ID, err)
	}
	it := store.Item{"pk": "J#" + j.ID, "sk": "J", "doc": string(doc), "revision": j.Revision}
	if j.SupersededBy == "" {
		it["spk"] = j.Status
		it["ssk"] = j.Created.UTC().Format(createdLayout) + "#" + j.ID
	}
	return it, nil
}

func jobFromItem(it store.Item) (Job, error) {
	var j Job
	if err := json.Unmarshal([]byte(it.String("doc")), &j); err != nil {
		return Job{}, fmt.Errorf("jobs: decode %s: %w", it.String("pk"), err)
	}
	j.Revision = it.Int("revision")
	return j, nil
}

// Create stores a new job; if the id exists it returns the stored job and
// an error wrapping ErrJobExists (a duplicate trigger).
func (s *Jobs) Create(ctx context.Context, j Job) (Job, error) {
	j.Revision = 0
	it, err := jobItem(j)
	if err != nil {
		return Job{}, err
	}
	err = s.db.Put(ctx, JobsTable, it, store.IfNotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		old, gerr := s.Get(ctx, j.ID)
		if gerr != nil {
			return Job{}, fmt.Errorf("jobs: create %s: exists, but reading it failed: %w", j.ID, gerr)
		}
		return old, fmt.Errorf("%w: %s", ErrJobExists, j.ID)
	}
	if err != nil {
		return Job{}, fmt.Errorf("jobs: create %s: %w", j.ID, err)
	}
	return j, nil
}

// Get returns a job, or an error wrapping store.ErrNotFound.
func (s *Jobs) Get(ctx context.Context, id string) (Job, error) {
	it, err := s.db.Get(ctx, JobsTable, store.Key{PK: "J#" + id, SK: "J"})
	if err != nil {
		return Job{}, fmt.Errorf("jobs: get %s: %w", id, err)
	}
	return jobFromItem(it)
}

// Update applies fn to the job and writes it back if nobody changed it in
// between; on a conflict it re-reads and tries again. An error from fn is
// returned unchanged and nothing is written.
func (s *Jobs) Update(ctx context.Context, id string, fn func(*Job) error) (Job, error) {
	for range 10 {
		j, err := s.Get(ctx, id)
		if err != nil {
			return Job{}, err
		}
		rev := j.Revision
		if err := fn(&j); err != nil {
			return Job{}, err
		}
		j.ID, j.Revision = id, rev+1
		it, err := jobItem(j)
		if err != nil {
			return Job{}, err
		}
		err = s.db.Put(ctx, JobsTable, it, store.IfAttrEquals("revision", rev))
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return Job{}, fmt.Errorf("jobs: update %s: %w", id, err)
		}
		return j, nil
	}
	return Job{}, fmt.Errorf("jobs: update %s: too many concurrent updates", id)
}

// List returns up to limit jobs of a status (every status when empty),
// newest first within a status; limit <= 0 means all.
func (s *Jobs) List(ctx context.Context, status string, limit int) ([]Job, error) {
	statuses := Statuses
	if status != "" {
		statuses = []string{status}
	}
	var out []Job
	for _, st := range statuses {
		q := store.Query{Index: indexByStatus, PK: st, Descending: true}
		for {
			if limit > 0 {
				q.Limit = limit - len(out)
				if q.Limit <= 0 {
					return out, nil
				}
			}
			page, err := s.db.Query(ctx, JobsTable, q)
			if err != nil {
				return nil, fmt.Errorf("jobs: list %s: %w", st, err)
			}
			for _, it := range page.Items {
				j, err := jobFromItem(it)
				if err != nil {
					return nil, err
				}
				out = append(out, j)
			}
			if page.Cursor == "" {
				break
			}
			q.Cursor = page.Cursor
		}
	}
	return out, nil
}

// Counts returns the number of current jobs per status. A store that can
// count (store.Counter: DynamoDB's Select COUNT, the local store's keys)
// does it without reading the jobs out.
func (s *Jobs) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	counter, _ := s.db.(store.Counter)
	for _, st := range Statuses {
		if counter != nil {
			n, err := counter.Count(ctx, JobsTable, store.Query{Index: indexByStatus, PK: st})
			if err != nil {
				return nil, fmt.Errorf("jobs: count %s: %w", st, err)
			}
			out[st] = n
			continue
		}
		jobs, err := s.List(ctx, st, 0)
		if err != nil {
			return nil, err
		}
		out[st] = len(jobs)
	}
	return out, nil
}

func slotKey(node, sc, tag string) store.Key {
	return store.Key{PK: "S#" + node + "#" + sc + "#" + tag, SK: "S"}
}

// GetSlot returns the latest plan of a node, spacecraft and time tag, and
// whether there is one.
func (s *Jobs) GetSlot(ctx context.Context, node, sc, tag string) (Slot, bool, error) {
	k := slotKey(node, sc, tag)
	it, err := s.db.Get(ctx, JobsTable, k)
	if errors.Is(err, store.ErrNotFound) {
		return Slot{}, false, nil
	}
	if err != nil {
		return Slot{}, false, fmt.Errorf("jobs: get slot %s: %w", k.PK, err)
	}
	return Slot{Key: k.PK, JobID: it.String("job_id"), Status: it.String("status")}, true, nil
}

// PutSlot records the latest plan of a slot.
func (s *Jobs) PutSlot(ctx context.Context, node, sc, tag, jobID, status string) error {
	k := slotKey(node, sc, tag)
	it := store.Item{"pk": k.PK, "sk": k.SK, "job_id": jobID, "status": status}
	if err := s.db.Put(ctx, JobsTable, it, store.Cond{}); err != nil {
		return fmt.Errorf("jobs: put slot %s: %w", k.PK, err)
	}
	return nil
}
