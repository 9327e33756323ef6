package simulate

import (
	"fmt"
	"math"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"

	"github.com/magpie-sdc/magpie/shared/mission"
)

// maxContacts bounds one schedule listing, so a tiny period over a long
// span is an error rather than an unbounded allocation.
const maxContacts = 1 << 20

// ContactSchedule lists the contacts of cfg that start in [from, to).
// Contacts start every cfg.Every() from the Unix epoch (so 00:00 UTC for a
// period that divides a day); whether one is missed depends only on the
// seed and its start, so any span of the schedule is the same every time
// it is computed.
func ContactSchedule(cfg mission.Contacts, from, to time.Time) ([]burst.Contact, error) {
	if !cfg.Enabled() {
		return nil, fmt.Errorf("contact schedule: no contacts configured")
	}
	every := cfg.Every()
	first := slotOf(every, from)
	if slotStart(every, first).Before(from) {
		first++
	}
	var out []burst.Contact
	for k := first; slotStart(every, k).Before(to); k++ {
		if len(out) == maxContacts {
			return nil, fmt.Errorf("contact schedule: more than %d contacts from %s to %s", maxContacts, from, to)
		}
		out = append(out, contactAt(cfg, k))
	}
	return out, nil
}

// ContactAt is the contact whose period holds t: the last contact that
// starts at or before t.
func ContactAt(cfg mission.Contacts, t time.Time) (burst.Contact, error) {
	if !cfg.Enabled() {
		return burst.Contact{}, fmt.Errorf("contact schedule: no contacts configured")
	}
	return contactAt(cfg, slotOf(cfg.Every(), t)), nil
}

// NextContactStart is the start of the first contact strictly after t.
func NextContactStart(cfg mission.Contacts, t time.Time) (time.Time, error) {
	if !cfg.Enabled() {
		return time.Time{}, fmt.Errorf("contact schedule: no contacts configured")
	}
	return slotStart(cfg.Every(), slotOf(cfg.Every(), t)+1), nil
}

func contactAt(cfg mission.Contacts, k int64) burst.Contact {
	start := slotStart(cfg.Every(), k)
	return burst.Contact{Start: start, End: start.Add(cfg.Duration()), Missed: missed(cfg.Seed, k, cfg.MissedFraction)}
}

// slotOf is the index of the contact period holding t (floor division).
func slotOf(every time.Duration, t time.Time) int64 {
	d := t.UnixNano()
	k := d / int64(every)
	if d%int64(every) < 0 {
		k--
	}
	return k
}

func slotStart(every time.Duration, k int64) time.Time {
	return time.Unix(0, k*int64(every)).UTC()
}

// missed draws contact k's fate from a SplitMix64 hash of the seed and k:
// independent draws, so missed contacts cluster now and then as real
// gaps do, at the configured fraction on average.
func missed(seed, k int64, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	z := uint64(seed)*0x9e3779b97f4a7c15 ^ uint64(k)
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11)/(1<<53) < math.Min(fraction, 1)
}
