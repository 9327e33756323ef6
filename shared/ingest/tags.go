package ingest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/store"
)

// TagSuperseded marks an archive object of which a newer version (same
// product and time tag, higher version) is archived; the archive's
// "superseded-files" lifecycle rule moves such objects to a colder class.
const TagSuperseded = "superseded"

// ErrNoTagger means the archive store cannot retag objects in place.
var ErrNoTagger = errors.New("archive store cannot set object tags")

// TagVersions brings the tags of every archived version of rec's file (same
// product, time tag and extension) up to date: each keeps the tags it has
// and gets its level= or kind= tag, and each but the newest superseded=true.
// It only adds tags, so running it again, or after a crash half-way, is
// harmless and finishes the job. It returns how many objects it retagged.
func TagVersions(ctx context.Context, archive store.ObjectStore, cat *catalog.Catalog, rec catalog.Record) (int, error) {
	return tagVersions(ctx, archive, cat, rec, false)
}

// tagVersions is TagVersions; loneTagged says rec's object was just written
// with its tags, so a file with no other version needs no request at all.
func tagVersions(ctx context.Context, archive store.ObjectStore, cat *catalog.Catalog, rec catalog.Record, loneTagged bool) (int, error) {
	group, err := versionGroup(ctx, cat, rec)
	if err != nil {
		return 0, err
	}
	if loneTagged && len(group) == 1 {
		return 0, nil
	}
	newest := group[0]
	for _, r := range group[1:] {
		if olderVersion(newest, r) {
			newest = r
		}
	}
	retagged := 0
	for _, r := range group {
		want := archiveTags(r)
		if r.Name != newest.Name {
			want[TagSuperseded] = "true"
		}
		changed, err := ensureTags(ctx, archive, r.ArchiveKey, want)
		if err != nil {
			return retagged, fmt.Errorf("tag versions of %s: %w", rec.Name, err)
		}
		if changed {
			retagged++
		}
	}
	return retagged, nil
}

// versionGroup returns the cataloged versions of rec's file, rec included
// (also when the catalog does not list it yet).
func versionGroup(ctx context.Context, cat *catalog.Catalog, rec catalog.Record) ([]catalog.Record, error) {
	var f catalog.Filter
	switch rec.Kind {
	case catalog.KindScience:
		f = catalog.Filter{Kind: rec.Kind, SC: []string{rec.SC}, Instrument: []string{rec.Instrument}, Rate: []string{rec.Rate},
			Level: []string{rec.Level}, Descriptor: []string{rec.Descriptor}, Ext: []string{rec.Ext}}
	case catalog.KindAncillary:
		f = catalog.Filter{Kind: rec.Kind, SC: []string{rec.SC}, Product: []string{rec.Product}}
	default:
		return []catalog.Record{rec}, nil // selection files have no versions
	}
	f.From, f.To, f.AllVersions = rec.Start, rec.Start, true
	recs, err := cat.Query(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", rec.Name, err)
	}
	group := []catalog.Record{rec}
	for _, r := range recs {
		if r.Name != rec.Name && r.Ext == rec.Ext && r.Start.Unix() == rec.Start.Unix() && r.End.Unix() == rec.End.Unix() {
			group = append(group, r)
		}
	}
	return group, nil
}

// olderVersion reports whether b is a newer version than a of the same file:
// X.Y.Z compared numerically for science files, the Vnn number for
// ancillary files.
func olderVersion(a, b catalog.Record) bool {
	if a.Kind == catalog.KindScience {
		va, errA := naming.ParseVersion(a.Version)
		vb, errB := naming.ParseVersion(b.Version)
		if errA == nil && errB == nil {
			return va.Compare(vb) < 0
		}
	}
	na, errA := strconv.Atoi(a.Version)
	nb, errB := strconv.Atoi(b.Version)
	if errA == nil && errB == nil {
		return na < nb
	}
	return a.Version < b.Version
}

// ensureTags adds want to the tags of the archive object key, keeping the
// others, and reports whether it had to write.
func ensureTags(ctx context.Context, archive store.ObjectStore, key string, want map[string]string) (bool, error) {
	tagger, ok := archive.(store.Tagger)
	if !ok {
		return false, fmt.Errorf("%s: %w (%T)", key, ErrNoTagger, archive)
	}
	info, err := archive.Head(ctx, key)
	if err != nil {
		return false, fmt.Errorf("head %s: %w", key, err)
	}
	tags := maps.Clone(info.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	changed := false
	for k, v := range want {
		if tags[k] != v {
			tags[k], changed = v, true
		}
	}
	if !changed {
		return false, nil
	}
	if err := tagger.SetTags(ctx, key, tags); err != nil {
		return false, err
	}
	return true, nil
}

// TagHealResult counts one healing pass over the catalog.
type TagHealResult struct {
	Examined int `json:"examined"`
	Retagged int `json:"retagged"`
	// Cursor continues the pass (the catalog change feed's cursor).
	Cursor string `json:"cursor"`
}

// HealTags examines up to limit catalog records after cursor (ingest order;
// "" starts at the first file ever cataloged) and gives their archive
// objects, and those of their other versions, the tags they lack: files
// archived before tagging existed, or whose superseding version arrived
// while tagging failed. Pass the returned cursor to the next call.
func HealTags(ctx context.Context, archive store.ObjectStore, cat *catalog.Catalog, cursor string, limit int, now time.Time) (TagHealResult, error) {
	res := TagHealResult{Cursor: cursor}
	page, err := cat.Changes(ctx, time.Time{}, cursor, limit, now)
	if err != nil {
		return res, fmt.Errorf("heal tags: %w", err)
	}
	type groupKey struct {
		product, ext string
		start, end   int64
	}
	done := map[groupKey]bool{}
	for _, r := range page.Records {
		g := groupKey{r.ProductKey(), r.Ext, r.Start.Unix(), r.End.Unix()}
		res.Examined++
		if done[g] {
			continue
		}
		n, err := TagVersions(ctx, archive, cat, r)
		res.Retagged += n
		if err != nil {
			// Stop here: the cursor stays before this record so the next
			// pass tries it again.
			return res, fmt.Errorf("heal tags: %w", err)
		}
		done[g] = true
	}
	res.Cursor = page.Cursor
	return res, nil
}
