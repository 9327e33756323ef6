package sdc

import (
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/shared/mission"
)

// Props configure a Magpie stack.
type Props struct {
	Settings Settings
	Profile  *mission.Profile
	// Root is the repository root: functions/ and statemachines/ are read
	// from it.
	Root string
	// Assets holds the built functions, <Assets>/<name>/bootstrap
	// (default <Root>/dist/functions).
	Assets string
	// ProfileBundled: every asset holds profile.yaml (the stage's profile).
	ProfileBundled bool
}

// SDC is the composed stack and its parts, for tests and outputs.
type SDC struct {
	Stack      awscdk.Stack
	Storage    *Storage
	Tables     *Tables
	Functions  *Functions
	Workflows  *Workflows
	Access     *Access
	Monitoring *Monitoring
}

// NewStack composes the whole SDC for one stage: storage, tables, the event
// bus, every functions/* and every statemachines/*.asl.json, access and
// monitoring. It fails when a function or state machine cannot be wired.
func NewStack(scope constructs.Construct, id string, p Props) (*SDC, error) {
	s := p.Settings
	if p.Profile == nil {
		return nil, fmt.Errorf("stack: no mission profile")
	}
	if p.Assets == "" {
		p.Assets = filepath.Join(p.Root, "dist", "functions")
	}
	var env *awscdk.Environment
	if s.Account != "" || s.Region != "" {
		env = &awscdk.Environment{}
		if s.Account != "" {
			env.Account = jsii.String(s.Account)
		}
		if s.Region != "" {
			env.Region = jsii.String(s.Region)
		}
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Magpie science data center (" + p.Profile.ID + ", " + s.Stage + ")"),
	})
	// Dashboards take tags only in recent CloudFormation specs; cfn-lint
	// (and some regions) reject them, so they go untagged.
	untagged := &awscdk.TagProps{ExcludeResourceTypes: jsii.Strings("AWS::CloudWatch::Dashboard")}
	awscdk.Tags_Of(stack).Add(jsii.String("magpie:stage"), jsii.String(s.Stage), untagged)
	awscdk.Tags_Of(stack).Add(jsii.String("magpie:mission"), jsii.String(p.Profile.ID), untagged)

	sdc := &SDC{Stack: stack}
	var err error
	if sdc.Storage, err = NewStorage(stack, "Storage", s, p.Profile); err != nil {
		return nil, err
	}
	sdc.Tables = NewTables(stack, "Tables", s.TablePrefix(), TableSpecs)
	bus := awsevents.NewEventBus(stack, jsii.String("Events"), &awsevents.EventBusProps{
		EventBusName: jsii.String("magpie-" + s.Stage),
	})
	r := &Resources{Settings: s, Storage: sdc.Storage, Tables: sdc.Tables, Bus: bus, ProfileBundled: p.ProfileBundled, Profile: p.Profile}
	if sdc.Functions, err = NewFunctions(stack, "Functions", r, filepath.Join(p.Root, "functions"), p.Assets); err != nil {
		return nil, err
	}
	topic := NewAlarmTopic(stack, "Alarms", s)
	if sdc.Workflows, err = NewWorkflows(stack, "Workflows", r, sdc.Functions, topic, filepath.Join(p.Root, "statemachines")); err != nil {
		return nil, err
	}
	WireSITLTrigger(sdc.Functions, sdc.Workflows)
	// The HTTP API exists once functions/api does.
	sdc.Access = NewAccess(stack, "Access", s, sdc.Storage, sdc.Functions.ByName["api"])
	w := Watched{Storage: sdc.Storage, Functions: sdc.Functions, Workflows: sdc.Workflows, Bus: bus, Profile: p.Profile.ID, API: sdc.Access.API}
	sdc.Monitoring = NewMonitoring(stack, "Monitoring", w, topic)
	addOutputs(sdc, s, bus.EventBusName())
	suppressNag(stack)
	return sdc, nil
}
