package sdc

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
)

// fixtureMachine uses every kind of placeholder the stack provides.
const fixtureMachine = `{"StartAt": "Index", "States": {
  "Index": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "${IndexerFunctionArn}", "Payload": {"table": "${CatalogTableName}"}}, "Next": "Tell"},
  "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
    "Parameters": {"TopicArn": "${SitlTopicArn}", "Message": "window open"}, "Next": "Announce"},
  "Announce": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
    "Parameters": {"Entries": [{"EventBusName": "${EventBusName}", "Source": "magpie.mms", "DetailType": "X", "Detail": {}}]}, "End": true}}}`

// fixture lays out a repository with the given functions (each with a fake
// built asset) and state machines.
func fixture(t testing.TB, functions []string, machines map[string]string) (root string) {
	t.Helper()
	root = t.TempDir()
	for _, f := range functions {
		mustWrite(t, filepath.Join(root, "functions", f, "main.go"), "package main\n")
		mustWrite(t, filepath.Join(root, "dist", "functions", f, "bootstrap"), "not a real binary")
	}
	if err := os.MkdirAll(filepath.Join(root, "statemachines"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range machines {
		mustWrite(t, filepath.Join(root, "statemachines", name+".asl.json"), body)
	}
	return root
}

func mustWrite(t testing.TB, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testSettings(t testing.TB) Settings {
	t.Helper()
	s, err := SettingsFromContext(map[string]any{"test": map[string]any{
		"region": "us-east-1", "alarmEmail": "ops@example.org", "logRetentionDays": 30,
		"schedules": map[string]any{"cycle": "rate(1 day)"},
	}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func profile(t testing.TB) *mission.Profile {
	t.Helper()
	p, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The full stack is synthesized once (jsii makes a synth cost seconds) and
// shared by the assertion tests, with cdk-nag's AwsSolutions checks applied.
var full struct {
	once     sync.Once
	sdc      *SDC
	template assertions.Template
	json     map[string]any
	err      error
}

func fullStack(t *testing.T) (*SDC, assertions.Template, map[string]any) {
	t.Helper()
	full.once.Do(func() {
		root := fixture(t, []string{"indexer", "api", "sweeper"}, map[string]string{"cycle": fixtureMachine})
		app := awscdk.NewApp(nil)
		full.sdc, full.err = NewStack(app, "Test", Props{Settings: testSettings(t), Profile: profile(t), Root: root})
		if full.err != nil {
			return
		}
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		full.template = assertions.Template_FromStack(full.sdc.Stack, nil)
		b, _ := json.Marshal(full.template.ToJSON())
		full.err = json.Unmarshal(b, &full.json)
	})
	if full.err != nil {
		t.Fatal(full.err)
	}
	return full.sdc, full.template, full.json
}

// resources returns the template's resources of a type, by logical id.
func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSettingsFromContext(t *testing.T) {
	s := testSettings(t)
	if s.TablePrefix() != "magpie-test-" || s.AccessLogDays != 365 || s.RateLimit != 2000 || s.LogRetentionDays != 30 {
		t.Errorf("defaults: %+v", s)
	}
	for name, c := range map[string]struct {
		stages any
		stage  string
	}{
		"no stage":           {map[string]any{"a": map[string]any{}}, ""},
		"unknown stage":      {map[string]any{"a": map[string]any{}}, "b"},
		"not an object":      {"x", "a"},
		"bad retention":      {map[string]any{"ab": map[string]any{"logRetentionDays": 31}}, "ab"},
		"domain, no cert":    {map[string]any{"ab": map[string]any{"domain": "sdc.example.org"}}, "ab"},
		"bad stage name":     {map[string]any{"Prod!": map[string]any{}}, "Prod!"},
		"misspelt setting":   {map[string]any{"ab": map[string]any{"rateLimit": "many"}}, "ab"},
		"rate limit too low": {map[string]any{"ab": map[string]any{"rateLimit": 10}}, "ab"},
	} {
		if _, err := SettingsFromContext(c.stages, c.stage); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBucketsArePrivateTLSOnlyEncryptedAndRetained(t *testing.T) {
	_, _, raw := fullStack(t)
	buckets := resources(raw, "AWS::S3::Bucket")
	if len(buckets) != 5 {
		t.Fatalf("%d buckets, want dropbox, archive, public, workflow, access logs", len(buckets))
	}
	for id, b := range buckets {
		p := props(b)
		pab := js(p["PublicAccessBlockConfiguration"])
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if !strings.Contains(pab, `"`+k+`":true`) {
				t.Errorf("%s: %s not set: %s", id, k, pab)
			}
		}
		if p["BucketEncryption"] == nil {
			t.Errorf("%s: not encrypted", id)
		}
		if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: deletion policy %v", id, b["DeletionPolicy"])
		}
	}
	policies := resources(raw, "AWS::S3::BucketPolicy")
	tls := 0
	for id, pol := range policies {
		doc := js(props(pol)["PolicyDocument"])
		if strings.Contains(doc, `"aws:SecureTransport":"false"`) {
			tls++
		}
		// Nothing is public: the only statements for everyone are denials;
		// CloudFront reads through OAC as a service principal.
		for _, st := range props(pol)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			s := st.(map[string]any)
			if s["Effect"] == "Allow" && (js(s["Principal"]) == `"*"` || strings.Contains(js(s["Principal"]), `"AWS":"*"`)) {
				t.Errorf("%s: public statement %s", id, js(s))
			}
		}
	}
	if tls != len(buckets) {
		t.Errorf("%d of %d buckets deny non-TLS requests", tls, len(buckets))
	}
	immutable := false
	for _, pol := range policies {
		doc := js(props(pol)["PolicyDocument"])
		immutable = immutable || strings.Contains(doc, `"Effect":"Deny"`) && strings.Contains(doc, `"Sid":"ArchiveIsImmutable"`) && strings.Contains(doc, `"s3:DeleteObjectVersion"`)
	}
	if !immutable {
		t.Error("the archive does not deny deletes")
	}
}

func TestArchiveLifecycleComesFromTheProfile(t *testing.T) {
	_, _, raw := fullStack(t)
	var archive map[string]any
	for _, b := range resources(raw, "AWS::S3::Bucket") {
		if js(props(b)["VersioningConfiguration"]) == `{"Status":"Enabled"}` {
			if archive != nil {
				t.Fatal("more than one versioned bucket")
			}
			archive = props(b)
		}
	}
	if archive == nil {
		t.Fatal("no versioned (archive) bucket")
	}
	rules := map[string]map[string]any{}
	for _, r := range archive["LifecycleConfiguration"].(map[string]any)["Rules"].([]any) {
		rule := r.(map[string]any)
		rules[rule["Id"].(string)] = rule
	}
	p := profile(t)
	for _, lr := range p.Archive.Lifecycle {
		for _, level := range lr.Levels {
			rule, ok := rules["level-"+level]
			if !ok {
				t.Errorf("no lifecycle rule for level %s", level)
				continue
			}
			if got := js(rule["TagFilters"]); got != `[{"Key":"level","Value":"`+level+`"}]` {
				t.Errorf("level %s: tag filter %s", level, got)
			}
			ts := rule["Transitions"].([]any)
			if len(ts) != len(lr.Transitions) {
				t.Fatalf("level %s: %d transitions, want %d", level, len(ts), len(lr.Transitions))
			}
			for i, want := range lr.Transitions {
				got := ts[i].(map[string]any)
				if got["StorageClass"] != want.Class || got["TransitionInDays"] != float64(want.Days) {
					t.Errorf("level %s transition %d: %v, want %+v", level, i, got, want)
				}
			}
		}
	}
	if js(rules["noncurrent-versions"]["NoncurrentVersionTransitions"]) != `[{"StorageClass":"DEEP_ARCHIVE","TransitionInDays":30}]` {
		t.Errorf("noncurrent versions: %v", rules["noncurrent-versions"])
	}
	if js(rules["superseded-files"]["TagFilters"]) != `[{"Key":"superseded","Value":"true"}]` {
		t.Errorf("superseded files: %v", rules["superseded-files"])
	}
}

func TestDropboxNotifiesTheIndexerThroughAQueueWithDLQ(t *testing.T) {
	_, tpl, _ := fullStack(t)
	tpl.HasResourceProperties(jsii.String("Custom::S3BucketNotifications"), map[string]any{
		"NotificationConfiguration": map[string]any{"QueueConfigurations": []any{
			assertions.Match_ObjectLike(&map[string]any{"Events": []any{"s3:ObjectCreated:*"}}),
		}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
		"RedrivePolicy":     map[string]any{"maxReceiveCount": ingestMaxReceives},
		"VisibilityTimeout": 6 * indexerTimeoutSeconds,
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		"ScalingConfig":         map[string]any{"MaximumConcurrency": 50},
	})
}

func TestTablesMatchTheRepositories(t *testing.T) {
	_, tpl, raw := fullStack(t)
	if n := len(resources(raw, "AWS::DynamoDB::Table")); n != len(TableSpecs) {
		t.Errorf("%d tables, want %d", n, len(TableSpecs))
	}
	for _, spec := range TableSpecs {
		keys := []any{map[string]any{"AttributeName": spec.PK, "KeyType": "HASH"}}
		if spec.SK != "" {
			keys = append(keys, map[string]any{"AttributeName": spec.SK, "KeyType": "RANGE"})
		}
		var gsis []any
		for _, ix := range spec.Indexes {
			gsis = append(gsis, assertions.Match_ObjectLike(&map[string]any{"IndexName": ix.Name, "KeySchema": []any{
				map[string]any{"AttributeName": ix.PK, "KeyType": "HASH"}, map[string]any{"AttributeName": ix.SK, "KeyType": "RANGE"},
			}, "Projection": map[string]any{"ProjectionType": "ALL"}}))
		}
		want := map[string]any{
			"TableName":                        "magpie-test-" + spec.Name,
			"KeySchema":                        keys,
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"DeletionProtectionEnabled":        true,
			"GlobalSecondaryIndexes":           gsis,
		}
		if len(gsis) == 0 {
			want["GlobalSecondaryIndexes"] = assertions.Match_Absent()
		}
		tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Retain",
			"Properties":     assertions.Match_ObjectLike(&want),
		})
	}
}

func TestFunctionsAreArmAL2023TracedWithRetainedLogs(t *testing.T) {
	_, tpl, raw := fullStack(t)
	fns := resources(raw, "AWS::Lambda::Function")
	tagged := 0
	for id, fn := range fns {
		p := props(fn)
		if !strings.Contains(js(p["Tags"]), FunctionTag) {
			continue // CDK's own helpers (bucket notifications)
		}
		tagged++
		if p["Runtime"] != "provided.al2023" || js(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v %v %v", id, p["Runtime"], p["Architectures"], p["Handler"])
		}
		if js(p["TracingConfig"]) != `{"Mode":"Active"}` {
			t.Errorf("%s: tracing %v", id, p["TracingConfig"])
		}
		if p["LoggingConfig"] == nil {
			t.Errorf("%s: no log group of its own", id)
		}
		if !strings.Contains(js(p["Environment"]), `"TABLE_PREFIX":"magpie-test-"`) {
			t.Errorf("%s: environment %s", id, js(p["Environment"]))
		}
	}
	if tagged != 3 { // the fixture's indexer, api and sweeper
		t.Errorf("%d Magpie functions, want 3", tagged)
	}
	tpl.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
			"DROPBOX_BUCKET": assertions.Match_AnyValue(), "ARCHIVE_BUCKET": assertions.Match_AnyValue(),
			"EVENT_BUS": assertions.Match_AnyValue(), "TABLE_PREFIX": "magpie-test-", "LOG_LEVEL": "info",
		})},
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": FunctionTag, "Value": "indexer"}}),
	})
}

