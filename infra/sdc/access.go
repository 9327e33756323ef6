package sdc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/magpie-sdc/magpie/shared/auth"
)

// Roles are the Cognito groups, one per Magpie role: the api function reads
// a member's roles from the token's cognito:groups claim
// (auth.CognitoVerifier).
var Roles = func() []string {
	var out []string
	for _, r := range auth.Roles() {
		out = append(out, string(r))
	}
	return out
}()

// PublicPrefix is the path under which CloudFront serves the public-release
// bucket (cached); everything else goes to the API (uncached).
const PublicPrefix = "public/"

// Access is how people and clients reach the SDC.
type Access struct {
	UserPool     awscognito.UserPool
	Client       awscognito.UserPoolClient
	API          awsapigatewayv2.HttpApi // nil without an api function
	Distribution awscloudfront.Distribution
	WebACL       awswafv2.CfnWebACL // nil outside us-east-1
}

// NewAccess creates the user pool (a group per role), the HTTP API with a
// Lambda proxy when api is not nil, and CloudFront with WAF in front of it
// and of the public bucket.
func NewAccess(scope constructs.Construct, id string, s Settings, st *Storage, api awslambda.IFunction) *Access {
	c := constructs.NewConstruct(scope, jsii.String(id))
	a := &Access{}
	a.UserPool = awscognito.NewUserPool(c, jsii.String("Users"), &awscognito.UserPoolProps{
		SelfSignUpEnabled: jsii.Bool(false), // operators invite team members
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true), Username: jsii.Bool(true)},
		Mfa:               awscognito.Mfa_REQUIRED,
		MfaSecondFactor:   &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
	})
	for _, role := range Roles {
		awscognito.NewCfnUserPoolGroup(c, jsii.String("Group"+constructID(role)), &awscognito.CfnUserPoolGroupProps{
			UserPoolId: a.UserPool.UserPoolId(), GroupName: jsii.String(role),
			Description: jsii.String("Magpie role " + role),
		})
	}
	a.Client = a.UserPool.AddClient(jsii.String("Web"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false),
		// USER_PASSWORD lets the API check MMS clients' HTTP Basic
		// credentials against the pool (pySPEDAS and IDL cannot do OAuth).
		AuthFlows: &awscognito.AuthFlow{UserSrp: jsii.Bool(true), UserPassword: jsii.Bool(true)},
	})

	origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(st.Public, nil)
	publicBehavior := &awscloudfront.BehaviorOptions{
		Origin:               origin,
		ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
		CachePolicy:          awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
		AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
	}
	defaultBehavior := publicBehavior
	var extra *map[string]*awscloudfront.BehaviorOptions
	if api != nil {
		// The function verifies the pool's tokens itself (see newHTTPAPI).
		if fn, ok := api.(awslambda.Function); ok {
			fn.AddEnvironment(jsii.String("USER_POOL_ID"), a.UserPool.UserPoolId(), nil)
			fn.AddEnvironment(jsii.String("USER_POOL_CLIENT_ID"), a.Client.UserPoolClientId(), nil)
		}
		a.API = newHTTPAPI(c, s, a, api)
		apiOrigin := awscloudfrontorigins.NewHttpOrigin(
			awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), a.API.ApiEndpoint(), nil)), nil)
		defaultBehavior = &awscloudfront.BehaviorOptions{
			Origin:               apiOrigin,
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:          awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy:  awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
		}
		extra = &map[string]*awscloudfront.BehaviorOptions{PublicPrefix + "*": publicBehavior}
	}
	props := &awscloudfront.DistributionProps{
		Comment:                jsii.String("magpie " + s.Stage),
		DefaultBehavior:        defaultBehavior,
		AdditionalBehaviors:    extra,
		EnableLogging:          jsii.Bool(true),
		LogBucket:              st.Logs,
		LogFilePrefix:          jsii.String("cloudfront/"),
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		HttpVersion:            awscloudfront.HttpVersion_HTTP2_AND_3,
	}
	if s.Domain != "" {
		props.DomainNames = jsii.Strings(s.Domain)
		props.Certificate = awscertificatemanager.Certificate_FromCertificateArn(c, jsii.String("Certificate"), jsii.String(s.CertificateArn))
	}
	// A CloudFront web ACL must live in us-east-1.
	if s.Region == "us-east-1" {
		a.WebACL = newWebACL(c, s)
		props.WebAclId = a.WebACL.AttrArn()
	} else {
		awscdk.Annotations_Of(c).AddWarningV2(jsii.String("magpie:waf"),
			jsii.String("no WAF: CloudFront web ACLs can only be created in us-east-1 stacks; set the stage's region to us-east-1"))
	}
	a.Distribution = awscloudfront.NewDistribution(c, jsii.String("CDN"), props)
	awscdk.NewCfnOutput(c, jsii.String("URL"), &awscdk.CfnOutputProps{Value: jsii.String("https://" + *a.Distribution.DistributionDomainName())})
	return a
}

