package burst

import (
	"context"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// A held contact downlinks held buffers and is recorded with what each
// observatory sent; it runs once; a missed one sends nothing.
func TestRunContactOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clk := clock.NewFake(time.Date(2015, 10, 16, 8, 0, 0, 0, time.UTC))
	sc := []string{"mms1", "mms2"}
	b := testBDM(t, st, clk, sc, 1000)
	if _, err := b.Apply(ctx, []Selection{sel{bufs: 30, fom: 100, obs: "11"}.selection(0), sel{bufs: 20, fom: 50, obs: "10"}.selection(1)}); err != nil {
		t.Fatal(err)
	}
	log, err := OpenContactLog(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	ct := Contact{Start: clk.Now(), End: clk.Now().Add(time.Hour)}
	got, ran, err := RunContact(ctx, b, log, ct, 40, sc)
	if err != nil || !ran {
		t.Fatalf("contact: %+v ran=%v %v", got, ran, err)
	}
	// 40 buffers each: mms1 sends the FOM-100 segment's 30 then 10 of the
	// other; mms2 has only the first segment's 30.
	if got.Sent["mms1"] != 40 || got.Sent["mms2"] != 30 {
		t.Errorf("sent %v, want mms1 40, mms2 30", got.Sent)
	}
	if _, ran, err := RunContact(ctx, b, log, ct, 40, sc); err != nil || ran {
		t.Errorf("the same contact again: ran=%v %v", ran, err)
	}
	missed := Contact{Start: ct.Start.Add(8 * time.Hour), End: ct.End.Add(8 * time.Hour), Missed: true}
	if got, ran, err := RunContact(ctx, b, log, missed, 40, sc); err != nil || !ran || got.Sent != nil {
		t.Errorf("missed contact: %+v ran=%v %v", got, ran, err)
	}
	list, err := log.List(ctx)
	if err != nil || len(list) != 2 || list[0].Sent["mms1"] != 40 || !list[1].Missed {
		t.Errorf("recorded %+v %v", list, err)
	}
}