// rolePolicies returns the statements of the policies attached to the role
// of the resource with the given tag value.
func rolePolicies(t *testing.T, raw map[string]any, typ, roleProp, tag, value string) []map[string]any {
	t.Helper()
	var role string
	for _, r := range resources(raw, typ) {
		if strings.Contains(js(props(r)["Tags"]), `{"Key":"`+tag+`","Value":"`+value+`"}`) {
			role = props(r)[roleProp].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		}
	}
	if role == "" {
		t.Fatalf("no %s tagged %s=%s", typ, tag, value)
	}
	var out []map[string]any
	for _, p := range resources(raw, "AWS::IAM::Policy") {
		if !strings.Contains(js(props(p)["Roles"]), `"Ref":"`+role+`"`) {
			continue
		}
		for _, s := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

func actions(s map[string]any) []string {
	switch a := s["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

func TestIndexerHasLeastPrivilege(t *testing.T) {
	_, _, raw := fullStack(t)
	stmts := rolePolicies(t, raw, "AWS::Lambda::Function", "Role", FunctionTag, "indexer")
	has := map[string]bool{}
	for _, s := range stmts {
		for _, a := range actions(s) {
			has[a] = true
			if a == "*" || strings.HasSuffix(a, ":*") {
				t.Errorf("service-wide action %s", a)
			}
			if s["Resource"] == "*" && !strings.HasPrefix(a, "xray:") {
				t.Errorf("%s on every resource", a)
			}
			if strings.HasPrefix(a, "s3:PutObject") && !strings.Contains(js(s["Resource"]), "/*") {
				t.Errorf("put on a bucket, not objects: %s", js(s))
			}
		}
	}
	for _, want := range []string{"s3:PutObject", "s3:DeleteObject*", "dynamodb:PutItem", "events:PutEvents", "sqs:ReceiveMessage", "xray:PutTraceSegments"} {
		if !has[want] {
			t.Errorf("indexer lacks %s (has %v)", want, has)
		}
	}
	// The dropbox takes only rejects; the archive is never deleted from.
	for _, s := range stmts {
		res := js(s["Resource"])
		for _, a := range actions(s) {
			if a == "s3:PutObject" && strings.Contains(res, "Dropbox") && !strings.Contains(res, "/quarantine/*") {
				t.Errorf("indexer may write anywhere in the dropbox: %s", res)
			}
			if strings.HasPrefix(a, "s3:DeleteObject") && strings.Contains(res, "Archive") {
				t.Errorf("indexer may delete from the archive: %s", res)
			}
		}
	}
}

// The sweeper runs on three schedules (the MMS profile simulates ground
// contacts every 8 hours), each rule invoking it with its task, with the
// indexer's, the pipeline's and the contacts' permissions and nothing wider.
func TestSweeperRunsOnSchedulesWithLeastPrivilege(t *testing.T) {
	_, tpl, raw := fullStack(t)
	var sweeperID string
	for id, r := range resources(raw, "AWS::Lambda::Function") {
		if strings.Contains(js(props(r)["Tags"]), `{"Key":"`+FunctionTag+`","Value":"sweeper"}`) {
			sweeperID = id
		}
	}
	if sweeperID == "" {
		t.Fatal("no sweeper function")
	}
	for _, c := range []struct{ expr, input string }{
		{"rate(15 minutes)", `{"task":"dropbox-sweep"}`},
		{"cron(0 3 * * ? *)", `{"task":"nightly"}`},
		{"cron(0 0/8 * * ? *)", `{"task":"contact"}`},
	} {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": c.expr,
			"State":              "ENABLED",
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":   map[string]any{"Fn::GetAtt": []any{sweeperID, "Arn"}},
				"Input": c.input,
			})},
		})
	}
	// EventBridge may invoke it: one permission per rule.
	perms := 0
	for _, p := range resources(raw, "AWS::Lambda::Permission") {
		if props(p)["Principal"] == "events.amazonaws.com" && strings.Contains(js(props(p)["FunctionName"]), sweeperID) {
			perms++
		}
	}
	if perms != 3 {
		t.Errorf("%d EventBridge invoke permissions on the sweeper, want 3", perms)
	}
	has := map[string]bool{}
	for _, s := range rolePolicies(t, raw, "AWS::Lambda::Function", "Role", FunctionTag, "sweeper") {
		res := js(s["Resource"])
		for _, a := range actions(s) {
			has[a] = true
			if a == "*" || strings.HasSuffix(a, ":*") {
				t.Errorf("service-wide action %s", a)
			}
			if s["Resource"] == "*" && !strings.HasPrefix(a, "xray:") {
				t.Errorf("%s on every resource", a)
			}
			if strings.HasPrefix(a, "s3:DeleteObject") && strings.Contains(res, "Archive") {
				t.Errorf("sweeper may delete from the archive: %s", res)
			}
			if strings.HasPrefix(a, "dynamodb:") && !strings.Contains(res, "Catalog") && !strings.Contains(res, "Jobs") &&
				!strings.Contains(res, "Bdm") && !strings.Contains(res, "DsnContacts") && !strings.Contains(res, "Releases") {
				t.Errorf("%s beyond the catalog, jobs, releases, BDM and contacts tables: %s", a, res)
			}
		}
	}
	for _, want := range []string{"s3:GetObject*", "s3:List*", "s3:PutObject", "s3:DeleteObject*", "dynamodb:PutItem",
		"dynamodb:Query", "dynamodb:CreateTable", "events:PutEvents"} {
		if !has[want] {
			t.Errorf("sweeper lacks %s (has %v)", want, has)
		}
	}
}

