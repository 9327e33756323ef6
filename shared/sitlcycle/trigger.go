package sitlcycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/timeutil"
	"github.com/magpie-sdc/magpie/shared/workflows"
)

// DefaultDeadline is how long the SITL has to submit once a cycle starts.
const DefaultDeadline = 2 * time.Hour

// Trigger starts the SITL cycle of a day once the day's burst metadata
// (the profile's simulation.burst_metadata product, one file per
// spacecraft) is in the catalog for every spacecraft. It handles
// FileIndexed events: the local runtime subscribes it to its bus, the
// processor function on AWS calls it for every event of its queue.
//
// The window is the day the metadata covers: from its first buffer
// boundary at or after 00:00 UTC to 24:00 UTC (TAI). The metadata carries a
// quality for every buffer of the day, low outside the region of interest,
// so ABS selects inside the region of interest without the SDC knowing the
// orbit; the SITL sees the whole day. The deadline is the trigger time plus
// Deadline.
type Trigger struct {
	Profile  *mission.Profile
	Catalog  *catalog.Catalog
	Clock    clock.Clock
	Deadline time.Duration // 0: DefaultDeadline
	// Start starts the cycle of a window; started is false when the
	// window's cycle had been started before (running or finished).
	Start func(ctx context.Context, win Window) (id string, started bool, err error)
	Log   *slog.Logger
}

// Handle starts the day's cycle if e completes the day's burst metadata.
// Other events, and files of other products, are ignored.
func (t *Trigger) Handle(ctx context.Context, e events.Event) error {
	if e.Type != events.FileIndexed {
		return nil
	}
	var rec catalog.Record
	if err := json.Unmarshal(e.Detail, &rec); err != nil {
		return fmt.Errorf("sitl trigger: decode event: %w", err)
	}
	bm := t.Profile.Simulation.BurstMetadata
	if bm.Instrument == "" || rec.Kind != "" && rec.Kind != catalog.KindScience ||
		rec.Instrument != bm.Instrument || rec.Rate != bm.Rate || rec.Level != bm.Level || rec.Descriptor != bm.Descriptor {
		return nil
	}
	day := rec.Start.UTC().Truncate(24 * time.Hour)
	recs, err := t.Catalog.Query(ctx, catalog.Filter{SC: t.Profile.Spacecraft, Instrument: []string{bm.Instrument},
		Rate: []string{bm.Rate}, Level: []string{bm.Level}, Descriptor: []string{bm.Descriptor}, From: day, To: day})
	if err != nil {
		return fmt.Errorf("sitl trigger: burst metadata of %s: %w", day.Format(time.DateOnly), err)
	}
	var have []string
	for _, r := range recs {
		if r.Start.Equal(day) && !slices.Contains(have, r.SC) {
			have = append(have, r.SC)
		}
	}
	if len(have) < len(t.Profile.Spacecraft) {
		return nil // wait for the others
	}
	win, err := DayWindow(day, t.Profile.Burst.BufferSeconds)
	if err != nil {
		return fmt.Errorf("sitl trigger: %w", err)
	}
	d := t.Deadline
	if d <= 0 {
		d = DefaultDeadline
	}
	win.Deadline = t.Clock.Now().Add(d).UTC()
	id, started, err := t.Start(ctx, win)
	if err != nil {
		return err
	}
	if started && t.Log != nil {
		t.Log.Info("SITL cycle started", "day", day.Format(time.DateOnly), "execution", id, "deadline", win.Deadline.Format(time.RFC3339))
	}
	return nil
}

// DayWindow is the SITL window of a UTC day: its first buffer boundary at
// or after midnight to the next midnight, in TAI seconds (no deadline).
func DayWindow(day time.Time, bufferSeconds int) (Window, error) {
	day = day.UTC().Truncate(24 * time.Hour)
	start, err := timeutil.UTCToTAI(day)
	if err != nil {
		return Window{}, fmt.Errorf("day %s: %w", day.Format(time.DateOnly), err)
	}
	end, err := timeutil.UTCToTAI(day.AddDate(0, 0, 1))
	if err != nil {
		return Window{}, fmt.Errorf("day %s: %w", day.Format(time.DateOnly), err)
	}
	if b := int64(bufferSeconds); b > 0 && start%b != 0 {
		start += b - start%b
	}
	return Window{StartTAI: start, EndTAI: end}, nil
}

// ExecutionName is the name of a cycle's execution: one per window, so
// starting a window twice is a no-op.
func ExecutionName(cycleID string) string { return "sitl-" + cycleID }

// StartOn returns a Trigger.Start that starts the cycle on the state
// machine machine (a name or ARN) of wf — Step Functions on AWS — named
// after the window. A window started before (same name; Step Functions
// refuses a second execution of a name, running or finished, whose input
// differs) is reported as not started.
func StartOn(wf workflows.Workflows, machine string, clk clock.Clock) func(ctx context.Context, win Window) (string, bool, error) {
	return func(ctx context.Context, win Window) (string, bool, error) {
		in, err := NewInput(win, clk.Now())
		if err != nil {
			return "", false, err
		}
		b, err := json.Marshal(in)
		if err != nil {
			return "", false, fmt.Errorf("sitlcycle: cycle input: %w", err)
		}
		id, err := wf.Start(ctx, machine, ExecutionName(in.CycleID), b)
		if errors.Is(err, workflows.ErrExists) {
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("sitlcycle: start cycle %s: %w", in.CycleID, err)
		}
		return id, true, nil
	}
}
