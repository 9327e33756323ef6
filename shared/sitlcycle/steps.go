package sitlcycle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// Function names of the steps (the Lambda function names on AWS; the
// handler names of the local interpreter).
const (
	FnBuildABS      = "sitl-build-abs"
	FnAwaitSITL     = "sitl-await"
	FnValidate      = "sitl-validate"
	FnApply         = "sitl-apply"
	FnWritePlaylist = "sitl-write-playlist"
	FnRecordCycle   = "sitl-record-cycle"
	// SNSPublishARN is the integration the notifications use.
	SNSPublishARN = "arn:aws:states:::sns:publish"
)

// Handlers are the steps by function name, for asl.Config.Handlers.
func (s *Service) Handlers() map[string]any {
	return map[string]any{
		FnBuildABS:      s.BuildABS,
		FnAwaitSITL:     s.AwaitSITL,
		FnValidate:      s.Validate,
		FnApply:         s.Apply,
		FnWritePlaylist: s.WritePlaylist,
		FnRecordCycle:   s.RecordCycle,
	}
}

// Integrations are the service integrations the definition uses, for
// asl.Config.Integrations: sns:publish becomes a SITLNotification event.
func (s *Service) Integrations() map[string]asl.Integration {
	return map[string]asl.Integration{SNSPublishARN: s.snsPublish}
}

func (s *Service) snsPublish(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	var p struct{ TopicArn, Subject, Message string }
	if err := json.Unmarshal(params, &p); err != nil || p.Message == "" {
		return nil, &asl.StateError{Name: "SNS.InvalidParameter", Cause: "sns:publish needs a Message"}
	}
	if err := s.publish(ctx, p.Subject, p.Message); err != nil {
		return nil, fmt.Errorf("publish SITL notification: %w", err)
	}
	return json.Marshal(map[string]string{"MessageId": strconv.FormatInt(s.cfg.Clock.Now().UnixNano(), 36)})
}

// Placeholders of the definition, replaced as CloudFormation's
// DefinitionSubstitutions do.
var Placeholders = map[string]string{
	"BuildAbsFunctionArn":      FnBuildABS,
	"AwaitSitlFunctionArn":     FnAwaitSITL,
	"ValidateFunctionArn":      FnValidate,
	"ApplyFunctionArn":         FnApply,
	"WritePlaylistFunctionArn": FnWritePlaylist,
	"RecordCycleFunctionArn":   FnRecordCycle,
	"SitlTopicArn":             "magpie-sitl", // an SNS topic name
}

