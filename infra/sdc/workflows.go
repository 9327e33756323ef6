package sdc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StateMachineTag is the tag every state machine carries with its file name
// (statemachines/<name>.asl.json).
const StateMachineTag = "magpie:statemachine"

const aslSuffix = ".asl.json"

// Workflows holds the state machines by file name (without .asl.json).
type Workflows struct {
	ByName    map[string]awsstepfunctions.StateMachine
	Names     []string // sorted
	SitlTopic awssns.Topic
}

// StateMachineFiles lists statemachines/*.asl.json by name.
func StateMachineFiles(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*"+aslSuffix))
	if err != nil {
		return nil, fmt.Errorf("list state machines: %w", err)
	}
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), aslSuffix))
	}
	sort.Strings(names)
	return names, nil
}

// placeholderRe matches the ${Name} placeholders of a definition, which
// DefinitionSubstitutions fills in at deployment.
var placeholderRe = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// substitution is one value a definition may refer to, and the permission
// the state machine needs to use it.
type substitution struct {
	value *string
	grant func(awsiam.IGrantable)
}

// substitutions are every ${Name} a definition may use:
// <Function>FunctionArn, <Table>TableName, <Table>TableArn,
// <Bucket>BucketName, CampaignBucket, EventBusName, EventBusArn, AlarmTopicArn, SitlTopicArn.
func substitutions(r *Resources, fns *Functions, topic, sitl awssns.ITopic) map[string]substitution {
	subs := map[string]substitution{}
	for name, fn := range fns.ByName {
		invoke := substitution{fn.FunctionArn(), func(g awsiam.IGrantable) { fn.GrantInvoke(g) }}
		for _, p := range append([]string{constructID(name) + "FunctionArn"}, FunctionSpecs[name].Provides...) {
			subs[p] = invoke
		}
	}
	for name, t := range r.Tables.ByName {
		grant := func(g awsiam.IGrantable) { t.GrantReadWriteData(g) }
		subs[constructID(name)+"TableName"] = substitution{t.TableName(), grant}
		subs[constructID(name)+"TableArn"] = substitution{t.TableArn(), grant}
	}
	for name, b := range map[string]awss3.IBucket{"Dropbox": r.Storage.Dropbox, "Archive": r.Storage.Archive, "Public": r.Storage.Public,
		"Workflow": r.Storage.Workflow} {
		subs[name+"BucketName"] = substitution{b.BucketName(), func(g awsiam.IGrantable) { b.GrantRead(g, nil); b.GrantPut(g, nil) }}
	}
	// The reprocessing campaign's Map reads item lists and writes results
	// under campaigns/ of the workflow bucket.
	wfb := r.Storage.Workflow
	subs["CampaignBucket"] = substitution{wfb.BucketName(), func(g awsiam.IGrantable) {
		wfb.GrantRead(g, jsii.String(campaignPrefix+"*"))
		wfb.GrantPut(g, jsii.String(campaignPrefix+"*"))
	}}
	busGrant := func(g awsiam.IGrantable) { r.Bus.GrantPutEventsTo(g, nil) }
	subs["EventBusName"] = substitution{r.Bus.EventBusName(), busGrant}
	subs["EventBusArn"] = substitution{r.Bus.EventBusArn(), busGrant}
	subs["AlarmTopicArn"] = substitution{topic.TopicArn(), func(g awsiam.IGrantable) { topic.GrantPublish(g) }}
	subs["SitlTopicArn"] = substitution{sitl.TopicArn(), func(g awsiam.IGrantable) { sitl.GrantPublish(g) }}
	return subs
}

