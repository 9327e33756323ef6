// Package release decides what the public may see. L2/L3 science files (and
// ancillary products, which the public clients fetch for orbit and attitude)
// become public when an operator releases them — by instrument, level,
// spacecraft and time range, with a release number and notes — or
// automatically once the profile's embargo after ingestion has passed for an
// instrument and level whose release was approved. Other levels (L1A, L1B,
// QL, SITL, ...) and selection files can never be released.
package release

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
)

// TableName holds release notes and approvals.
const TableName = "releases"

// Spec declares the releases table.
var Spec = store.TableSpec{Name: TableName, PK: "pk", SK: "sk"}

// ErrNotReleasable: the request names something that may never be public.
var ErrNotReleasable = errors.New("release: not releasable")

// Scope selects the files of one release operation.
type Scope struct {
	Kind       string    `json:"kind,omitempty"` // catalog.KindScience (default) or catalog.KindAncillary
	SC         []string  `json:"sc_id,omitempty"`
	Instrument []string  `json:"instrument_id,omitempty"` // science: required
	Rate       []string  `json:"data_rate_mode,omitempty"`
	Level      []string  `json:"data_level,omitempty"` // science: required, public levels only
	Descriptor []string  `json:"descriptor,omitempty"`
	Product    []string  `json:"product,omitempty"` // ancillary: required
	From       time.Time `json:"from,omitzero"`     // time tag bounds, inclusive
	To         time.Time `json:"to,omitzero"`
}

