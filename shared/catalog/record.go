// Package catalog is the file catalog: one record per archived file, keyed by
// its name, with secondary indexes by product and time tag (the queries of the
// web services), by ingestion time (recent files) and by the time of the last
// visible change: ingest, release, unrelease (the change feed mirrors follow). It is
// written once on the table-store port, so the key design is the same on bbolt
// and on DynamoDB.
package catalog

import (
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Record kinds, as naming.Kind prints them.
const (
	KindScience   = "science"
	KindAncillary = "ancillary"
	KindSelection = "selection"
)

// Record describes one archived file.
type Record struct {
	Name string `json:"file_name"`
	Kind string `json:"kind"`
	// Product keys. For ancillary files SC is the lower-case spacecraft or
	// constellation id and Product the lower-case product code; for selection
	// files Product is the selection type.
	SC         string `json:"sc_id,omitempty"`
	Instrument string `json:"instrument_id,omitempty"`
	Rate       string `json:"data_rate_mode,omitempty"`
	Level      string `json:"data_level,omitempty"`
	Descriptor string `json:"descriptor,omitempty"`
	Product    string `json:"product,omitempty"`
	Ext        string `json:"ext"`
	// Start is the time tag (science), the start date (ancillary) or the
	// creation time (selection files); End only for ancillary files.
	Start      time.Time `json:"start"`
	End        time.Time `json:"end,omitzero"`
	TimeDigits int       `json:"time_digits,omitempty"`
	// Version is X.Y.Z for science files and the Vnn number for ancillary files.
	Version      string    `json:"version"`
	Size         int64     `json:"file_size"`
	SHA256       string    `json:"sha256"`
	Ingested     time.Time `json:"ingested"`
	ArchiveKey   string    `json:"archive_key"`
	StorageClass string    `json:"storage_class"`
	Status       string    `json:"status"`
	Released     bool      `json:"released"`
	ReleaseID    string    `json:"release_id,omitempty"`
	// Change says what last changed visibly (ChangeIndexed, ChangeReleased,
	// ChangeUnreleased) and Changed when: the record's place in the change feed.
	Change  string    `json:"change,omitempty"`
	Changed time.Time `json:"changed,omitzero"`
	// Revision counts updates to the record (release, storage class); writes
	// check it so concurrent updates never overwrite each other.
	Revision int64 `json:"revision"`
}

// StatusArchived is the status of a file whose archive copy and record exist.
const StatusArchived = "archived"

// FromName fills the product keys, time and version of a record from a
// parsed file name.
func FromName(n naming.Name) (Record, error) {
	r := Record{Name: n.String(), ArchiveKey: n.ArchiveKey(), Status: StatusArchived, StorageClass: store.ClassStandard}
	switch v := n.(type) {
	case naming.Science:
		r.Kind = KindScience
		r.SC, r.Instrument, r.Rate, r.Level, r.Descriptor = v.SC, v.Instrument, v.Rate, v.Level, v.Descriptor
		r.Ext, r.Start, r.TimeDigits, r.Version = v.Ext, v.Start, v.TimeDigits, v.Version.String()
	case naming.Ancillary:
		r.Kind = KindAncillary
		r.SC, r.Product, r.Start, r.End = v.SCID(), v.ProductCode(), v.Start, v.End
		r.Version = fmt.Sprintf("%d", v.Version)
	case naming.Selection:
		r.Kind = KindSelection
		r.Product, r.Start, r.Ext = string(v.Type), v.Created, v.Ext
	default:
		return Record{}, fmt.Errorf("catalog: unsupported name kind %T", n)
	}
	return r, nil
}

// ProductKey is the partition of the by-product index the record belongs to.
func (r Record) ProductKey() string {
	switch r.Kind {
	case KindScience:
		return "P#" + r.SC + "#" + r.Instrument + "#" + r.Rate + "#" + r.Level + "#" + r.Descriptor
	case KindAncillary:
		return "A#" + r.SC + "#" + r.Product
	default:
		return "S#" + r.Product
	}
}

// timeKey orders records of one product: time tag, then version (numerically,
// through fixed-width components), then name for uniqueness of order.
func (r Record) timeKey() string {
	t := "T#" + r.Start.UTC().Format("20060102150405")
	switch r.Kind {
	case KindScience:
		v, err := naming.ParseVersion(r.Version)
		if err != nil {
			return t + "#V#" + r.Version
		}
		return t + "#V#" + v.Sortable()
	case KindAncillary:
		return t + "#E#" + r.End.UTC().Format("20060102") + "#V#" + fmt.Sprintf("%05s", r.Version)
	default:
		return t
	}
}

// groupID identifies the records among which only the newest version is
// current: same product, same time tag (and end date) to the second, same
// extension. A comparable struct rather than a joined string, so grouping
// allocates nothing per record.
type groupID struct {
	kind, sc, instrument, rate, level, descriptor, product, ext string
	start, end                                                  int64 // Unix seconds
}

func (r Record) groupKey() groupID {
	return groupID{kind: r.Kind, sc: r.SC, instrument: r.Instrument, rate: r.Rate, level: r.Level,
		descriptor: r.Descriptor, product: r.Product, ext: r.Ext, start: r.Start.Unix(), end: r.End.Unix()}
}

// newer reports whether a is a newer version than b of the same group.
func newer(a, b Record) bool {
	if a.Kind == KindScience {
		va, errA := naming.ParseVersion(a.Version)
		vb, errB := naming.ParseVersion(b.Version)
		if errA == nil && errB == nil {
			return va.Compare(vb) > 0
		}
	}
	return a.timeKey() > b.timeKey()
}
