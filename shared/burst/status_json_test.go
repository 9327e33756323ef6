package burst

import (
	"encoding/json"
	"testing"
)

func TestStatusJSON(t *testing.T) {
	b, err := json.Marshal(struct{ S Status }{StatusHeld | StatusModified})
	if err != nil || string(b) != `{"S":"MODIFIED+HELD"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	for _, in := range []string{`"MODIFIED+HELD"`, `"held+modified"`, `10`} {
		var s Status
		if err := json.Unmarshal([]byte(in), &s); err != nil || s != StatusHeld|StatusModified {
			t.Errorf("unmarshal %s: %v %v", in, s, err)
		}
	}
	for _, bad := range []string{`"HELD+SOMETIMES"`, `true`, `-1`} {
		var s Status
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("unmarshal %s: accepted as %v", bad, s)
		}
	}
}
