package sdc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
)

// FunctionTag is the tag every Lambda carries with its functions/<name>,
// so tests and operators can tell which code a function runs.
const FunctionTag = "magpie:function"

// Resources are what the functions and workflows are wired to.
type Resources struct {
	Settings Settings
	Storage  *Storage
	Tables   *Tables
	Bus      awsevents.EventBus
	// ProfileBundled: the assets hold profile.yaml (a non-default profile).
	ProfileBundled bool
	// Profile is the mission profile the stage deploys.
	Profile *mission.Profile
}

// FunctionSpec says how one functions/<name> is deployed: its size and its
// wiring (environment, least-privilege grants, triggers).
type FunctionSpec struct {
	Description    string
	MemoryMB       int
	TimeoutSeconds int
	Wire           func(fn awslambda.Function, r *Resources)
	// Provides are the placeholders of statemachines/* the function fills
	// besides its own <Name>FunctionArn: one function may serve several
	// steps (it tells them apart by the payload).
	Provides []string
	// RespondsToTasks: the function completes the task-token waits of the
	// state machines that invoke it (states:SendTaskSuccess, granted per
	// state machine by NewWorkflows).
	RespondsToTasks bool
}

// FunctionSpecs has one entry per functions/<name>. NewFunctions fails for a
// function directory without an entry, so nothing is left undeployed.
var FunctionSpecs = map[string]FunctionSpec{
	"indexer": {
		Description:    "Validates, archives, catalogs and announces files dropped into the dropbox",
		MemoryMB:       1024,
		TimeoutSeconds: indexerTimeoutSeconds,
		Wire: func(fn awslambda.Function, r *Resources) {
			st := r.Storage
			fn.AddEnvironment(jsii.String("DROPBOX_BUCKET"), st.Dropbox.BucketName(), nil)
			fn.AddEnvironment(jsii.String("ARCHIVE_BUCKET"), st.Archive.BucketName(), nil)
			fn.AddEnvironment(jsii.String("EVENT_BUS"), r.Bus.EventBusName(), nil)
			// Reads files and removes them once archived; writes only rejects
			// (under quarantine/).
			st.Dropbox.GrantRead(fn, nil)
			st.Dropbox.GrantDelete(fn, jsii.String("*"))
			st.Dropbox.GrantPut(fn, jsii.String("quarantine/*"))
			// Creates archive objects (create-only in code) and reads them
			// back to verify; never deletes (the bucket policy denies it).
			// GrantPut includes s3:PutObjectTagging: older versions are
			// tagged superseded=true when a new one arrives.
			st.Archive.GrantPut(fn, jsii.String("*"))
			st.Archive.GrantRead(fn, nil)
			r.Tables.ByName[catalog.TableName].GrantReadWriteData(fn)
			r.Bus.GrantPutEventsTo(fn, nil)
			fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(st.Ingest, &awslambdaeventsources.SqsEventSourceProps{
				BatchSize:               jsii.Number(10),
				MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(5)),
				ReportBatchItemFailures: jsii.Bool(true),
				// Caps concurrent indexers (protects the catalog table)
				// without reserving account concurrency.
				MaxConcurrency: jsii.Number(float64(max(2, r.Settings.IndexerConcurrency))),
			}))
		},
	},
	"reprocess": {
		Description: "Reprocessing campaigns: plan, estimate, run jobs, summarize (statemachines/reprocess.asl.json)",
		// run-job runs a processor on its inputs: the longest step.
		MemoryMB:       2048,
		TimeoutSeconds: 900,
		Provides:       []string{"PlanFunctionArn", "EstimateFunctionArn", "RunJobFunctionArn", "SummarizeFunctionArn"},
		Wire: func(fn awslambda.Function, r *Resources) {
			// Runs jobs as the processor does (shared/lambdaenv/jobsenv), plus
			// the campaigns' own data.
			wireJobs(fn, r)
			st := r.Storage
			fn.AddEnvironment(jsii.String("CAMPAIGN_BUCKET"), st.Workflow.BucketName(), nil)
			// Item lists and Map results of campaigns only.
			st.Workflow.GrantRead(fn, jsii.String(campaignPrefix+"*"))
			st.Workflow.GrantPut(fn, jsii.String(campaignPrefix+"*"))
			r.Tables.ByName[CampaignsSpec.Name].GrantReadWriteData(fn)
			grantEnsureTables(fn, r, CampaignsSpec.Name)
		},
	},
	"sitl": {
		Description:    "SITL cycle steps: ABS, SITL waits, validation, BDM, playlists (statemachines/sitl-cycle.asl.json)",
		MemoryMB:       512,
		TimeoutSeconds: 60,
		Provides: []string{"BuildAbsFunctionArn", "AwaitSitlFunctionArn", "ValidateFunctionArn", "ApplyFunctionArn",
			"WritePlaylistFunctionArn", "RecordCycleFunctionArn"},
		RespondsToTasks: true,
		Wire: func(fn awslambda.Function, r *Resources) {
			st := r.Storage
			fn.AddEnvironment(jsii.String("ARCHIVE_BUCKET"), st.Archive.BucketName(), nil)
			fn.AddEnvironment(jsii.String("PLAYLIST_BUCKET"), st.Workflow.BucketName(), nil)
			// SITLDeadlineMissed, when a cycle falls back to ABS.
			fn.AddEnvironment(jsii.String("EVENT_BUS"), r.Bus.EventBusName(), nil)
			r.Bus.GrantPutEventsTo(fn, nil)
			// Burst metadata comes from the archive, found through the
			// catalog; playlists are written (and checked) under playlists/.
			st.Archive.GrantRead(fn, nil)
			r.Tables.ByName[catalog.TableName].GrantReadData(fn)
			st.Workflow.GrantRead(fn, jsii.String(playlistPrefix+"*"))
			st.Workflow.GrantPut(fn, jsii.String(playlistPrefix+"*"))
			for _, t := range []string{BDMSpec.Name, SitlSpec.Name} {
				r.Tables.ByName[t].GrantReadWriteData(fn)
			}
			grantEnsureTables(fn, r, BDMSpec.Name, SitlSpec.Name)
		},
	},
	"processor": {
		Description: "Event-driven pipeline: plans and runs the jobs each indexed file enables; starts SITL cycles",
		// Runs processors, as reprocess's run-job does.
		MemoryMB:       2048,
		TimeoutSeconds: processorTimeoutSeconds,
		Wire:           wireProcessor,
	},
	"sweeper": {
		Description: "Schedules: dropbox sweep for files whose event was missed; nightly re-plan of NOTRUN and retry of FAILED jobs; simulated ground contacts",
		// The nightly sweep runs processors, as reprocess's run-job does.
		MemoryMB:       2048,
		TimeoutSeconds: 900,
		Wire: func(fn awslambda.Function, r *Resources) {
			// The environment and grants of shared/lambdaenv/jobsenv.
			wireJobs(fn, r)
			// The nightly sweep's automatic releases (approvals, notes).
			r.Tables.ByName[release.TableName].GrantReadWriteData(fn)
			if expr, ok := contactSchedule(r.Profile); ok {
				// The simulated ground contacts (shared/lambdaenv/sweeper's
				// contact task) downlink burst buffers from the BDM and
				// record each contact.
				for _, t := range []string{BDMSpec.Name, burst.ContactsTable} {
					r.Tables.ByName[t].GrantReadWriteData(fn)
				}
				grantEnsureTables(fn, r, BDMSpec.Name, burst.ContactsTable)
				awsevents.NewRule(fn, jsii.String("ContactSchedule"), &awsevents.RuleProps{
					Description: jsii.String("invokes the sweeper with {\"task\":\"contact\"} at each simulated ground contact"),
					Schedule:    awsevents.Schedule_Expression(jsii.String(expr)),
					Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
						Event:         awsevents.RuleTargetInput_FromObject(map[string]string{"task": "contact"}),
						RetryAttempts: jsii.Number(2),
					})},
				})
			}
			for _, s := range SweeperSchedules {
				awsevents.NewRule(fn, jsii.String(s.ID), &awsevents.RuleProps{
					Description: jsii.String("invokes the sweeper with {\"task\":\"" + s.Task + "\"}"),
					Schedule:    awsevents.Schedule_Expression(jsii.String(s.Expression)),
					Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
						Event:         awsevents.RuleTargetInput_FromObject(map[string]string{"task": s.Task}),
						RetryAttempts: jsii.Number(2),
					})},
				})
			}
		},
	},
	"api": {
		Description:    "HTTP API: MMS SDC web services, JSON API and pages",
		MemoryMB:       512,
		TimeoutSeconds: 29, // API Gateway's integration limit
		Wire: func(fn awslambda.Function, r *Resources) {
			st := r.Storage
			// The environment of shared/lambdaenv/api.Build.
			fn.AddEnvironment(jsii.String("DROPBOX_BUCKET"), st.Dropbox.BucketName(), nil)
			fn.AddEnvironment(jsii.String("ARCHIVE_BUCKET"), st.Archive.BucketName(), nil)
			// Downloads are redirects to URLs presigned with the function's
			// role (so it reads the archive); uploads go to the dropbox's
			// upload/ and from there through the indexer like any other
			// file; the team's
			// quarantine page reads the reasons next to rejected files.
			st.Archive.GrantRead(fn, nil)
			st.Dropbox.GrantPut(fn, jsii.String("upload/*"))
			st.Dropbox.GrantRead(fn, jsii.String("quarantine/*"))
			// Catalog and jobs are read; releases and users are written
			// (release operations, the token secret on first use).
			r.Tables.ByName[catalog.TableName].GrantReadWriteData(fn)
			r.Tables.ByName[pipeline.JobsSpec.Name].GrantReadData(fn)
			for _, t := range []string{UsersSpec.Name, release.TableName} {
				r.Tables.ByName[t].GrantReadWriteData(fn)
			}
		},
	},
}

