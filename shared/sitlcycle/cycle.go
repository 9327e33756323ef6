// Package sitlcycle runs the Scientist-in-the-Loop cycle of
// statemachines/sitl-cycle.asl.json: the steps the state machine calls
// (build ABS, hand the SITL a task token, validate, apply, write the
// playlist, record the cycle) and the operations the SITL and super-SITL
// use (show the window, check and submit a selection, approve). The cycle
// state lives in a table on the table port, so the steps are stateless and
// run as Lambdas on AWS or as interpreter handlers locally.
package sitlcycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Window is a SITL window: the burst data interval to select from and the
// deadline by which the SITL must submit (the "window close time").
type Window struct {
	StartTAI int64     `json:"start_tai"` // first buffer start, TAI-1958 s
	EndTAI   int64     `json:"end_tai"`   // end of the data (exclusive)
	Deadline time.Time `json:"deadline"`
}

// Cycle statuses.
const (
	StatusWaitingSubmission = "WAITING_SUBMISSION"
	StatusValidating        = "VALIDATING"
	StatusNeedsApproval     = "NEEDS_APPROVAL"
	StatusApplied           = "APPLIED"
	StatusClosed            = "CLOSED"
)

// Stages a task token can wait in.
const (
	StageSubmission = "submission"
	StageApproval   = "approval"
)

// Approval is a super-SITL's decision on the submission awaiting it.
type Approval struct {
	Submission int       `json:"submission"`
	By         string    `json:"by"`
	Approved   bool      `json:"approved"`
	At         time.Time `json:"at"`
	Delivered  bool      `json:"delivered"`
}

// Cycle is the recorded state of one SITL cycle.
type Cycle struct {
	ID     string            `json:"id"`
	Window Window            `json:"window"`
	Status string            `json:"status"`
	ABS    []sitl.Span       `json:"abs"`
	Params mission.ABSParams `json:"abs_params"`
	// Stage and Token are set while the state machine waits for the SITL
	// (a submission) or a super-SITL (an approval).
	Stage string `json:"stage,omitempty"`
	Token string `json:"token,omitempty"`
	// Submissions counts the submissions received; Delivered is the last
	// one handed to the state machine.
	Submissions int       `json:"submissions"`
	Delivered   int       `json:"delivered"`
	Validated   int       `json:"validated,omitempty"` // last validated submission
	Approval    *Approval `json:"approval,omitempty"`
	// Source is what was applied: SITL (a submission) or ABS (the deadline
	// passed without a valid one); Applied the submission number.
	Source   string    `json:"source,omitempty"`
	Applied  int       `json:"applied,omitempty"`
	Segments []int64   `json:"segments,omitempty"`
	Playlist string    `json:"playlist,omitempty"`
	Created  time.Time `json:"created"`
	Closed   time.Time `json:"closed,omitzero"`
	version  int64
}

// Open reports whether the cycle still takes submissions at time now.
func (c *Cycle) Open(now time.Time) bool {
	return (c.Status == StatusWaitingSubmission || c.Status == StatusValidating || c.Status == StatusNeedsApproval) &&
		now.Before(c.Window.Deadline)
}

// Submission is one SITL submission as received.
type Submission struct {
	Seq      int            `json:"seq"`
	Name     string         `json:"name"` // file name or client label
	Received time.Time      `json:"received"`
	Rows     []sitl.Row     `json:"rows"`
	Findings []sitl.Finding `json:"findings,omitempty"`
	Verdict  string         `json:"verdict,omitempty"`
}

// Verdicts of a validation.
const (
	VerdictAccepted      = "accepted"
	VerdictRejected      = "rejected"
	VerdictNeedsApproval = "needs_approval"
)

// TaskSender completes a waiting task: *asl.Engine locally, a Step
// Functions client on AWS.
type TaskSender interface {
	SendTaskSuccess(token string, output json.RawMessage) error
}

// SendFunc adapts a function to TaskSender: the engine is built with the
// Service's handlers, so the Service reaches it through a closure.
type SendFunc func(token string, output json.RawMessage) error

// SendTaskSuccess calls f.
func (f SendFunc) SendTaskSuccess(token string, output json.RawMessage) error {
	return f(token, output)
}

// MetadataSource gives the mission burst quality (MDQ) per buffer over
// [startTAI, endTAI), in time order.
type MetadataSource interface {
	Quality(ctx context.Context, startTAI, endTAI int64) ([]sitl.Quality, error)
}

