package runtime

import (
	"context"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/simulate"
)

// RunContact holds the contact ct on the SDC's BDM (burst.RunContact).
func (w *Workflows) RunContact(ctx context.Context, ct burst.Contact, buffers int) (burst.Contact, bool, error) {
	return burst.RunContact(ctx, w.BDM, w.Contacts, ct, buffers, w.l.Profile.Spacecraft)
}

// runContacts holds the profile's contacts on the clock until ctx ends.
func (l *Local) runContacts(ctx context.Context, w *Workflows) {
	cfg := l.Profile.Simulation.Contacts
	l.every(ctx, func(now time.Time) time.Duration {
		next, err := simulate.NextContactStart(cfg, now)
		if err != nil { // checked before the loop starts
			return 24 * time.Hour
		}
		return next.Sub(now)
	}, func() {
		ct, err := simulate.ContactAt(cfg, l.Clock.Now())
		if err == nil {
			var ran bool
			ct, ran, err = w.RunContact(ctx, ct, cfg.BuffersPerContact)
			if ran {
				total := 0
				for _, n := range ct.Sent {
					total += n
				}
				l.Log.Info("ground contact", "start", ct.Start.Format(time.RFC3339), "missed", ct.Missed, "buffers_sent", total)
			}
		}
		if err != nil {
			l.Log.Error("ground contact", "err", err)
		}
	})
}
