package sdc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
)

// TableSpecs are the tables the repositories declare. Keys and indexes come
// from the repositories' own specs, so the deployed tables always match the
// code; a new repository adds its spec here.
var TableSpecs = []store.TableSpec{catalog.Spec, pipeline.JobsSpec, CampaignsSpec, BDMSpec, SitlSpec, UsersSpec, release.Spec, burst.ContactsSpec}

// The repositories' own specs, by the names the wiring uses.
var (
	// CampaignsSpec is campaign.Store's table.
	CampaignsSpec = campaign.Spec
	// BDMSpec is burst.Open's table (default name) with its pending index.
	BDMSpec = burst.TableSpec(burst.DefaultTable)
	// UsersSpec is auth.Users' table (accounts and the token secret).
	UsersSpec = auth.Spec
	// SitlSpec is sitlcycle.New's table (default name).
	SitlSpec = sitlcycle.TableSpec(sitlcycle.DefaultTable)
)

// Tables holds the DynamoDB tables by spec name.
type Tables struct {
	ByName map[string]awsdynamodb.Table
}

// NewTables creates one on-demand table per spec, named prefix + spec name
// (the name the awsstore adapter computes), with point-in-time recovery and
// deletion protection, kept when the stack is deleted.
func NewTables(scope constructs.Construct, id string, prefix string, specs []store.TableSpec) *Tables {
	c := constructs.NewConstruct(scope, jsii.String(id))
	t := &Tables{ByName: map[string]awsdynamodb.Table{}}
	attr := func(name string) *awsdynamodb.Attribute {
		if name == "" {
			return nil
		}
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	for _, spec := range specs {
		table := awsdynamodb.NewTable(c, jsii.String(constructID(spec.Name)), &awsdynamodb.TableProps{
			TableName:    jsii.String(prefix + spec.Name),
			PartitionKey: attr(spec.PK),
			SortKey:      attr(spec.SK),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(true),
			Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
			RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		})
		for _, ix := range spec.Indexes {
			table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(ix.PK),
				SortKey:        attr(ix.SK),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			})
		}
		t.ByName[spec.Name] = table
	}
	return t
}
