package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// `magpie users --table-prefix` manages a deployed stage's users table:
// the account it adds authenticates against that table, as the api
// function checks HTTP Basic.
func TestUsersOnADeployedTable(t *testing.T) {
	ddb := awstest.Endpoint(t, awstest.DynamoDBEnv)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": ddb, "AWS_REGION": awstest.Region,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "MAGPIE_PASSWORD": "correct horse"} {
		t.Setenv(k, v)
	}
	prefix := awstest.Name("magpie-users-") + "-"
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := usersCommand(append(args[:1:1], append([]string{"--table-prefix", prefix}, args[1:]...)...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := run("add", "--roles", "sitl,scientist", "alice"); code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	if code, _, errs := run("add", "alice"); code != 2 || !strings.Contains(errs, "alice") {
		t.Errorf("adding alice again: %d %q, want exit 2", code, errs)
	}
	if code, out, _ := run("list"); code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "sitl") {
		t.Errorf("list: %d %q", code, out)
	}
	cfg, err := awsstore.LoadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewUsers(awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), prefix), clock.Real{})
	p, err := users.Authenticate(context.Background(), "alice", "correct horse")
	if err != nil || !p.Can(auth.PermSubmit) {
		t.Errorf("authenticate alice: %+v %v", p, err)
	}
	if code, _, errs := run("remove", "alice"); code != 0 {
		t.Errorf("remove: %d %q", code, errs)
	}
	if code, _, _ := run("remove", "alice"); code != 2 {
		t.Errorf("removing alice twice: exit %d, want 2", code)
	}
}