// LocalSubstitutions maps every placeholder to the ARN the local
// interpreter resolves (function ARNs name the registered handlers).
func LocalSubstitutions(region, account string) map[string]string {
	out := map[string]string{}
	for k, name := range Placeholders {
		if k == "SitlTopicArn" {
			out[k] = "arn:aws:sns:" + region + ":" + account + ":" + name
			continue
		}
		out[k] = "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	}
	return out
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Substitute replaces ${Name} placeholders in a definition; every one
// must have a value.
func Substitute(def []byte, subs map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := subs[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		q, _ := json.Marshal(v) // a JSON string: strip its quotes
		return q[1 : len(q)-1]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("sitlcycle: definition placeholders without a value: %v", missing)
	}
	return out, nil
}

// LoadDefinition reads and substitutes a state machine definition.
func LoadDefinition(raw []byte, subs map[string]string) (*asl.Definition, error) {
	b, err := Substitute(raw, subs)
	if err != nil {
		return nil, err
	}
	def, err := asl.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("sitlcycle: definition: %w", err)
	}
	return def, nil
}

// StepInput is what every step receives.
type StepInput struct {
	CycleID    string `json:"cycle_id"`
	Window     Window `json:"window,omitzero"`
	Stage      string `json:"stage,omitempty"`
	Token      string `json:"token,omitempty"`
	Submission int    `json:"submission,omitempty"`
	Source     string `json:"source,omitempty"`
	Playlist   string `json:"playlist,omitempty"`
}

// ABSSummary is BuildABS's result: what the SITL is told.
type ABSSummary struct {
	CycleID     string `json:"cycle_id"`
	WindowStart string `json:"window_start"` // UTC
	WindowEnd   string `json:"window_end"`
	Deadline    string `json:"deadline"` // the window close time
	Segments    int    `json:"segments"`
	Buffers     int    `json:"buffers"`
}

func taiToUTC(tai int64) (time.Time, error) { return timeutil.TAIToUTC(tai) }

// BuildABS computes the automated selections of the window and opens the
// cycle. A retry finds the cycle and returns it unchanged.
func (s *Service) BuildABS(ctx context.Context, in StepInput) (ABSSummary, error) {
	c, err := s.Get(ctx, in.CycleID)
	if errors.Is(err, ErrNoCycle) {
		c, err = s.openCycle(ctx, in)
	}
	if err != nil {
		return ABSSummary{}, err
	}
	return s.summary(c)
}

func (s *Service) openCycle(ctx context.Context, in StepInput) (*Cycle, error) {
	if in.CycleID == "" || in.Window.EndTAI <= in.Window.StartTAI || in.Window.Deadline.IsZero() {
		return nil, fmt.Errorf("sitlcycle: build abs: need cycle_id and a window with start_tai < end_tai and a deadline")
	}
	if s.cfg.Metadata == nil {
		return nil, errors.New("sitlcycle: build abs: no burst metadata source")
	}
	series, err := s.cfg.Metadata.Quality(ctx, in.Window.StartTAI, in.Window.EndTAI)
	if err != nil {
		return nil, fmt.Errorf("sitlcycle: build abs: %w", err)
	}
	spans, err := sitl.ABS(series, s.cfg.Burst, sitl.ABSOptions{})
	if err != nil {
		return nil, fmt.Errorf("sitlcycle: build abs: %w", err)
	}
	c := &Cycle{ID: in.CycleID, Window: in.Window, Status: StatusWaitingSubmission, ABS: spans,
		Params: s.cfg.Burst.ABS, Created: s.cfg.Clock.Now().UTC()}
	if err := s.create(ctx, c); err != nil {
		if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConditionFailed) {
			return s.Get(ctx, in.CycleID) // a concurrent retry won
		}
		return nil, err
	}
	return c, nil
}

func (s *Service) summary(c *Cycle) (ABSSummary, error) {
	start, err := taiToUTC(c.Window.StartTAI)
	if err != nil {
		return ABSSummary{}, err
	}
	end, err := taiToUTC(c.Window.EndTAI)
	if err != nil {
		return ABSSummary{}, err
	}
	bufs := 0
	for _, sp := range c.ABS {
		bufs += int((sp.TAIEnd-sp.TAIStart)/int64(s.cfg.Burst.BufferSeconds)) + 1
	}
	return ABSSummary{CycleID: c.ID, WindowStart: start.Format(time.DateTime), WindowEnd: end.Format(time.DateTime),
		Deadline: c.Window.Deadline.UTC().Format(time.DateTime), Segments: len(c.ABS), Buffers: bufs}, nil
}

// AwaitSITL stores the task token the state machine waits on, then hands
// over at once anything that already arrived for this stage.
func (s *Service) AwaitSITL(ctx context.Context, in StepInput) (struct{}, error) {
	if in.Token == "" || (in.Stage != StageSubmission && in.Stage != StageApproval) {
		return struct{}{}, fmt.Errorf("sitlcycle: await: need a token and stage %q or %q", StageSubmission, StageApproval)
	}
	c, err := s.update(ctx, in.CycleID, func(c *Cycle) error {
		c.Token, c.Stage = in.Token, in.Stage
		if in.Stage == StageSubmission {
			c.Status = StatusWaitingSubmission
		} else {
			c.Status = StatusNeedsApproval
		}
		return nil
	})
	if err != nil {
		return struct{}{}, err
	}
	return struct{}{}, s.deliver(ctx, c)
}

// maxFindingsOut bounds the findings a validation result carries through
// the state machine (the payload limit); all of them stay on the
// submission.
const maxFindingsOut = 50

// Verdict is Validate's result.
type Verdict struct {
	Verdict     string         `json:"verdict"`
	Submission  int            `json:"submission"`
	SecondsLeft int64          `json:"seconds_left"`
	Errors      int            `json:"errors"`
	Approvals   int            `json:"approvals"`
	Warnings    int            `json:"warnings"`
	Findings    []sitl.Finding `json:"findings,omitempty"`
}