func TestStateMachinesAreLoadedFromFilesWithSubstitutions(t *testing.T) {
	_, tpl, raw := fullStack(t)
	tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"DefinitionString": fixtureMachine,
		"DefinitionSubstitutions": map[string]any{
			"IndexerFunctionArn": assertions.Match_AnyValue(), "CatalogTableName": assertions.Match_AnyValue(),
			"SitlTopicArn": assertions.Match_AnyValue(), "EventBusName": assertions.Match_AnyValue(),
		},
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ALL"}),
		"Tags":                 assertions.Match_ArrayWith(&[]any{map[string]any{"Key": StateMachineTag, "Value": "cycle"}}),
	})
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"ScheduleExpression": "rate(1 day)",
		"Targets":            assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Arn": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("Cycle"))}})}),
	})
	// Permissions follow the placeholders: invoke the indexer, publish to
	// the SITL topic, put events, use the catalog; nothing else.
	has := map[string]bool{}
	for _, s := range rolePolicies(t, raw, "AWS::StepFunctions::StateMachine", "RoleArn", StateMachineTag, "cycle") {
		for _, a := range actions(s) {
			has[a] = true
		}
	}
	for _, want := range []string{"lambda:InvokeFunction", "sns:Publish", "events:PutEvents", "dynamodb:PutItem"} {
		if !has[want] {
			t.Errorf("state machine lacks %s", want)
		}
	}
	for a := range has {
		if strings.HasPrefix(a, "s3:") {
			t.Errorf("state machine got %s though it names no bucket", a)
		}
	}
}