// Config wires a Service.
type Config struct {
	Tables store.TableStore
	Table  string // default DefaultTable
	BDM    *burst.BDM
	Burst  mission.Burst
	// Metadata feeds ABS.
	Metadata MetadataSource
	// Playlists is the bucket the operations center reads playlists from.
	Playlists store.ObjectStore
	// Notify receives the SITL notifications (the local sns:publish).
	Notify events.Publisher
	// Events receives domain events: SITLDeadlineMissed when a cycle falls
	// back to ABS (the alarm on missed deadlines counts them). nil: none.
	Events events.Publisher
	// Tasks completes the state machine's waits; nil when offline (the CLI
	// on a stopped SDC): deliveries then wait for Deliver.
	Tasks TaskSender
	Clock clock.Clock
}

// Service is the SITL cycle: state machine steps and user operations.
type Service struct {
	cfg Config
}

// ErrClosed is returned for operations on a cycle that no longer takes
// them (deadline passed, already applied).
var ErrClosed = errors.New("sitl cycle closed")

// ErrNoCycle is returned when no cycle exists (yet).
var ErrNoCycle = errors.New("no sitl cycle")

const (
	pkCycle       = "CYCLE"
	pkSubPrefix   = "SUB#"
	updateRetries = 50
)

// New prepares the table and returns a Service.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if cfg.Tables == nil || cfg.Clock == nil || cfg.Burst.BufferSeconds <= 0 {
		return nil, errors.New("sitlcycle: need a table store, a clock and the burst parameters")
	}
	if err := cfg.Tables.EnsureTable(ctx, TableSpec(cfg.Table)); err != nil {
		return nil, fmt.Errorf("sitlcycle: table %s: %w", cfg.Table, err)
	}
	return &Service{cfg: cfg}, nil
}

// CycleID names the cycle of a window after its start (UTC), so ids sort
// in time order.
func CycleID(w Window) (string, error) {
	t, err := taiToUTC(w.StartTAI)
	if err != nil {
		return "", fmt.Errorf("sitlcycle: window start: %w", err)
	}
	return t.Format("20060102-150405"), nil
}

// Input is the execution input of the state machine.
type Input struct {
	CycleID     string `json:"cycle_id"`
	Window      Window `json:"window"`
	WaitSeconds int64  `json:"wait_seconds"` // until the deadline (≥ 1)
}

// DefaultTable is the cycles' table name unless Config.Table says otherwise.
const DefaultTable = "sitl"

// TableSpec is the cycles' table named name (the stack creates it from
// this spec).
func TableSpec(name string) store.TableSpec { return store.TableSpec{Name: name, PK: "pk", SK: "sk"} }

// NewInput builds the execution input for window w at time now.
func NewInput(w Window, now time.Time) (Input, error) {
	if w.EndTAI <= w.StartTAI {
		return Input{}, fmt.Errorf("sitlcycle: window %d–%d is empty", w.StartTAI, w.EndTAI)
	}
	id, err := CycleID(w)
	if err != nil {
		return Input{}, err
	}
	return Input{CycleID: id, Window: w, WaitSeconds: max(secondsLeft(w.Deadline, now), 1)}, nil
}

// secondsLeft rounds the time to the deadline up to whole seconds (0 once
// it passed).
func secondsLeft(deadline, now time.Time) int64 {
	d := deadline.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// Get returns a cycle.
func (s *Service) Get(ctx context.Context, id string) (*Cycle, error) {
	it, err := s.cfg.Tables.Get(ctx, s.cfg.Table, store.Key{PK: pkCycle, SK: id})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sitlcycle: cycle %q: %w", id, ErrNoCycle)
	}
	if err != nil {
		return nil, fmt.Errorf("sitlcycle: read cycle %s: %w", id, err)
	}
	return decodeCycle(it)
}