// Validate checks a delivered submission against every rule, records the
// findings, and says whether it is accepted, rejected or needs approval.
func (s *Service) Validate(ctx context.Context, in StepInput) (Verdict, error) {
	sub, err := s.Submission(ctx, in.CycleID, in.Submission)
	if err != nil {
		return Verdict{}, err
	}
	c, err := s.Get(ctx, in.CycleID)
	if err != nil {
		return Verdict{}, err
	}
	res := s.Check(c, sub.Rows)
	sub.Findings, sub.Verdict = res.Findings, verdict(res)
	if err := s.putSubmission(ctx, in.CycleID, sub, store.Cond{}); err != nil {
		return Verdict{}, err
	}
	_, err = s.update(ctx, in.CycleID, func(c *Cycle) error {
		c.Validated = sub.Seq
		c.Approval = nil
		if sub.Verdict == VerdictNeedsApproval {
			c.Status = StatusNeedsApproval
		} else {
			c.Status = StatusWaitingSubmission
		}
		return nil
	})
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Verdict: sub.Verdict, Submission: sub.Seq, SecondsLeft: secondsLeft(c.Window.Deadline, s.cfg.Clock.Now())}
	for _, f := range res.Findings {
		switch f.Severity {
		case sitl.Error:
			v.Errors++
		case sitl.Approval:
			v.Approvals++
		case sitl.Warning:
			v.Warnings++
		}
	}
	v.Findings = res.Findings[:min(len(res.Findings), maxFindingsOut)]
	return v, nil
}

// Applied is Apply's result.
type Applied struct {
	Source   string `json:"source"`
	Segments int    `json:"segments"`
	Held     int    `json:"held"` // segments held on at least one observatory
}

// Apply enters the chosen selections (the accepted submission, or ABS) in
// the BDM. A retry after success returns the recorded result.
//
// The BDM write and the cycle record are two writes; the BDM records the
// cycle id as the idempotency key with its allocations, so a retry after a
// crash between them (or during the BDM write) enters no selection twice.
func (s *Service) Apply(ctx context.Context, in StepInput) (Applied, error) {
	c, err := s.Get(ctx, in.CycleID)
	if err != nil {
		return Applied{}, err
	}
	if c.Source != "" {
		return Applied{Source: c.Source, Segments: len(c.Segments)}, nil
	}
	if s.cfg.BDM == nil {
		return Applied{}, errors.New("sitlcycle: apply: no BDM")
	}
	var sels []burst.Selection
	switch in.Source {
	case burst.SourceABS:
		for _, sp := range c.ABS {
			sels = append(sels, burst.Selection{TAIStart: sp.TAIStart, TAIEnd: sp.TAIEnd, FOM: sp.FOM, Source: burst.SourceABS})
		}
	case burst.SourceSITL:
		sub, err := s.Submission(ctx, in.CycleID, in.Submission)
		if err != nil {
			return Applied{}, err
		}
		sels = sitl.Selections(sub.Rows, burst.SourceSITL, s.cfg.Burst.BufferSeconds)
	default:
		return Applied{}, fmt.Errorf("sitlcycle: apply: source %q (want ABS or SITL)", in.Source)
	}
	segs, err := s.cfg.BDM.ApplyOnce(ctx, "sitl-cycle/"+in.CycleID, sels)
	if err != nil {
		return Applied{}, fmt.Errorf("sitlcycle: apply cycle %s: %w", in.CycleID, err)
	}
	if in.Source == burst.SourceABS {
		// Announced before the cycle records its source: a crash in
		// between announces again on the retry (at least once), never
		// not at all.
		if err := s.publishDeadlineMissed(ctx, c, len(segs)); err != nil {
			return Applied{}, err
		}
	}
	out := Applied{Source: in.Source, Segments: len(segs)}
	ids := make([]int64, len(segs))
	for k, sg := range segs {
		ids[k] = sg.ID
		if sg.Pending {
			out.Held++
		}
	}
	_, err = s.update(ctx, in.CycleID, func(c *Cycle) error {
		c.Source, c.Applied, c.Segments, c.Status = in.Source, in.Submission, ids, StatusApplied
		c.Token, c.Stage = "", ""
		return nil
	})
	return out, err
}