func TestAccessHasAuthCDNAndRateLimit(t *testing.T) {
	_, tpl, raw := fullStack(t)
	for _, role := range Roles {
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolGroup"), map[string]any{"GroupName": role})
	}
	tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{"MfaConfiguration": "ON",
		"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true}})
	// The groups are Magpie's roles, which the api function reads from
	// the token's cognito:groups.
	if strings.Join(Roles, ",") != "scientist,sitl,super-sitl,operator" {
		t.Errorf("groups %v are not the auth roles", Roles)
	}
	// The HTTP API: every route a Lambda proxy (payload 2.0) to the api
	// function, with no API Gateway authorizer: every path serves the
	// public and HTTP Basic too, so the function verifies Cognito tokens
	// itself, given the pool and client ids; access logs on.
	tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(1))
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{"ProtocolType": "HTTP"})
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
		"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"})
	tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Authorizer"), jsii.Number(0))
	routes := resources(raw, "AWS::ApiGatewayV2::Route")
	auths := map[string]string{}
	for _, r := range routes {
		auth, _ := props(r)["AuthorizationType"].(string)
		auths[props(r)["RouteKey"].(string)] = auth
	}
	if len(auths) != 2 {
		t.Errorf("routes %v, want ANY / and ANY /{proxy+} only", auths)
	}
	for _, key := range []string{"ANY /{proxy+}", "ANY /"} {
		if got, ok := auths[key]; !ok || got != "" && got != "NONE" {
			t.Errorf("route %s: authorization %q (present %v), want none; routes %v", key, got, ok, auths)
		}
	}
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
			"USER_POOL_ID":        map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("Users"))},
			"USER_POOL_CLIENT_ID": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("UsersWeb"))},
		})},
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": FunctionTag, "Value": "api"}}),
	})
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
		"StageName": "$default", "AutoDeploy": true, "AccessLogSettings": assertions.Match_ObjectLike(&map[string]any{})})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
		"Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"})
	tpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
	tpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), map[string]any{
		"Scope": "CLOUDFRONT",
		"Rules": []any{assertions.Match_ObjectLike(&map[string]any{"Statement": map[string]any{
			"RateBasedStatement": map[string]any{"Limit": 2000, "AggregateKeyType": "IP"}}})},
	})
	dists := resources(raw, "AWS::CloudFront::Distribution")
	for _, d := range dists {
		cfg := js(props(d)["DistributionConfig"])
		for _, want := range []string{`"WebACLId":`, `"ViewerProtocolPolicy":"redirect-to-https"`, `"Logging":`} {
			if !strings.Contains(cfg, want) {
				t.Errorf("distribution lacks %s", want)
			}
		}
	}
}