// newHTTPAPI is the HTTP API, all routes to the api function, with no API
// Gateway authorizer. A JWT authorizer rejects every request without a valid
// Cognito token, so it can only guard paths that Cognito-token callers alone
// use, and shared/api's route table has none: each path (the JSON API under
// /api/v1/, the MMS web services, the pages, the LaTiS services) serves the
// public anonymously and team members by HTTP Basic (the MMS clients, which
// cannot do OAuth), by Magpie's own tokens or by Cognito tokens, with the
// permission decided per route. So the function authenticates every request
// (auth.Chain of the user pool's verifier and Magpie's tokens) and applies
// the route table's permissions; an authorizer on a path no route serves
// would protect nothing.
func newHTTPAPI(c constructs.Construct, s Settings, a *Access, fn awslambda.IFunction) awsapigatewayv2.HttpApi {
	logs := awslogs.NewLogGroup(c, jsii.String("APIAccessLogs"), &awslogs.LogGroupProps{
		Retention:     s.LogRetention(),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Proxy"), fn, nil)
	api := awsapigatewayv2.NewHttpApi(c, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String("magpie-" + s.Stage),
		CreateDefaultStage: jsii.Bool(false),
	})
	// Not "Default": CDK drops a "Default" path component from logical ids,
	// which would give the stage's CfnStage (HttpApi/Default/Resource) the
	// id of the API's own CfnApi (HttpApi/Resource).
	stage := api.AddStage(jsii.String("Stage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(200), BurstLimit: jsii.Number(400)},
	})
	// Access logs through the L1 stage: the L2 settings type is a jsii
	// interface a Go struct cannot implement.
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format: jsii.String(`{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",` +
			`"method":"$context.httpMethod","path":"$context.path","status":"$context.status","latency":"$context.responseLatency",` +
			`"error":"$context.integrationErrorMessage"}`),
	})
	for _, path := range []string{"/", "/{proxy+}"} {
		routes := api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path: jsii.String(path), Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: integration,
		})
		for _, r := range *routes {
			cdknag.NagSuppressions_AddResourceSuppressions(r, &[]*cdknag.NagPackSuppression{{
				Id: jsii.String("AwsSolutions-APIG4"),
				Reason: jsii.String("Every path serves anonymous public callers and HTTP Basic (MMS clients cannot do OAuth) as well " +
					"as bearer tokens, so an API Gateway JWT authorizer, which rejects requests without a Cognito token, cannot sit on " +
					"any of them. The api function verifies Cognito tokens against the pool's JWKS (USER_POOL_ID, USER_POOL_CLIENT_ID), " +
					"Basic credentials and its own tokens, and applies shared/api's per-route permissions."),
			}}, jsii.Bool(true))
		}
	}
	return api
}

// newWebACL limits each client IP to s.RateLimit requests per 5 minutes.
// AWS's common rule set is left out: it blocks request bodies over 8 KB,
// which would block uploads.
func newWebACL(c constructs.Construct, s Settings) awswafv2.CfnWebACL {
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true), MetricName: jsii.String(name), SampledRequestsEnabled: jsii.Bool(true),
		}
	}
	return awswafv2.NewCfnWebACL(c, jsii.String("WAF"), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("CLOUDFRONT"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility("magpie-" + s.Stage),
		Rules: &[]any{
			&awswafv2.CfnWebACL_RuleProperty{
				Name: jsii.String("rate-limit"), Priority: jsii.Number(0),
				Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
				Statement: &awswafv2.CfnWebACL_StatementProperty{
					RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
						Limit: jsii.Number(float64(s.RateLimit)), AggregateKeyType: jsii.String("IP"),
					},
				},
				VisibilityConfig: visibility("rate-limit"),
			},
		},
	})
}