// Current returns the newest cycle.
func (s *Service) Current(ctx context.Context) (*Cycle, error) {
	page, err := s.cfg.Tables.Query(ctx, s.cfg.Table, store.Query{PK: pkCycle, Descending: true, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("sitlcycle: list cycles: %w", err)
	}
	if len(page.Items) == 0 {
		return nil, fmt.Errorf("sitlcycle: %w", ErrNoCycle)
	}
	return decodeCycle(page.Items[0])
}

// List returns every cycle, oldest first.
func (s *Service) List(ctx context.Context) ([]*Cycle, error) {
	var out []*Cycle
	q := store.Query{PK: pkCycle}
	for {
		page, err := s.cfg.Tables.Query(ctx, s.cfg.Table, q)
		if err != nil {
			return nil, fmt.Errorf("sitlcycle: list cycles: %w", err)
		}
		for _, it := range page.Items {
			c, err := decodeCycle(it)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		if page.Cursor == "" {
			return out, nil
		}
		q.Cursor = page.Cursor
	}
}

func decodeCycle(it store.Item) (*Cycle, error) {
	var c Cycle
	if err := json.Unmarshal([]byte(it.String("doc")), &c); err != nil {
		return nil, fmt.Errorf("sitlcycle: decode cycle %s: %w", it.String("sk"), err)
	}
	c.version = it.Int("version")
	return &c, nil
}

// create writes a new cycle; ErrExists when it is there already.
func (s *Service) create(ctx context.Context, c *Cycle) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("sitlcycle: encode cycle %s: %w", c.ID, err)
	}
	err = s.cfg.Tables.Put(ctx, s.cfg.Table, store.Item{"pk": pkCycle, "sk": c.ID, "doc": string(doc), "version": int64(1)}, store.IfNotExists())
	if err != nil {
		return fmt.Errorf("sitlcycle: create cycle %s: %w", c.ID, err)
	}
	c.version = 1
	return nil
}

// update applies fn to the stored cycle under optimistic locking and
// returns the written cycle. fn may return errSkip to write nothing.
func (s *Service) update(ctx context.Context, id string, fn func(*Cycle) error) (*Cycle, error) {
	for range updateRetries {
		c, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(c); errors.Is(err, errSkip) {
			return c, nil
		} else if err != nil {
			return nil, err
		}
		doc, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("sitlcycle: encode cycle %s: %w", id, err)
		}
		err = s.cfg.Tables.Put(ctx, s.cfg.Table, store.Item{"pk": pkCycle, "sk": id, "doc": string(doc), "version": c.version + 1},
			store.IfAttrEquals("version", c.version))
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sitlcycle: write cycle %s: %w", id, err)
		}
		c.version++
		return c, nil
	}
	return nil, fmt.Errorf("sitlcycle: cycle %s: too many concurrent updates: %w", id, store.ErrConditionFailed)
}

var errSkip = errors.New("nothing to write")

func subKey(seq int) string { return fmt.Sprintf("%06d", seq) }

func (s *Service) putSubmission(ctx context.Context, id string, sub *Submission, cond store.Cond) error {
	doc, err := json.Marshal(sub)
	if err != nil {
		return fmt.Errorf("sitlcycle: encode submission %d: %w", sub.Seq, err)
	}
	if err := s.cfg.Tables.Put(ctx, s.cfg.Table, store.Item{"pk": pkSubPrefix + id, "sk": subKey(sub.Seq), "doc": string(doc)}, cond); err != nil {
		return fmt.Errorf("sitlcycle: write submission %d of %s: %w", sub.Seq, id, err)
	}
	return nil
}

// Submission returns submission seq of cycle id.
func (s *Service) Submission(ctx context.Context, id string, seq int) (*Submission, error) {
	it, err := s.cfg.Tables.Get(ctx, s.cfg.Table, store.Key{PK: pkSubPrefix + id, SK: subKey(seq)})
	if err != nil {
		return nil, fmt.Errorf("sitlcycle: submission %d of %s: %w", seq, id, err)
	}
	var sub Submission
	if err := json.Unmarshal([]byte(it.String("doc")), &sub); err != nil {
		return nil, fmt.Errorf("sitlcycle: decode submission %d of %s: %w", seq, id, err)
	}
	return &sub, nil
}

// Check validates rows against the cycle's window without submitting.
func (s *Service) Check(c *Cycle, rows []sitl.Row) sitl.Result {
	// A row may end exactly at the end of the window's data; ValidateSubmission
	// rejects stops at or after its bound.
	return sitl.ValidateSubmission(rows, c.Window.EndTAI+1, s.cfg.Burst.BufferSeconds)
}

func verdict(r sitl.Result) string {
	switch {
	case r.Has(sitl.Error):
		return VerdictRejected
	case r.Has(sitl.Approval):
		return VerdictNeedsApproval
	}
	return VerdictAccepted
}

