package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// Outputs are what deployed mode needs of a deployed stage: the stack
// outputs `make deploy` / `make deploy-local` write with `cdk deploy
// --outputs-file` (names as infra/sdc/outputs.go gives them).
type Outputs struct {
	Dropbox          string `json:"DropboxBucket"`
	Archive          string `json:"ArchiveBucket"`
	Workflow         string `json:"WorkflowBucket"`
	TablePrefix      string `json:"TablePrefix"`
	EventBus         string `json:"EventBusName"`
	IngestQueueURL   string `json:"IngestQueueUrl"`
	IngestDLQURL     string `json:"IngestDLQUrl"`
	ProcessingDLQURL string `json:"ProcessingDLQUrl"`
	APIEndpoint      string `json:"ApiEndpoint"`
	ReprocessARN     string `json:"ReprocessStateMachineArn"`
	SITLCycleARN     string `json:"SitlCycleStateMachineArn"`
}

// LoadOutputs reads the outputs of stack from a `cdk deploy
// --outputs-file` file ({"<stack>": {"<output>": "<value>", ...}}); an
// empty stack picks the file's only stack. The outputs deployed mode
// cannot do without must be there.
func LoadOutputs(path, stack string) (Outputs, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Outputs{}, fmt.Errorf("stack outputs: %w", err)
	}
	var stacks map[string]json.RawMessage
	if err := json.Unmarshal(b, &stacks); err != nil {
		return Outputs{}, fmt.Errorf("stack outputs %s: %w", path, err)
	}
	if stack == "" {
		if len(stacks) != 1 {
			names := make([]string, 0, len(stacks))
			for n := range stacks {
				names = append(names, n)
			}
			sort.Strings(names)
			return Outputs{}, fmt.Errorf("stack outputs %s: %d stacks %v; name one", path, len(stacks), names)
		}
		for n := range stacks {
			stack = n
		}
	}
	raw, ok := stacks[stack]
	if !ok {
		return Outputs{}, fmt.Errorf("stack outputs %s: no stack %q", path, stack)
	}
	var o Outputs
	if err := json.Unmarshal(raw, &o); err != nil {
		return Outputs{}, fmt.Errorf("stack outputs %s: %s: %w", path, stack, err)
	}
	var missing []string
	for name, v := range map[string]string{"DropboxBucket": o.Dropbox, "ArchiveBucket": o.Archive, "TablePrefix": o.TablePrefix,
		"IngestQueueUrl": o.IngestQueueURL, "IngestDLQUrl": o.IngestDLQURL, "ApiEndpoint": o.APIEndpoint} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return o, fmt.Errorf("stack outputs %s: %s lacks %v (deployed by an older stack?)", path, stack, missing)
	}
	return o, nil
}

// Deployed drives and observes a deployed SDC, and nothing else: it puts
// files into the dropbox and reads the catalog, the jobs, the archive and
// the queues, while Lambda, S3 notifications, EventBridge and Step
// Functions do the work. It provisions and hosts nothing.
type Deployed struct {
	Out              Outputs
	Dropbox, Archive store.ObjectStore
	Tables           store.TableStore
	Catalog          *catalog.Catalog
	Jobs             *pipeline.Jobs
	SQS              *sqs.Client
	Clock            clock.Clock
	// Every is how often Wait polls; Progress, if set, hears what it waits for.
	Every    time.Duration
	Progress io.Writer
}

// NewDeployed builds the driver on cfg (the operator's credentials, the
// stage's region, endpoints from AWS_ENDPOINT_URL for LocalStack).
func NewDeployed(cfg aws.Config, out Outputs) *Deployed {
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), out.TablePrefix)
	return &Deployed{Out: out, Dropbox: awsstore.NewObjectStore(s3c, out.Dropbox), Archive: awsstore.NewObjectStore(s3c, out.Archive),
		Tables: tables, Catalog: catalog.New(tables), Jobs: pipeline.NewJobs(tables), SQS: sqs.NewFromConfig(cfg),
		Clock: clock.Real{}, Every: 5 * time.Second}
}

// Wait polls check every d.Every until it reports done, returns an error,
// or timeout passes; what check says while not done is the progress line
// and, at the timeout, the error.
func (d *Deployed) Wait(ctx context.Context, what string, timeout time.Duration, check func(ctx context.Context) (done bool, state string, err error)) error {
	end := d.Clock.Now().Add(timeout)
	for {
		done, state, err := check(ctx)
		if err != nil || done {
			return err
		}
		if d.Progress != nil {
			fmt.Fprintf(d.Progress, "waiting for %s: %s\n", what, state)
		}
		if !d.Clock.Now().Before(end) {
			return fmt.Errorf("%s: not done after %s: %s", what, timeout, state)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.Clock.After(d.Every):
		}
	}
}

// Indexed reports whether every named file is in the catalog and the
// dropbox holds nothing but quarantine/.
func (d *Deployed) Indexed(names []string) func(ctx context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		n := 0
		for _, name := range names {
			if _, err := d.Catalog.Get(ctx, filepath.Base(name)); err == nil {
				n++
			} else if !errors.Is(err, store.ErrNotFound) {
				return false, "", err
			}
		}
		page, err := d.Dropbox.List(ctx, "", "", 100)
		if err != nil {
			return false, "", err
		}
		left := 0
		for _, o := range page.Objects {
			if filepath.Dir(o.Key) == "." {
				left++
			}
		}
		return n == len(names) && left == 0, fmt.Sprintf("%d of %d cataloged, %d in the dropbox", n, len(names), left), nil
	}
}

// JobsSettled reports whether no job is PENDING or RUNNING.
func (d *Deployed) JobsSettled(ctx context.Context) (bool, string, error) {
	c, err := d.Jobs.Counts(ctx)
	if err != nil {
		return false, "", err
	}
	return c[pipeline.StatusPending] == 0 && c[pipeline.StatusRunning] == 0 && len(c) > 0, fmt.Sprint(c), nil
}