// Note records one release or unrelease operation; notes are served per instrument.
type Note struct {
	Action string    `json:"action"` // "release" or "unrelease"
	Number string    `json:"release"`
	Notes  string    `json:"notes"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Scope  Scope     `json:"scope"`
	Files  int       `json:"files"`
}

// Service runs release operations on the catalog.
type Service struct {
	Catalog *catalog.Catalog
	Tables  store.TableStore
	Profile *mission.Profile
	Clock   clock.Clock
}

// EnsureTable creates the releases table if needed.
func (s *Service) EnsureTable(ctx context.Context) error {
	if err := s.Tables.EnsureTable(ctx, Spec); err != nil {
		return fmt.Errorf("release: ensure table: %w", err)
	}
	return nil
}

func (s *Service) check(sc Scope) (catalog.Filter, error) {
	f := catalog.Filter{Kind: sc.Kind, SC: sc.SC, Instrument: sc.Instrument, Rate: sc.Rate, Level: sc.Level,
		Descriptor: sc.Descriptor, Product: sc.Product, From: sc.From, To: sc.To, AllVersions: true}
	switch sc.Kind {
	case "", catalog.KindScience:
		f.Kind = catalog.KindScience
		if len(sc.Instrument) == 0 || len(sc.Level) == 0 {
			return f, fmt.Errorf("%w: name the instrument(s) and level(s) to release", ErrNotReleasable)
		}
		for _, l := range sc.Level {
			if !s.Profile.IsPublicLevel(l) {
				return f, fmt.Errorf("%w: level %q stays team-only (public levels: %s)", ErrNotReleasable, l,
					strings.Join(s.Profile.Release.PublicLevels, ", "))
			}
		}
	case catalog.KindAncillary:
		if len(sc.Product) == 0 {
			return f, fmt.Errorf("%w: name the ancillary product(s) to release", ErrNotReleasable)
		}
	default:
		return f, fmt.Errorf("%w: %s files are never public", ErrNotReleasable, sc.Kind)
	}
	if !sc.From.IsZero() && !sc.To.IsZero() && sc.To.Before(sc.From) {
		return f, fmt.Errorf("%w: the time range ends before it starts", store.ErrInvalid)
	}
	return f, nil
}

// Release makes the files of scope public under release number and records a
// note. It returns the note (with the count of files whose state changed).
func (s *Service) Release(ctx context.Context, scope Scope, number, notes, by string) (Note, error) {
	if strings.TrimSpace(number) == "" {
		return Note{}, fmt.Errorf("%w: a release needs a release number", store.ErrInvalid)
	}
	return s.apply(ctx, "release", scope, number, notes, by)
}

// Unrelease withdraws the files of scope from the public.
func (s *Service) Unrelease(ctx context.Context, scope Scope, notes, by string) (Note, error) {
	return s.apply(ctx, "unrelease", scope, "", notes, by)
}

func (s *Service) apply(ctx context.Context, action string, scope Scope, number, notes, by string) (Note, error) {
	f, err := s.check(scope)
	if err != nil {
		return Note{}, err
	}
	recs, err := s.Catalog.Query(ctx, f)
	if err != nil {
		return Note{}, fmt.Errorf("release: select files: %w", err)
	}
	n, err := s.setReleased(ctx, recs, action == "release", number)
	note := Note{Action: action, Number: number, Notes: notes, By: by, At: s.Clock.Now().UTC(), Scope: scope, Files: n}
	if err != nil {
		return note, err
	}
	return note, s.saveNote(ctx, note)
}

func (s *Service) setReleased(ctx context.Context, recs []catalog.Record, released bool, number string) (int, error) {
	n := 0
	for _, r := range recs {
		if r.Released == released && r.ReleaseID == number {
			continue
		}
		// The catalog moves the file's change-feed entry to now, so
		// mirrors that read past its ingestion see the release too.
		changed, err := s.Catalog.SetReleased(ctx, r.Name, released, number, s.Clock.Now())
		if err != nil {
			return n, fmt.Errorf("release: %d files changed, then: %w", n, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}

func noteKeys(scope Scope) []string {
	if scope.Kind == catalog.KindAncillary {
		return []string{"ancillary"}
	}
	return scope.Instrument
}

func (s *Service) saveNote(ctx context.Context, note Note) error {
	for _, inst := range noteKeys(note.Scope) {
		it := store.Item{"pk": "NOTES#" + inst, "sk": note.At.Format(time.RFC3339Nano) + "#" + note.Action + "#" + note.Number,
			"action": note.Action, "release": note.Number, "notes": note.Notes, "by": note.By,
			"at": note.At.Format(time.RFC3339Nano), "files": int64(note.Files), "scope": scopeItem(note.Scope)}
		if err := s.Tables.Put(ctx, TableName, it, store.Cond{}); err != nil {
			return fmt.Errorf("release: save note: %w", err)
		}
	}
	return nil
}

// Notes returns the release notes of an instrument (or "ancillary"), newest first.
func (s *Service) Notes(ctx context.Context, instrument string) ([]Note, error) {
	var out []Note
	q := store.Query{PK: "NOTES#" + instrument, Descending: true}
	for {
		page, err := s.Tables.Query(ctx, TableName, q)
		if err != nil {
			return nil, fmt.Errorf("release: notes of %s: %w", instrument, err)
		}
		for _, it := range page.Items {
			at, _ := time.Parse(time.RFC3339Nano, it.String("at"))
			out = append(out, Note{Action: it.String("action"), Number: it.String("release"), Notes: it.String("notes"),
				By: it.String("by"), At: at, Files: int(it.Int("files")), Scope: scopeOf(it["scope"])})
		}
		if page.Cursor == "" {
			return out, nil
		}
		q.Cursor = page.Cursor
	}
}

// Approve allows automatic release of an instrument's level once the
// embargo after ingestion has passed; Revoke withdraws the approval.
func (s *Service) Approve(ctx context.Context, instrument, level, by string) error {
	if _, err := s.check(Scope{Instrument: []string{instrument}, Level: []string{level}}); err != nil {
		return err
	}
	it := store.Item{"pk": "APPROVALS", "sk": instrument + "#" + level, "instrument": instrument, "level": level,
		"by": by, "at": s.Clock.Now().UTC().Format(time.RFC3339)}
	if err := s.Tables.Put(ctx, TableName, it, store.Cond{}); err != nil {
		return fmt.Errorf("release: approve %s %s: %w", instrument, level, err)
	}
	return nil
}

// Revoke removes an approval.
func (s *Service) Revoke(ctx context.Context, instrument, level string) error {
	if err := s.Tables.Delete(ctx, TableName, store.Key{PK: "APPROVALS", SK: instrument + "#" + level}, store.Cond{}); err != nil {
		return fmt.Errorf("release: revoke %s %s: %w", instrument, level, err)
	}
	return nil
}

// Approval is an instrument level approved for automatic release.
type Approval struct {
	Instrument string `json:"instrument_id"`
	Level      string `json:"data_level"`
	By         string `json:"by"`
}

// Approvals lists the approvals, sorted.
func (s *Service) Approvals(ctx context.Context) ([]Approval, error) {
	page, err := s.Tables.Query(ctx, TableName, store.Query{PK: "APPROVALS"})
	if err != nil {
		return nil, fmt.Errorf("release: approvals: %w", err)
	}
	var out []Approval
	for _, it := range page.Items {
		out = append(out, Approval{Instrument: it.String("instrument"), Level: it.String("level"), By: it.String("by")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Instrument+out[i].Level < out[j].Instrument+out[j].Level })
	return out, nil
}

// AutoRelease releases every file of an approved instrument level that was
// ingested at least the profile's embargo (default 30 days) before now. It
// is idempotent; run it daily. The release number is "auto-YYYY-MM-DD".
func (s *Service) AutoRelease(ctx context.Context) (int, error) {
	approvals, err := s.Approvals(ctx)
	if err != nil {
		return 0, err
	}
	days := s.Profile.Release.EmbargoDays
	if days <= 0 {
		days = 30
	}
	now := s.Clock.Now().UTC()
	cutoff := now.AddDate(0, 0, -days)
	number := "auto-" + now.Format(time.DateOnly)
	total := 0
	for _, a := range approvals {
		scope := Scope{Instrument: []string{a.Instrument}, Level: []string{a.Level}}
		f, err := s.check(scope)
		if err != nil {
			continue // the profile changed since the approval; nothing to do
		}
		recs, err := s.Catalog.Query(ctx, f)
		if err != nil {
			return total, fmt.Errorf("release: auto %s %s: %w", a.Instrument, a.Level, err)
		}
		due := recs[:0]
		for _, r := range recs {
			if !r.Released && !r.Ingested.After(cutoff) {
				due = append(due, r)
			}
		}
		n, err := s.setReleased(ctx, due, true, number)
		total += n
		if err != nil {
			return total, err
		}
		if n > 0 {
			note := Note{Action: "release", Number: number, Notes: fmt.Sprintf("automatic: embargo of %d days passed", days),
				By: "magpie", At: now, Scope: scope, Files: n}
			if err := s.saveNote(ctx, note); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

func scopeItem(sc Scope) map[string]any {
	m := map[string]any{"kind": sc.Kind}
	for k, v := range map[string][]string{"sc": sc.SC, "instrument": sc.Instrument, "rate": sc.Rate, "level": sc.Level,
		"descriptor": sc.Descriptor, "product": sc.Product} {
		if len(v) > 0 {
			m[k] = strings.Join(v, ",")
		}
	}
	if !sc.From.IsZero() {
		m["from"] = sc.From.UTC().Format(time.RFC3339)
	}
	if !sc.To.IsZero() {
		m["to"] = sc.To.UTC().Format(time.RFC3339)
	}
	return m
}

func scopeOf(v any) Scope {
	m, _ := v.(map[string]any)
	get := func(k string) []string {
		s, _ := m[k].(string)
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	sc := Scope{Kind: str("kind"), SC: get("sc"), Instrument: get("instrument"), Rate: get("rate"), Level: get("level"),
		Descriptor: get("descriptor"), Product: get("product")}
	sc.From, _ = time.Parse(time.RFC3339, str("from"))
	sc.To, _ = time.Parse(time.RFC3339, str("to"))
	return sc
}