// Submit records a submission for cycle id and hands it to the waiting
// state machine (or queues it until the SDC runs). It returns the stored
// submission with its findings (checked here too, so the SITL sees them at
// once; the state machine's Validate step is authoritative).
func (s *Service) Submit(ctx context.Context, id, name string, rows []sitl.Row) (*Submission, error) {
	now := s.cfg.Clock.Now().UTC()
	var sub *Submission
	c, err := s.update(ctx, id, func(c *Cycle) error {
		if !c.Open(now) {
			return fmt.Errorf("sitlcycle: submit to %s (%s, deadline %s): %w", c.ID, c.Status, c.Window.Deadline.Format(time.RFC3339), ErrClosed)
		}
		c.Submissions++
		res := s.Check(c, rows)
		sub = &Submission{Seq: c.Submissions, Name: name, Received: now, Rows: rows, Findings: res.Findings, Verdict: verdict(res)}
		// Written before the cycle counts it, so a delivered number always
		// has its submission; a lost race leaves an orphan that the next
		// attempt overwrites.
		return s.putSubmission(ctx, c.ID, sub, store.Cond{})
	})
	if err != nil {
		return nil, err
	}
	return sub, s.deliver(ctx, c)
}

// Approve records a super-SITL's decision on the submission awaiting
// approval in cycle id and hands it to the state machine.
func (s *Service) Approve(ctx context.Context, id, by string, approved bool) (*Cycle, error) {
	now := s.cfg.Clock.Now().UTC()
	c, err := s.update(ctx, id, func(c *Cycle) error {
		if !c.Open(now) || c.Status != StatusNeedsApproval {
			return fmt.Errorf("sitlcycle: approve in %s (%s): nothing awaits approval: %w", c.ID, c.Status, ErrClosed)
		}
		c.Approval = &Approval{Submission: c.Validated, By: by, Approved: approved, At: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, s.deliver(ctx, c)
}

// Deliver hands queued submissions and approvals to waiting state
// machines: run it when the SDC starts (after the interpreter resumed its
// executions), for what the CLI recorded while it was stopped.
func (s *Service) Deliver(ctx context.Context) error {
	cycles, err := s.List(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cycles {
		if c.Token != "" {
			errs = append(errs, s.deliver(ctx, c))
		}
	}
	return errors.Join(errs...)
}

// deliver sends the state machine what its current wait is for, if it has
// arrived: the newest undelivered submission, or the approval decision.
// The token is claimed in the table first, so it is sent at most once.
func (s *Service) deliver(ctx context.Context, c *Cycle) error {
	if s.cfg.Tasks == nil || c.Token == "" {
		return nil
	}
	var token string
	var out []byte
	now := s.cfg.Clock.Now().UTC()
	_, err := s.update(ctx, c.ID, func(c *Cycle) error {
		token, out = "", nil
		switch {
		case c.Token == "":
			return errSkip
		case c.Stage == StageSubmission && c.Submissions > c.Delivered:
			c.Delivered = c.Submissions
			c.Status = StatusValidating
			out, _ = json.Marshal(map[string]any{"submission": c.Delivered})
		case c.Stage == StageApproval && c.Approval != nil && !c.Approval.Delivered:
			c.Approval.Delivered = true
			out, _ = json.Marshal(map[string]any{"approved": c.Approval.Approved, "by": c.Approval.By,
				"submission": c.Approval.Submission, "seconds_left": secondsLeft(c.Window.Deadline, now)})
		default:
			return errSkip
		}
		token, c.Token, c.Stage = c.Token, "", ""
		return nil
	})
	if err != nil || token == "" {
		return err
	}
	if err := s.cfg.Tasks.SendTaskSuccess(token, out); err != nil {
		return fmt.Errorf("sitlcycle: hand over to cycle %s: %w", c.ID, err)
	}
	return nil
}

// publish is the local sns:publish: it turns the notification into a
// domain event.
func (s *Service) publish(ctx context.Context, subject, message string) error {
	if s.cfg.Notify == nil {
		return nil
	}
	ev, err := events.New(EventNotification, s.cfg.Clock.Now(), map[string]string{"subject": subject, "message": message})
	if err != nil {
		return err
	}
	return s.cfg.Notify.Publish(ctx, ev)
}

// EventNotification is the domain event type of SITL notifications.
const EventNotification = "SITLNotification"