// NewWorkflows deploys every statemachines/<name>.asl.json as it is: the
// file is the definition, and its ${Name} placeholders are filled in with
// DefinitionSubstitutions. Each state machine gets exactly the permissions
// of the resources its placeholders name, logging (ALL) and X-Ray tracing.
func NewWorkflows(scope constructs.Construct, id string, r *Resources, fns *Functions, topic awssns.ITopic, dir string) (*Workflows, error) {
	names, err := StateMachineFiles(dir)
	if err != nil {
		return nil, err
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	wf := &Workflows{ByName: map[string]awsstepfunctions.StateMachine{}, Names: names}
	// The on-duty SITL subscribes to this topic (e-mail) to hear that a
	// selection window is open.
	wf.SitlTopic = awssns.NewTopic(c, jsii.String("SitlTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Magpie " + r.Settings.Stage + " SITL notices"),
		MasterKey:   awskms.Alias_FromAliasName(c, jsii.String("SnsKey"), jsii.String("alias/aws/sns")),
		EnforceSSL:  jsii.Bool(true),
	})
	subs := substitutions(r, fns, topic, wf.SitlTopic)
	var errs []error
	for _, name := range names {
		body, err := os.ReadFile(filepath.Join(dir, name+aslSuffix))
		if err != nil {
			return nil, fmt.Errorf("state machine %s: %w", name, err)
		}
		if !json.Valid(body) {
			errs = append(errs, fmt.Errorf("statemachines/%s%s is not valid JSON", name, aslSuffix))
			continue
		}
		// CloudFormation takes any other ${...} for a substitution it lacks.
		if n := strings.Count(string(body), "${"); n != len(placeholderRe.FindAllString(string(body), -1)) {
			errs = append(errs, fmt.Errorf("statemachines/%s%s: a ${ is not a ${Name} placeholder", name, aslSuffix))
			continue
		}
		used := map[string]*string{}
		var grants []func(awsiam.IGrantable)
		responders := map[string]bool{} // functions that complete this machine's task tokens
		var unknown []string
		for _, m := range placeholderRe.FindAllStringSubmatch(string(body), -1) {
			s, ok := subs[m[1]]
			if _, seen := used[m[1]]; seen {
				continue
			}
			used[m[1]] = s.value
			if !ok {
				unknown = append(unknown, "${"+m[1]+"}")
				continue
			}
			grants = append(grants, s.grant)
			if fn := provider(fns, m[1]); fn != "" && FunctionSpecs[fn].RespondsToTasks {
				responders[fn] = true
			}
		}
		if len(unknown) > 0 {
			errs = append(errs, fmt.Errorf("statemachines/%s%s: nothing in the stack provides %s (a <Name>FunctionArn needs functions/<name>; known: %s)",
				name, aslSuffix, strings.Join(unknown, " "), strings.Join(sortedKeys(subs), " ")))
			continue
		}
		logs := awslogs.NewLogGroup(c, jsii.String(constructID(name)+"Logs"), &awslogs.LogGroupProps{
			// The vendedlogs prefix keeps CloudWatch Logs' resource policy small.
			LogGroupName:  jsii.String("/aws/vendedlogs/states/magpie-" + r.Settings.Stage + "-" + name),
			Retention:     r.Settings.LogRetention(),
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		sm := awsstepfunctions.NewStateMachine(c, jsii.String(constructID(name)), &awsstepfunctions.StateMachineProps{
			DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(body))),
			DefinitionSubstitutions: &used,
			StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
			TracingEnabled:          jsii.Bool(true),
			Logs: &awsstepfunctions.LogOptions{
				Destination:          logs,
				Level:                awsstepfunctions.LogLevel_ALL,
				IncludeExecutionData: jsii.Bool(true),
			},
		})
		for _, g := range grants {
			g(sm)
		}
		for _, fn := range sortedKeys(responders) {
			// A policy of its own: the function's default policy is a
			// dependency of the function, which the machine depends on.
			awsiam.NewPolicy(c, jsii.String(constructID(name)+constructID(fn)+"TaskResponse"), &awsiam.PolicyProps{
				Roles: &[]awsiam.IRole{fns.ByName[fn].Role()},
				Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"),
					Resources: jsii.Strings(*sm.StateMachineArn()),
				})},
			})
		}
		awscdk.Tags_Of(sm).Add(jsii.String(StateMachineTag), jsii.String(name), nil)
		wf.ByName[name] = sm
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	wireAPIWorkflows(c, wf, fns)
	for _, name := range sortedKeys(r.Settings.Schedules) {
		sm, ok := wf.ByName[name]
		if !ok {
			// The file may land after the context was written: say so, deploy the rest.
			awscdk.Annotations_Of(c).AddWarningV2(jsii.String("magpie:schedule"), jsii.String("schedule for "+name+": no statemachines/"+name+aslSuffix))
			continue
		}
		awsevents.NewRule(c, jsii.String(constructID(name)+"Schedule"), &awsevents.RuleProps{
			Description: jsii.String("starts the " + name + " state machine"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(r.Settings.Schedules[name])),
			Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, nil)},
		})
	}
	return wf, nil
}

// State machines the api function steers (shared/lambdaenv/api
// workflows.go), by file name (sitlMachine: processing.go), with the
// environment variable naming each.
const (
	reprocessMachine = "reprocess"
	envReprocessARN  = "REPROCESS_STATE_MACHINE_ARN"
	envSITLARN       = "SITL_STATE_MACHINE_ARN"
)

// wireAPIWorkflows gives the api function the ARNs of the reprocess and
// sitl-cycle state machines and exactly the Step Functions actions it uses
// on them: starting campaigns and describing their executions, and
// handing a SITL submission to the cycle's waiting task. The statements are
// a policy of their own, so they are easy to audit.
func wireAPIWorkflows(c constructs.Construct, wf *Workflows, fns *Functions) {
	api, ok := fns.ByName["api"]
	if !ok {
		return
	}
	var stmts []awsiam.PolicyStatement
	if sm, ok := wf.ByName[reprocessMachine]; ok {
		api.AddEnvironment(jsii.String(envReprocessARN), sm.StateMachineArn(), nil)
		executions := awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("states"), Resource: jsii.String("execution"),
			ResourceName: jsii.String(*sm.StateMachineName() + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
		stmts = append(stmts,
			// Starts campaigns; lists them for the campaigns page.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("states:StartExecution", "states:ListExecutions"), Resources: jsii.Strings(*sm.StateMachineArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("states:DescribeExecution"), Resources: jsii.Strings(*executions),
			}))
	}
	if sm, ok := wf.ByName[sitlMachine]; ok {
		api.AddEnvironment(jsii.String(envSITLARN), sm.StateMachineArn(), nil)
		stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("states:SendTaskSuccess"), Resources: jsii.Strings(*sm.StateMachineArn()),
		}))
	}
	if len(stmts) == 0 {
		return
	}
	awsiam.NewPolicy(c, jsii.String("ApiWorkflows"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{api.Role()},
		Statements: &stmts,
	})
}

// provider is the function whose ARN fills a placeholder, or "".
func provider(fns *Functions, placeholder string) string {
	for _, name := range fns.Names {
		if constructID(name)+"FunctionArn" == placeholder || slices.Contains(FunctionSpecs[name].Provides, placeholder) {
			return name
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// constructID turns a file or table name ("sitl-cycle", "asl_history")
// into a construct id ("SitlCycle", "AslHistory").
func constructID(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '-' || r == '_' || r == '.' {
			up = true
			continue
		}
		if up {
			r = []rune(strings.ToUpper(string(r)))[0]
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
