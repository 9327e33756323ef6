package burst

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// ContactsTable records the ground-station contacts: one item per
// contact, held or missed, with what each observatory sent.
const ContactsTable = "dsn_contacts"

// ContactsSpec is the contacts table (the stack creates it from this spec).
var ContactsSpec = store.TableSpec{Name: ContactsTable, PK: "pk", SK: "sk"}

const (
	contactsPK       = "contact"
	contactKeyLayout = "2006-01-02T15:04:05.000000000Z"
)

// ContactLog is the record of the contacts (the events dataset's
// dsn_contact rows).
type ContactLog struct {
	tables store.TableStore
}

// OpenContactLog creates the contacts table if needed.
func OpenContactLog(ctx context.Context, tables store.TableStore) (*ContactLog, error) {
	if err := tables.EnsureTable(ctx, ContactsSpec); err != nil {
		return nil, fmt.Errorf("contacts: ensure table: %w", err)
	}
	return &ContactLog{tables: tables}, nil
}

func contactKey(start time.Time) store.Key {
	return store.Key{PK: contactsPK, SK: start.UTC().Format(contactKeyLayout)}
}

// Has says whether the contact starting at start is recorded.
func (c *ContactLog) Has(ctx context.Context, start time.Time) (bool, error) {
	_, err := c.tables.Get(ctx, ContactsTable, contactKey(start))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("contacts: read %s: %w", start.Format(time.RFC3339), err)
	}
	return true, nil
}

// Record stores a contact once: a second record of the same start is
// store.ErrConditionFailed.
func (c *ContactLog) Record(ctx context.Context, ct Contact) error {
	sent, err := json.Marshal(ct.Sent)
	if err != nil {
		return fmt.Errorf("contacts: encode: %w", err)
	}
	k := contactKey(ct.Start)
	it := store.Item{"pk": k.PK, "sk": k.SK, "end": ct.End.UTC().Format(contactKeyLayout), "missed": ct.Missed, "sent": string(sent)}
	if err := c.tables.Put(ctx, ContactsTable, it, store.IfNotExists()); err != nil {
		return fmt.Errorf("contacts: record %s: %w", ct.Start.Format(time.RFC3339), err)
	}
	return nil
}

// List returns the recorded contacts by start.
func (c *ContactLog) List(ctx context.Context) ([]Contact, error) {
	var out []Contact
	q := store.Query{PK: contactsPK}
	for {
		page, err := c.tables.Query(ctx, ContactsTable, q)
		if err != nil {
			return nil, fmt.Errorf("contacts: list: %w", err)
		}
		for _, it := range page.Items {
			start, err1 := time.Parse(contactKeyLayout, it.String("sk"))
			end, err2 := time.Parse(contactKeyLayout, it.String("end"))
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("contacts: item %q: %w", it.String("sk"), err)
			}
			ct := Contact{Start: start, End: end, Missed: it.Bool("missed")}
			if s := it.String("sent"); s != "" && s != "null" {
				if err := json.Unmarshal([]byte(s), &ct.Sent); err != nil {
					return nil, fmt.Errorf("contacts: item %q: sent: %w", it.String("sk"), err)
				}
			}
			out = append(out, ct)
		}
		if page.Cursor == "" {
			return out, nil
		}
		q.Cursor = page.Cursor
	}
}

// RunContact holds the contact ct (unless it is missed): the BDM's pending
// segments go into the playlist in FOM order and up to buffers buffers per
// observatory are downlinked. The contact is recorded with what each of
// spacecraft sent. A contact already recorded (a retry, a restart within
// its period) is not run again: ran is false.
func RunContact(ctx context.Context, b *BDM, log *ContactLog, ct Contact, buffers int, spacecraft []string) (out Contact, ran bool, err error) {
	done, err := log.Has(ctx, ct.Start)
	if err != nil || done {
		return ct, false, err
	}
	if !ct.Missed {
		reports, err := b.Contact(ctx, buffers)
		if err != nil {
			return ct, false, fmt.Errorf("contact %s: %w", ct.Start.Format(time.RFC3339), err)
		}
		ct.Sent = map[string]int{}
		for _, sc := range spacecraft {
			ct.Sent[sc] = 0
		}
		for _, r := range reports {
			ct.Sent[r.Observatory] += r.Buffers
		}
	}
	if err := log.Record(ctx, ct); err != nil {
		return ct, false, err
	}
	return ct, true, nil
}
