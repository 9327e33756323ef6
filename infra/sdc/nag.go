package sdc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppressNag records, with the reason, each cdk-nag AwsSolutions finding
// the design accepts. Everything else must pass (see the nag test).
func suppressNag(stack awscdk.Stack) {
	s := func(id, reason string, appliesTo ...string) *cdknag.NagPackSuppression {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
		if len(appliesTo) > 0 {
			var at []any
			for _, a := range appliesTo {
				at = append(at, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
			}
			sup.AppliesTo = &at
		}
		return sup
	}
	cdknag.NagSuppressions_AddStackSuppressions(stack, &[]*cdknag.NagPackSuppression{
		s("AwsSolutions-IAM4", "AWSLambdaBasicExecutionRole only allows writing the function's own logs; a hand-written copy would be the same policy.",
			`/^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/`),
		s("AwsSolutions-IAM5", "Object-level grants are scoped to one bucket's objects (or the dropbox's quarantine/ or upload/ prefix); keys are not known in advance.",
			`/^Resource::<Storage(Dropbox|Archive|Public)[A-Za-z0-9]+\.Arn>\/(\*|quarantine\/\*|upload\/\*)$/`),
		s("AwsSolutions-IAM5", "CDK's grant actions (s3:GetObject*, s3:List*, s3:DeleteObject*, s3:Abort*, s3:GetBucket*) name the read/write families on the resources above only.",
			`/^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/`),
		s("AwsSolutions-IAM5", "Queries on a table's own secondary indexes need the index/* ARN of that table.",
			`/^Resource::<Tables[A-Za-z0-9]+\.Arn>\/index\/\*$/`),
		s("AwsSolutions-IAM5", "Invoking a function includes its versions and aliases (<arn>:*), of that function only.",
			`/^Resource::<Functions[A-Za-z0-9]+\.Arn>:\*$/`),
		s("AwsSolutions-IAM5", "X-Ray (PutTraceSegments, PutTelemetryRecords) and Step Functions' log delivery (logs:*LogDelivery*) only accept Resource \"*\".",
			`/^Resource::\*$/`),
		s("AwsSolutions-COG8", "The Cognito Plus feature plan costs per active user; MFA is required and self sign-up is off. Enable Plus for production if the team is large."),
		s("AwsSolutions-CFR4", "Without a custom domain CloudFront uses its default certificate, which cannot pin TLS 1.2; with domain+certificateArn the minimum is TLSv1.2_2021."),
		s("AwsSolutions-CFR1", "Science data is public world-wide by design; no geo restriction."),
		s("AwsSolutions-L1", "CDK's bucket-notification helper function picks its own runtime."),
	}, nil)
}
