package sdc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/shared/events"
)

// Thresholds of the alarms.
const (
	// ingestBacklogSeconds: a file waiting longer than this to be indexed
	// means the indexer is failing or throttled.
	ingestBacklogSeconds = 15 * 60
	// dataLatencySeconds: the indexer's reported drop-to-catalog latency.
	dataLatencySeconds = 30 * 60
	// apiLatencyMillis: p99 latency of the HTTP API.
	apiLatencyMillis = 3000
	// MetricsNamespace is where Magpie's own metrics go (embedded metric
	// format in the functions' logs). It must equal shared/telemetry's
	// MetricsNamespace, as dataLatencyMetric its MetricDataLatency: infra
	// is its own module and does not link telemetry (its SDK dependencies),
	// so TestAlarmMetricsAreWhatTheCodeEmits reads metrics.go to check.
	MetricsNamespace  = "Magpie"
	dataLatencyMetric = "DataLatencySeconds"
)

// NewAlarmTopic is the SNS topic every alarm notifies, encrypted with a key
// CloudWatch may use, and subscribed by the stage's alarm e-mail.
func NewAlarmTopic(scope constructs.Construct, id string, s Settings) awssns.Topic {
	c := constructs.NewConstruct(scope, jsii.String(id))
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("magpie " + s.Stage + " alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
	})
	// CloudWatch alarms publish to the encrypted topic with this key.
	key.GrantEncryptDecrypt(awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil))
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Magpie " + s.Stage + " alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if s.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.AlarmEmail), nil))
	}
	return topic
}

// Watched is what monitoring watches.
type Watched struct {
	Storage   *Storage
	Functions *Functions
	Workflows *Workflows
	Bus       awsevents.EventBus
	Profile   string                  // mission id: the source of domain events is magpie.<id>
	API       awsapigatewayv2.HttpApi // nil without an HTTP API
}

// Monitoring is the dashboard and the alarms.
type Monitoring struct {
	Dashboard awscloudwatch.Dashboard
	Alarms    []awscloudwatch.Alarm
}

// NewMonitoring creates the alarms (ingest backlog age, DLQ depth, function
// errors and throttles, job failures, data latency, API 5xx and latency,
// SITL deadline missed), all notifying topic, and a dashboard.
func NewMonitoring(scope constructs.Construct, id string, w Watched, topic awssns.ITopic) *Monitoring {
	c := constructs.NewConstruct(scope, jsii.String(id))
	m := &Monitoring{}
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(name, what string, metric awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(c, jsii.String(name), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(what),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
		m.Alarms = append(m.Alarms, a)
	}
	st := w.Storage
	backlog := st.Ingest.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
	dlq := st.IngestDLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
	alarm("IngestBacklogAge", "a dropped file has waited too long to be indexed", backlog, ingestBacklogSeconds)
	alarm("IngestDLQDepth", "notifications the indexer gave up on are in the ingest DLQ", dlq, 0)
	if q := processingDLQ(w.Functions); q != nil {
		pdlq := q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
		alarm("ProcessingDLQDepth", "FileIndexed events the processor gave up on are in the processing DLQ", pdlq, 0)
	}

	fnWidgets := []awscloudwatch.IWidget{}
	for _, name := range w.Functions.Names {
		fn := w.Functions.ByName[name]
		errs := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		thr := fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		alarm(constructID(name)+"Errors", "function "+name+" failed", errs, 0)
		alarm(constructID(name)+"Throttles", "function "+name+" was throttled", thr, 0)
		fnWidgets = append(fnWidgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("function " + name),
			Left:  &[]awscloudwatch.IMetric{fn.MetricInvocations(nil), errs, thr},
			Right: &[]awscloudwatch.IMetric{fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99")})},
		}))
	}
	sfnWidgets := []awscloudwatch.IWidget{}
	for _, name := range w.Workflows.Names {
		sm := w.Workflows.ByName[name]
		failed := sm.MetricFailed(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		timedOut := sm.MetricTimedOut(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		alarm(constructID(name)+"Failed", "workflow "+name+" has failed executions", failed, 0)
		alarm(constructID(name)+"TimedOut", "workflow "+name+" has timed-out executions", timedOut, 0)
		sfnWidgets = append(sfnWidgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("workflow " + name),
			Left:  &[]awscloudwatch.IMetric{sm.MetricStarted(nil), sm.MetricSucceeded(nil), failed, timedOut},
		}))
	}
	// Job failures are the processing jobs' own domain events.
	alarm("JobFailures", "processing jobs failed", eventMetric(c, events.JobFailed, w), 0)
	// A SITL window closing without a submission is announced as a domain
	// event by the SITL cycle; one is worth an e-mail.
	alarm("SITLDeadlineMissed", "a SITL selection deadline passed without a submission", eventMetric(c, events.SITLDeadlineMissed, w), 0)
	latency := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(MetricsNamespace), MetricName: jsii.String(dataLatencyMetric),
		Period: five, Statistic: jsii.String("Maximum"),
	})
	alarm("DataLatency", "files take too long from the dropbox to the catalog", latency, dataLatencySeconds)

	widgets := []*[]awscloudwatch.IWidget{{
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("ingest backlog age (s)"), Left: &[]awscloudwatch.IMetric{backlog}}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("ingest DLQ depth"), Left: &[]awscloudwatch.IMetric{dlq}}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("data latency (s)"), Left: &[]awscloudwatch.IMetric{latency}}),
	}, &fnWidgets, &sfnWidgets}
	if w.API != nil {
		e5 := w.API.MetricServerError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		p99 := w.API.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")})
		alarm("API5xx", "the HTTP API answered with server errors", e5, 5)
		alarm("APILatency", "the HTTP API is slow (p99)", p99, apiLatencyMillis)
		widgets = append(widgets, &[]awscloudwatch.IWidget{awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("HTTP API"), Left: &[]awscloudwatch.IMetric{e5}, Right: &[]awscloudwatch.IMetric{p99},
		})})
	}
	m.Dashboard = awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{Widgets: &widgets})
	return m
}

// eventMetric counts the domain events of one type: an EventBridge rule
// matching them, whose MatchedEvents metric the alarm watches. The rule
// needs no target.
func eventMetric(c constructs.Construct, detailType string, w Watched) awscloudwatch.IMetric {
	rule := awsevents.NewRule(c, jsii.String(detailType+"Events"), &awsevents.RuleProps{
		EventBus:     w.Bus,
		Description:  jsii.String("counts " + detailType + " events for its alarm"),
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings("magpie." + w.Profile), DetailType: jsii.Strings(detailType)},
	})
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Events"),
		MetricName:    jsii.String("MatchedEvents"),
		DimensionsMap: &map[string]*string{"RuleName": rule.RuleName(), "EventBusName": w.Bus.EventBusName()},
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic:     jsii.String("Sum"),
	})
}
