// Package sdc is the Magpie science data center as CDK constructs: storage,
// tables, functions, workflows, access and monitoring, one construct per
// file, composed by NewStack. Only the mission profile and the stage settings
// (cdk.json context) differ between missions and environments.
package sdc

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Settings are one stage's environment settings, from cdk.json context
// "stages".<stage>.
type Settings struct {
	Stage   string `json:"-"`
	Account string `json:"account"` // empty: the CLI's current account
	Region  string `json:"region"`  // empty: the CLI's current region
	// Domain and CertificateArn (an ACM certificate in us-east-1) give
	// CloudFront a custom domain; both or neither.
	Domain         string `json:"domain"`
	CertificateArn string `json:"certificateArn"`
	AlarmEmail     string `json:"alarmEmail"` // subscribed to the alarm topic when set
	// LogRetentionDays applies to every log group (Lambda, Step Functions).
	LogRetentionDays int `json:"logRetentionDays"`
	// AccessLogDays is how long S3 and CloudFront access logs are kept.
	AccessLogDays int `json:"accessLogDays"`
	// RateLimit is the WAF limit of requests per IP per 5 minutes.
	RateLimit int `json:"rateLimit"`
	// IndexerConcurrency caps concurrent indexers, which protects the
	// catalog table and the archive from a reprocessing flood.
	IndexerConcurrency int `json:"indexerConcurrency"`
	// Schedules start state machines (by file name without .asl.json) on
	// EventBridge schedule expressions, e.g. "rate(1 day)".
	Schedules map[string]string `json:"schedules"`
	// SITLDeadline is how long the SITL has to submit once a day's cycle
	// starts (Go duration, e.g. "2h"); empty: the processor's default.
	SITLDeadline string `json:"sitlDeadline"`
	// ProfilePath is the mission profile file (relative to the repository
	// root); empty: the built-in MMS profile.
	ProfilePath string `json:"profile"`
}

// retentionByDays are the retention periods CloudWatch Logs accepts.
var retentionByDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// LogRetention is the stage's log retention as CDK's enum.
func (s Settings) LogRetention() awslogs.RetentionDays { return retentionByDays[s.LogRetentionDays] }

var stageRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)

// TablePrefix is the prefix of every DynamoDB table of the stage; the
// functions get it as TABLE_PREFIX.
func (s Settings) TablePrefix() string { return "magpie-" + s.Stage + "-" }

// SettingsFromContext decodes stage's settings from the "stages" context
// value (a map of stage name to settings, as cdk.json holds it) and fills in
// defaults.
func SettingsFromContext(stages any, stage string) (Settings, error) {
	if stage == "" {
		return Settings{}, fmt.Errorf("no stage: pass -c stage=NAME (see cdk.json)")
	}
	b, err := json.Marshal(stages)
	if err != nil {
		return Settings{}, fmt.Errorf("stages context: %w", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil || all == nil {
		return Settings{}, fmt.Errorf("stages context: want an object of stage settings")
	}
	raw, ok := all[stage]
	if !ok {
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		sort.Strings(names)
		return Settings{}, fmt.Errorf("stage %q is not in the stages context (have %v)", stage, names)
	}
	var s Settings
	if err := json.Unmarshal(raw, &s); err != nil {
		return Settings{}, fmt.Errorf("stage %q settings: %w", stage, err)
	}
	s.Stage = stage
	return s.withDefaults()
}

func (s Settings) withDefaults() (Settings, error) {
	if !stageRe.MatchString(s.Stage) {
		return s, fmt.Errorf("stage %q: want 2 to 20 of a-z 0-9 -, starting with a letter", s.Stage)
	}
	if (s.Domain == "") != (s.CertificateArn == "") {
		return s, fmt.Errorf("stage %q: domain and certificateArn go together", s.Stage)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.LogRetentionDays, 90)
	def(&s.AccessLogDays, 365)
	def(&s.RateLimit, 2000)
	def(&s.IndexerConcurrency, 50)
	if _, ok := retentionByDays[s.LogRetentionDays]; !ok {
		return s, fmt.Errorf("stage %q: logRetentionDays %d is not one CloudWatch Logs offers (%v)", s.Stage, s.LogRetentionDays, sortedKeysInt(retentionByDays))
	}
	if s.SITLDeadline != "" {
		if d, err := time.ParseDuration(s.SITLDeadline); err != nil || d <= 0 {
			return s, fmt.Errorf("stage %q: sitlDeadline %q: want a positive Go duration such as 2h", s.Stage, s.SITLDeadline)
		}
	}
	if s.LogRetentionDays < 0 || s.AccessLogDays < 0 || s.RateLimit < 100 || s.IndexerConcurrency < 1 {
		return s, fmt.Errorf("stage %q: negative retention, rateLimit below 100 or indexerConcurrency below 1", s.Stage)
	}
	return s, nil
}

func sortedKeysInt[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