// SweeperSchedules are the EventBridge rules invoking the sweeper, each
// with its task as the constant input (shared/lambdaenv/sweeper). They are
// constants, not stage settings: Settings.Schedules starts state machines,
// and these periods are the design's (runtime.ScheduleConfig locally), not
// a stage's choice. Nightly is 03:00 UTC, after the day's last downlinks.
var SweeperSchedules = []struct{ ID, Task, Expression string }{
	{"DropboxSweepSchedule", "dropbox-sweep", "rate(15 minutes)"},
	{"NightlySchedule", "nightly", "cron(0 3 * * ? *)"},
}

// contactSchedule is when the profile's simulated ground contacts start
// (every every_hours from 00:00 UTC), as an EventBridge expression; false
// when the profile simulates none. A period that divides the day becomes a
// cron on the contact hours; any other a rate, which fires once in each
// period (the contact task holds the contact of the period it runs in).
func contactSchedule(p *mission.Profile) (string, bool) {
	if p == nil || !p.Simulation.Contacts.Enabled() {
		return "", false
	}
	every := p.Simulation.Contacts.Every()
	if every >= time.Hour && every%time.Hour == 0 && 24*time.Hour%every == 0 {
		h := int(every / time.Hour)
		if h == 24 {
			return "cron(0 0 * * ? *)", true
		}
		return fmt.Sprintf("cron(0 0/%d * * ? *)", h), true
	}
	return fmt.Sprintf("rate(%d minutes)", max(1, int(every/time.Minute))), true
}

