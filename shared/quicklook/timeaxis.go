package quicklook

import (
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/quicklook/chart"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// timeAxis is the shared x axis. Its coordinate is SI seconds since the
// start in TT2000, so a day with a leap second is 86401 s long and data
// need no per-sample conversion; tick positions are converted instead.
type timeAxis struct {
	span  float64      // seconds from Start to End
	ticks []chart.Tick // labelled major ticks and unlabelled minor ones
	label string       // axis title with the date(s)
}

// tickSteps are the candidate major tick intervals with their minor
// subdivision, smallest first.
var tickSteps = [...]struct{ major, minor time.Duration }{
	{time.Second, 0},
	{2 * time.Second, time.Second},
	{5 * time.Second, time.Second},
	{10 * time.Second, 2 * time.Second},
	{15 * time.Second, 5 * time.Second},
	{30 * time.Second, 10 * time.Second},
	{time.Minute, 10 * time.Second},
	{2 * time.Minute, 30 * time.Second},
	{5 * time.Minute, time.Minute},
	{10 * time.Minute, 2 * time.Minute},
	{15 * time.Minute, 5 * time.Minute},
	{30 * time.Minute, 10 * time.Minute},
	{time.Hour, 15 * time.Minute},
	{2 * time.Hour, 30 * time.Minute},
	{3 * time.Hour, time.Hour},
	{4 * time.Hour, time.Hour},
	{6 * time.Hour, time.Hour},
	{12 * time.Hour, 3 * time.Hour},
	{24 * time.Hour, 6 * time.Hour},
	{48 * time.Hour, 12 * time.Hour},
	{7 * 24 * time.Hour, 24 * time.Hour},
}

// pxPerMajorTick keeps time labels ("00:00:00" is ~45 px) well apart.
const pxPerMajorTick = 100

// newTimeAxis picks ticks for [start, end) on an image widthPx wide; t0 is
// start in TT2000.
func newTimeAxis(start, end time.Time, t0 int64, widthPx int) (timeAxis, error) {
	start, end = start.UTC(), end.UTC()
	t1, err := timeutil.UTCToTT2000(end)
	if err != nil {
		return timeAxis{}, err
	}
	ax := timeAxis{span: float64(t1-t0) / 1e9, label: axisLabel(start, end)}

	maxMajor := max(2, widthPx/pxPerMajorTick)
	dur := end.Sub(start)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if dur/s.major <= time.Duration(maxMajor) {
			step = s
			break
		}
	}
	for dur/step.major > time.Duration(maxMajor) { // spans of months
		step.major *= 2
		step.minor *= 2
	}

	multiDay := dur > 24*time.Hour
	add := func(t time.Time, label string) error {
		tt, err := timeutil.UTCToTT2000(t)
		if err != nil {
			return err
		}
		ax.ticks = append(ax.ticks, chart.Tick{Value: float64(tt-t0) / 1e9, Label: label})
		return nil
	}
	for t := ceilTime(start, step.major); !t.After(end); t = t.Add(step.major) {
		if err := add(t, tickLabel(t, step.major, multiDay)); err != nil {
			return timeAxis{}, err
		}
	}
	if step.minor > 0 {
		for t := ceilTime(start, step.minor); !t.After(end); t = t.Add(step.minor) {
			if t.Truncate(step.major).Equal(t) {
				continue // already a major tick
			}
			if err := add(t, ""); err != nil {
				return timeAxis{}, err
			}
		}
	}
	return ax, nil
}

// ceilTime is the first multiple of d at or after t. Go time has no leap
// seconds, so multiples of divisors of a day fall on UTC midnights.
func ceilTime(t time.Time, d time.Duration) time.Time {
	c := t.Truncate(d)
	if c.Before(t) {
		c = c.Add(d)
	}
	return c
}

// tickLabel formats a major tick: the date when ticks are days apart or at
// midnight of a multi-day axis (with the year once they are months apart),
// otherwise the time of day.
func tickLabel(t time.Time, major time.Duration, multiDay bool) string {
	midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	switch {
	case major >= 28*24*time.Hour: // months apart: the year matters
		return t.Format("2006-01-02")
	case major >= 24*time.Hour, multiDay && midnight:
		return t.Format("Jan 2")
	case major < time.Minute:
		return t.Format("15:04:05")
	default:
		return t.Format("15:04")
	}
}

// axisLabel names the time scale and the date(s) covered.
func axisLabel(start, end time.Time) string {
	const day = "2006-01-02"
	last := end.Add(-time.Nanosecond) // End is exclusive
	if last.Format(day) == start.Format(day) {
		return fmt.Sprintf("Time (UTC)  %s", start.Format(day))
	}
	return fmt.Sprintf("Time (UTC)  %s to %s", start.Format(day), last.Format(day))
}