func TestMonitoringAlarmsNotifyTheTopic(t *testing.T) {
	_, tpl, raw := fullStack(t)
	alarms := resources(raw, "AWS::CloudWatch::Alarm")
	var names []string
	for id, a := range alarms {
		names = append(names, id)
		if !strings.Contains(js(props(a)["AlarmActions"]), "AlarmsTopic") {
			t.Errorf("%s notifies %s", id, js(props(a)["AlarmActions"]))
		}
	}
	all := strings.Join(names, " ")
	for _, want := range []string{"IngestBacklogAge", "IngestDLQDepth", "IndexerErrors", "IndexerThrottles",
		"CycleFailed", "JobFailures", "DataLatency", "SITLDeadlineMissed", "API5xx", "APILatency"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %s alarm among %s", want, all)
		}
	}
	tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
	tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "email", "Endpoint": "ops@example.org"})
	tpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{"KmsMasterKeyId": assertions.Match_AnyValue()})
}

func TestNagAwsSolutionsHasNoUnsuppressedErrors(t *testing.T) {
	s, _, _ := fullStack(t)
	for _, level := range []string{"error", "warning"} {
		var msgs *[]*cxapi.SynthesisMessage
		if level == "error" {
			msgs = assertions.Annotations_FromStack(s.Stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		} else {
			msgs = assertions.Annotations_FromStack(s.Stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		}
		for _, m := range *msgs {
			line := *m.Id + ": " + strings.SplitN(js(m.Entry.Data), `\n`, 2)[0]
			if level == "error" {
				t.Error(line)
			} else {
				t.Log("warning " + line)
			}
		}
	}
}

func TestCfnLint(t *testing.T) {
	_, _, raw := fullStack(t)
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("MAGPIE_REQUIRE_CFNLINT") != "" {
			t.Fatal("cfn-lint not found")
		}
		t.Skip("cfn-lint not installed")
	}
	path := filepath.Join(os.TempDir(), "magpie-test.template.json") // kept for a look after a failure
	mustWrite(t, path, js(raw))
	if out, err := exec.Command(lint, "--ignore-checks", "W3005", "W3045", "--", path).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

func TestUnwiredFunctionsAndStateMachinesFail(t *testing.T) {
	cases := map[string]struct {
		functions []string
		machines  map[string]string
		want      string
	}{
		"function without spec": {[]string{"indexer", "nosuch"}, nil, "functions/nosuch has no FunctionSpec"},
		"function not built":    {nil, nil, ""},
		"unknown placeholder":   {[]string{"indexer"}, map[string]string{"m": `{"x": "${BuildAbsFunctionArn}"}`}, "${BuildAbsFunctionArn}"},
		"definition not JSON":   {[]string{"indexer"}, map[string]string{"m": `{"x": `}, "not valid JSON"},
		"stray ${":              {[]string{"indexer"}, map[string]string{"m": `{"Comment": "see ${...}"}`}, "not a ${Name} placeholder"},
	}
	for name, c := range cases {
		root := fixture(t, c.functions, c.machines)
		if name == "function not built" {
			mustWrite(t, filepath.Join(root, "functions", "indexer", "main.go"), "package main\n")
			c.want = "function indexer is not built"
		}
		_, err := NewStack(awscdk.NewApp(nil), "T", Props{Settings: testSettings(t), Profile: profile(t), Root: root})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}

// repoStack is the stack built from this repository (fake assets: the
// wiring, not the binaries, is under test), built once.
var repo struct {
	once     sync.Once
	sdc      *SDC
	json     map[string]any
	names    []string
	machines []string
	err      error
}

func repoStack(t *testing.T) (*SDC, map[string]any, []string, []string) {
	t.Helper()
	repo.once.Do(func() { repo.sdc, repo.json, repo.names, repo.machines, repo.err = buildRepoStack(t) })
	if repo.err != nil {
		t.Fatal(repo.err)
	}
	return repo.sdc, repo.json, repo.names, repo.machines
}

func buildRepoStack(t *testing.T) (*SDC, map[string]any, []string, []string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	names, err := FunctionDirs(filepath.Join(root, "functions"))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	assets := t.TempDir()
	for _, n := range names {
		mustWrite(t, filepath.Join(assets, n, "bootstrap"), "x")
	}
	machines, err := StateMachineFiles(filepath.Join(root, "statemachines"))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, err := NewStack(awscdk.NewApp(nil), "Repo", Props{Settings: testSettings(t), Profile: profile(t), Root: root, Assets: assets})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("the repository's stack does not build: %w", err)
	}
	var raw map[string]any
	b, _ := json.Marshal(assertions.Template_FromStack(s.Stack, nil).ToJSON())
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, nil, nil, err
	}
	return s, raw, names, machines, nil
}

// TestWorkflowFunctionsHaveLeastPrivilege checks the reprocess and sitl
// functions get what their builders use (shared/lambdaenv), scoped.
func TestWorkflowFunctionsHaveLeastPrivilege(t *testing.T) {
	_, raw, names, _ := repoStack(t)
	for _, c := range []struct {
		fn           string
		want, forbid []string // actions; forbid: "action@resource part"
		scoped       map[string]string
	}{
		{fn: "reprocess",
			want:   []string{"s3:PutObject", "dynamodb:PutItem", "dynamodb:CreateTable", "events:PutEvents"},
			forbid: []string{"states:SendTaskSuccess", "sns:Publish"},
			// Workflow bucket access stays under campaigns/.
			scoped: map[string]string{"Workflow": "/campaigns/*", "CreateTable": ""}},
		{fn: "sitl",
			want:   []string{"s3:PutObject", "dynamodb:PutItem", "dynamodb:CreateTable", "states:SendTaskSuccess", "events:PutEvents"},
			forbid: []string{"s3:DeleteObject*", "sqs:ReceiveMessage"},
			scoped: map[string]string{"Workflow": "/playlists/*"}},
		{fn: "api",
			want: []string{"s3:GetObject*", "s3:PutObject", "dynamodb:Query", "dynamodb:PutItem",
				"states:StartExecution", "states:ListExecutions", "states:DescribeExecution", "states:SendTaskSuccess"},
			forbid: []string{"s3:DeleteObject*", "dynamodb:CreateTable", "events:PutEvents", "states:SendTaskFailure",
				"states:SendTaskHeartbeat", "states:StopExecution", "sqs:ReceiveMessage"},
			scoped: map[string]string{"Workflow": "-none-"}},
	} {
		if !slices.Contains(names, c.fn) {
			t.Errorf("no functions/%s", c.fn)
			continue
		}
		has := map[string]bool{}
		for _, s := range rolePolicies(t, raw, "AWS::Lambda::Function", "Role", FunctionTag, c.fn) {
			res := js(s["Resource"])
			for _, a := range actions(s) {
				has[a] = true
				if a == "*" || strings.HasSuffix(a, ":*") || (s["Resource"] == "*" && !strings.HasPrefix(a, "xray:")) {
					t.Errorf("%s: %s on %s", c.fn, a, res)
				}
				if strings.HasPrefix(a, "s3:") && strings.Contains(res, "Workflow") && !strings.Contains(res, c.scoped["Workflow"]) {
					t.Errorf("%s: %s beyond %s of the workflow bucket: %s", c.fn, a, c.scoped["Workflow"], res)
				}
				if strings.HasPrefix(a, "s3:Delete") && strings.Contains(res, "Archive") {
					t.Errorf("%s may delete from the archive: %s", c.fn, res)
				}
				if a == "states:SendTaskSuccess" && !strings.Contains(res, "SitlCycle") {
					t.Errorf("%s answers tasks of %s, want the sitl-cycle state machine only", c.fn, res)
				}
				if c.fn == "api" && strings.HasPrefix(a, "s3:") && strings.Contains(res, "Dropbox") &&
					!strings.Contains(res, "/upload/*") && !strings.Contains(res, "/quarantine/*") {
					t.Errorf("api: %s on the dropbox beyond upload/ and quarantine/: %s", a, res)
				}
				if c.fn == "api" && a == "s3:PutObject" && !strings.Contains(res, "/upload/*") {
					t.Errorf("api may write %s", res)
				}
				if a == "dynamodb:CreateTable" && strings.Contains(res, "Catalog") {
					t.Errorf("%s may create the catalog: %s", c.fn, res)
				}
			}
		}
		for _, a := range c.want {
			if !has[a] {
				t.Errorf("%s lacks %s (has %v)", c.fn, a, has)
			}
		}
		for _, a := range c.forbid {
			if has[a] {
				t.Errorf("%s has %s, which it does not use", c.fn, a)
			}
		}
	}
	// The functions' environment names the resources their builders need.
	for fn, vars := range map[string][]string{
		"reprocess": {"DROPBOX_BUCKET", "ARCHIVE_BUCKET", "CAMPAIGN_BUCKET", "EVENT_BUS", "TABLE_PREFIX"},
		"sitl":      {"ARCHIVE_BUCKET", "PLAYLIST_BUCKET", "EVENT_BUS", "TABLE_PREFIX"},
		"api":       {"DROPBOX_BUCKET", "ARCHIVE_BUCKET", "TABLE_PREFIX", envReprocessARN, envSITLARN},
	} {
		for _, r := range resources(raw, "AWS::Lambda::Function") {
			if !strings.Contains(js(props(r)["Tags"]), `{"Key":"`+FunctionTag+`","Value":"`+fn+`"}`) {
				continue
			}
			env := js(props(r)["Environment"])
			for _, v := range vars {
				if !strings.Contains(env, `"`+v+`"`) {
					t.Errorf("%s: no %s in %s", fn, v, env)
				}
			}
		}
	}
}

// TestRepositoryIsWired builds the stack from this repository: every
// functions/* and statemachines/*.asl.json must be deployed by it.
func TestRepositoryIsWired(t *testing.T) {
	s, _, names, machines := repoStack(t)
	tpl := assertions.Template_FromStack(s.Stack, nil)
	for _, n := range names {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": FunctionTag, "Value": n}})})
	}
	for _, m := range machines {
		tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": StateMachineTag, "Value": m}})})
	}
}

// TestAPISteersExactlyTheWorkflowsItServes checks the api function's Step
// Functions access: the ARNs of the two state machines its campaign and
// SITL routes use (shared/lambdaenv/api workflows.go), and on each exactly
// the actions it calls, nothing on any other machine.
func TestAPISteersExactlyTheWorkflowsItServes(t *testing.T) {
	_, raw, _, _ := repoStack(t)
	machine := map[string]string{} // file name -> logical id
	for id, r := range resources(raw, "AWS::StepFunctions::StateMachine") {
		for _, name := range []string{reprocessMachine, sitlMachine} {
			if strings.Contains(js(props(r)["Tags"]), `{"Key":"`+StateMachineTag+`","Value":"`+name+`"}`) {
				machine[name] = id
			}
		}
	}
	if len(machine) != 2 {
		t.Fatalf("state machines %v, want %s and %s", machine, reprocessMachine, sitlMachine)
	}
	var env map[string]any
	for _, r := range resources(raw, "AWS::Lambda::Function") {
		if strings.Contains(js(props(r)["Tags"]), `{"Key":"`+FunctionTag+`","Value":"api"}`) {
			env, _ = props(r)["Environment"].(map[string]any)["Variables"].(map[string]any)
		}
	}
	for v, name := range map[string]string{envReprocessARN: reprocessMachine, envSITLARN: sitlMachine} {
		if got, want := js(env[v]), `{"Ref":"`+machine[name]+`"}`; got != want {
			t.Errorf("api %s = %s, want %s", v, got, want)
		}
	}
	got := map[string]string{} // action -> resource
	for _, s := range rolePolicies(t, raw, "AWS::Lambda::Function", "Role", FunctionTag, "api") {
		for _, a := range actions(s) {
			if strings.HasPrefix(a, "states:") {
				if _, dup := got[a]; dup {
					t.Errorf("%s granted twice", a)
				}
				got[a] = js(s["Resource"])
			}
		}
	}
	want := map[string]string{
		"states:StartExecution":    `{"Ref":"` + machine[reprocessMachine] + `"}`,
		"states:ListExecutions":    `{"Ref":"` + machine[reprocessMachine] + `"}`,
		"states:SendTaskSuccess":   `{"Ref":"` + machine[sitlMachine] + `"}`,
		"states:DescribeExecution": machine[reprocessMachine], // in the execution ARN, below
	}
	if len(got) != len(want) {
		t.Errorf("api has Step Functions actions %v, want exactly %v", got, want)
	}
	for a, w := range want {
		if a == "states:DescribeExecution" {
			if !strings.Contains(got[a], ":execution:") || !strings.Contains(got[a], `"`+w+`"`) || !strings.Contains(got[a], ":*") {
				t.Errorf("%s on %s, want the executions of %s", a, got[a], w)
			}
			continue
		}
		if got[a] != w {
			t.Errorf("%s on %s, want %s", a, got[a], w)
		}
	}
}

// constString returns the value of the string constant name in a Go file.
func constString(t *testing.T, file, name string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name != name || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}
			}
		}
	}
	t.Fatalf("no string constant %s in %s", name, file)
	return ""
}