// publishDeadlineMissed announces that cycle c's deadline passed without
// an accepted SITL submission, so ABS was applied.
func (s *Service) publishDeadlineMissed(ctx context.Context, c *Cycle, segments int) error {
	if s.cfg.Events == nil {
		return nil
	}
	ev, err := events.New(events.SITLDeadlineMissed, s.cfg.Clock.Now(), events.SITLDeadlineMissedDetail{
		CycleID: c.ID, Deadline: c.Window.Deadline.UTC(), Fallback: burst.SourceABS, Segments: segments})
	if err != nil {
		return fmt.Errorf("sitlcycle: apply cycle %s: %w", c.ID, err)
	}
	if err := s.cfg.Events.Publish(ctx, ev); err != nil {
		return fmt.Errorf("sitlcycle: apply cycle %s: publish %s: %w", c.ID, events.SITLDeadlineMissed, err)
	}
	return nil
}

// PlaylistResult is WritePlaylist's result.
type PlaylistResult struct {
	Key      string `json:"key"`
	Segments int    `json:"segments"`
}

// PlaylistKey is where the playlist of a cycle is written.
func PlaylistKey(cycleID string) string { return "playlists/" + cycleID + ".csv" }

// WritePlaylist writes the downlink playlist for the operations center:
// every pending segment, highest FOM first (oldest first on ties), with
// the buffers each observatory holds, and marks them INPLAYLIST.
func (s *Service) WritePlaylist(ctx context.Context, in StepInput) (PlaylistResult, error) {
	if s.cfg.BDM == nil || s.cfg.Playlists == nil {
		return PlaylistResult{}, errors.New("sitlcycle: write playlist: no BDM or playlist bucket")
	}
	all, err := s.cfg.BDM.Segments(ctx)
	if err != nil {
		return PlaylistResult{}, err
	}
	var pending []*burst.Segment
	var add []int64
	for _, sg := range all {
		if sg.Pending {
			pending = append(pending, sg)
			if !sg.InPlaylist {
				add = append(add, sg.ID)
			}
		}
	}
	slices.SortStableFunc(pending, func(a, b *burst.Segment) int {
		switch {
		case a.FOM != b.FOM && a.FOM > b.FOM:
			return -1
		case a.FOM != b.FOM:
			return 1
		}
		if c := a.CreateTime.Compare(b.CreateTime); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	var buf bytes.Buffer
	buf.WriteString("DATASEGMENTID,TAISTARTTIME,TAIENDTIME,FOM")
	nobs := 0
	if len(pending) > 0 {
		nobs = len(pending[0].Obs)
	}
	for i := range nobs {
		fmt.Fprintf(&buf, ",OBS%dALLOCBUFS", i+1)
	}
	buf.WriteByte('\n')
	for _, sg := range pending {
		fmt.Fprintf(&buf, "%d,%d,%d,%s", sg.ID, sg.TAIStart, sg.TAIEnd, strconv.FormatFloat(sg.FOM, 'f', -1, 64))
		for _, o := range sg.Obs {
			fmt.Fprintf(&buf, ",%d", o.Alloc)
		}
		buf.WriteByte('\n')
	}
	key := PlaylistKey(in.CycleID)
	if _, err := s.cfg.Playlists.Put(ctx, key, &buf, store.PutOptions{ContentType: "text/csv"}); err != nil {
		return PlaylistResult{}, fmt.Errorf("sitlcycle: write playlist %s: %w", key, err)
	}
	if err := s.cfg.BDM.AddToPlaylist(ctx, add); err != nil {
		return PlaylistResult{}, fmt.Errorf("sitlcycle: playlist %s: %w", key, err)
	}
	return PlaylistResult{Key: key, Segments: len(pending)}, nil
}

// CycleRecord is RecordCycle's result (the execution's output).
type CycleRecord struct {
	CycleID  string  `json:"cycle_id"`
	Source   string  `json:"source"`
	Applied  int     `json:"submission,omitempty"`
	Segments []int64 `json:"segments"`
	Playlist string  `json:"playlist"`
}

// RecordCycle closes the cycle with its playlist.
func (s *Service) RecordCycle(ctx context.Context, in StepInput) (CycleRecord, error) {
	now := s.cfg.Clock.Now().UTC()
	c, err := s.update(ctx, in.CycleID, func(c *Cycle) error {
		if c.Status == StatusClosed {
			return errSkip
		}
		c.Status, c.Playlist, c.Closed = StatusClosed, in.Playlist, now
		return nil
	})
	if err != nil {
		return CycleRecord{}, err
	}
	return CycleRecord{CycleID: c.ID, Source: c.Source, Applied: c.Applied, Segments: c.Segments, Playlist: c.Playlist}, nil
}
