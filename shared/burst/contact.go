package burst

import "time"

// Contact is one ground-station contact: a window in which the
// observatories downlink burst buffers from the playlist, or a missed one
// (the station or the link failed) in which nothing is sent.
type Contact struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Missed bool      `json:"missed"`
	// Sent is how many buffers each observatory downlinked during a held
	// contact (filled in by whoever runs the contact).
	Sent map[string]int `json:"sent,omitempty"`
}
