package jobsenv

import (
	"io"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/lambdaenv/lambdaenvtest"
)

func TestFromEnvNeedsTheCommonConfiguration(t *testing.T) {
	base := map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "EVENT_BUS": "magpie", "TABLE_PREFIX": "magpie-test-"}
	c, err := FromEnv(lambdaenvtest.Env(base, nil), io.Discard)
	if err != nil || c.Dropbox != "drop" || c.Archive != "arch" || c.Bus != "magpie" || c.TablePrefix != "magpie-test-" ||
		c.Profile == nil || c.Profile.ID != "mms" || c.Log == nil {
		t.Fatalf("config %+v %v", c, err)
	}
	for _, cs := range []lambdaenvtest.Case{
		{Over: map[string]string{"DROPBOX_BUCKET": ""}, Want: "DROPBOX_BUCKET"},
		{Over: map[string]string{"ARCHIVE_BUCKET": ""}, Want: "ARCHIVE_BUCKET"},
		{Over: map[string]string{"EVENT_BUS": ""}, Want: "EVENT_BUS"},
		{Over: map[string]string{"LOG_LEVEL": "loud"}, Want: "loud"},
		{Over: map[string]string{"MISSION_PROFILE": "/nonexistent/profile.yaml"}, Want: "profile.yaml"},
	} {
		if _, err := FromEnv(lambdaenvtest.Env(base, cs.Over), io.Discard); err == nil || !strings.Contains(err.Error(), cs.Want) {
			t.Errorf("%v: %v, want an error about %s", cs.Over, err, cs.Want)
		}
	}
}