// grantEnsureTables lets a function run its repositories' EnsureTable at
// start-up: the awsstore adapter asks CreateTable first and takes "in use"
// for "exists", so the call is allowed on exactly these (existing) tables.
func grantEnsureTables(fn awslambda.Function, r *Resources, names ...string) {
	var arns []*string
	for _, n := range names {
		arns = append(arns, r.Tables.ByName[n].TableArn())
	}
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:CreateTable"),
		Resources: &arns,
	}))
}

// Prefixes of the workflow bucket: campaigns' item lists and Map results
// (the prefix statemachines/reprocess.asl.json's ResultWriter uses), and
// SITL playlists (sitlcycle.PlaylistKey).
const (
	campaignPrefix = "campaigns/"
	playlistPrefix = "playlists/"
)

// Functions holds the deployed Lambdas by name.
type Functions struct {
	ByName map[string]awslambda.Function
	Names  []string // sorted
}

// FunctionDirs lists functions/<name> directories (those with a main.go).
func FunctionDirs(functionsDir string) ([]string, error) {
	entries, err := os.ReadDir(functionsDir)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(functionsDir, e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// NewFunctions deploys every functions/<name> from its built asset
// assetsDir/<name>/bootstrap (see `make functions`).
func NewFunctions(scope constructs.Construct, id string, r *Resources, functionsDir, assetsDir string) (*Functions, error) {
	names, err := FunctionDirs(functionsDir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, name := range names {
		if _, ok := FunctionSpecs[name]; !ok {
			errs = append(errs, fmt.Errorf("functions/%s has no FunctionSpec in infra/sdc/functions.go: it would not be deployed", name))
		}
		if _, err := os.Stat(filepath.Join(assetsDir, name, "bootstrap")); err != nil {
			errs = append(errs, fmt.Errorf("function %s is not built (run make functions): %w", name, err))
		}
	}
	provider := map[string]string{}
	for _, name := range names {
		for _, p := range append([]string{constructID(name) + "FunctionArn"}, FunctionSpecs[name].Provides...) {
			if other, ok := provider[p]; ok {
				errs = append(errs, fmt.Errorf("functions %s and %s both provide ${%s}", other, name, p))
			}
			provider[p] = name
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	fs := &Functions{ByName: map[string]awslambda.Function{}, Names: names}
	for _, name := range names {
		spec := FunctionSpecs[name]
		logs := awslogs.NewLogGroup(c, jsii.String(constructID(name)+"Logs"), &awslogs.LogGroupProps{
			Retention:     r.Settings.LogRetention(),
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		env := map[string]*string{
			"TABLE_PREFIX": jsii.String(r.Settings.TablePrefix()),
			"LOG_LEVEL":    jsii.String("info"),
		}
		if r.ProfileBundled {
			env["MISSION_PROFILE"] = jsii.String("/var/task/profile.yaml")
		}
		fn := awslambda.NewFunction(c, jsii.String(constructID(name)), &awslambda.FunctionProps{
			Description:  jsii.String(spec.Description),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(assetsDir, name)), nil),
			MemorySize:   jsii.Number(float64(spec.MemoryMB)),
			Timeout:      awscdk.Duration_Seconds(jsii.Number(float64(spec.TimeoutSeconds))),
			Tracing:      awslambda.Tracing_ACTIVE,
			LogGroup:     logs,
			Environment:  &env,
		})
		awscdk.Tags_Of(fn).Add(jsii.String(FunctionTag), jsii.String(name), nil)
		spec.Wire(fn, r)
		fs.ByName[name] = fn
	}
	return fs, nil
}