// TestAlarmMetricsAreWhatTheCodeEmits ties the alarms to the code that
// feeds them: the EMF namespace and metric name of shared/telemetry (read
// from its source: infra does not link it), and the domain event types of
// shared/events, published as source magpie.<mission>.
func TestAlarmMetricsAreWhatTheCodeEmits(t *testing.T) {
	metrics := filepath.Join("..", "..", "shared", "telemetry", "metrics.go")
	if ns := constString(t, metrics, "MetricsNamespace"); ns != MetricsNamespace {
		t.Errorf("telemetry emits namespace %q, the alarms watch %q", ns, MetricsNamespace)
	}
	if m := constString(t, metrics, "MetricDataLatency"); m != dataLatencyMetric {
		t.Errorf("telemetry emits %q, the latency alarm watches %q", m, dataLatencyMetric)
	}
	_, tpl, raw := fullStack(t)
	tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": MetricsNamespace, "MetricName": dataLatencyMetric,
	})
	if _, ok := raw["Resources"].(map[string]any); !ok {
		t.Fatal("no resources")
	}
	for _, typ := range []string{events.JobFailed, events.SITLDeadlineMissed} {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventPattern": map[string]any{"source": []any{"magpie." + profile(t).ID}, "detail-type": []any{typ}},
		})
	}
}

// TestArchiveWritersMayTagObjects: the indexer, the sweeper and reprocess
// tag older versions superseded (ingest.TagVersions) and heal tags.
func TestArchiveWritersMayTagObjects(t *testing.T) {
	_, raw, _, _ := repoStack(t)
	for _, fn := range []string{"indexer", "sweeper", "reprocess"} {
		ok := false
		for _, s := range rolePolicies(t, raw, "AWS::Lambda::Function", "Role", FunctionTag, fn) {
			if slices.Contains(actions(s), "s3:PutObjectTagging") && strings.Contains(js(s["Resource"]), "Archive") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s may not tag archive objects", fn)
		}
	}
}
