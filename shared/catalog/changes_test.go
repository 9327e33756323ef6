package catalog

import (
	"context"
	"testing"
	"time"
)

// A release after the mirror's cursor passed a file's ingestion moves the
// file to the end of the feed, with what changed; an unchanged release
// moves nothing.
func TestChangeFeedMovesReleasedFilesPastTheCursor(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	a := add(t, c, "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", t0)
	add(t, c, "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", t0.Add(time.Minute))
	now := t0.Add(time.Hour)
	ch, err := c.Changes(ctx, time.Time{}, "", 10, now)
	if err != nil || len(ch.Records) != 2 || ch.Records[0].Change != ChangeIndexed || ch.More {
		t.Fatalf("first read: %+v %v", ch, err)
	}
	// Released two days later: after the cursor, once, as released.
	at := t0.AddDate(0, 0, 2)
	if changed, err := c.SetReleased(ctx, a.Name, true, "R1", at); err != nil || !changed {
		t.Fatalf("release: %v %v", changed, err)
	}
	if changed, _ := c.SetReleased(ctx, a.Name, true, "R1", at.Add(time.Hour)); changed {
		t.Fatal("an unchanged release changed the record")
	}
	// Not before the settle margin has passed: a write stamped just
	// before now may still be in flight.
	if ch, _ := c.Changes(ctx, time.Time{}, ch.Cursor, 10, at.Add(time.Second)); len(ch.Records) != 0 {
		t.Fatalf("read inside the settle margin: %v", names(ch.Records))
	}
	next, err := c.Changes(ctx, time.Time{}, ch.Cursor, 10, at.Add(time.Minute))
	if err != nil || !equal(names(next.Records), []string{a.Name}) {
		t.Fatalf("after release: %v %v", names(next.Records), err)
	}
	got := next.Records[0]
	if got.Change != ChangeReleased || !got.Changed.Equal(at) || !got.Released || got.ReleaseID != "R1" {
		t.Fatalf("released entry: %+v", got)
	}
	// From scratch, each file appears once, at its last change.
	all, _ := c.Changes(ctx, time.Time{}, "", 10, at.Add(time.Minute))
	if !equal(names(all.Records), []string{"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", a.Name}) {
		t.Fatalf("from scratch: %v", names(all.Records))
	}
	// A lagging clock never moves an entry backwards.
	if _, err := c.SetReleased(ctx, a.Name, false, "", at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, _ := c.Get(ctx, a.Name)
	if r.Change != ChangeUnreleased || !r.Changed.After(at) || r.Released {
		t.Fatalf("unreleased with a lagging clock: %+v", r)
	}
}

func TestChangeFeedRejectsBadCursors(t *testing.T) {
	c := newCatalog(t)
	for _, cur := range []string{"garbage!", "e30", "eyJkIjoieCJ9"} { // not base64; {}; {"d":"x"}
		if _, err := c.Changes(context.Background(), time.Time{}, cur, 10, t0); err == nil {
			t.Errorf("cursor %q accepted", cur)
		}
	}
}
