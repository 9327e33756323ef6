package functions_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// emulatorSDC is what the functions that index and process files find on
// AWS, made fresh on the emulators: dropbox and archive buckets, an event
// bus and the catalog table, under new names.
type emulatorSDC struct {
	moto, ddb                     string
	dropbox, archive, bus, prefix string
	s3                            *s3.Client
	tables                        store.TableStore
	cat                           *catalog.Catalog
	drop                          store.ObjectStore
}

func newEmulatorSDC(t *testing.T) *emulatorSDC {
	t.Helper()
	ctx := context.Background()
	e := &emulatorSDC{moto: awstest.Endpoint(t, awstest.MotoEnv), ddb: awstest.Endpoint(t, awstest.DynamoDBEnv),
		dropbox: awstest.Name("magpie-drop-"), archive: awstest.Name("magpie-arch-"), bus: awstest.Name("magpie-bus-"),
		prefix: awstest.Name("magpie-rt-") + "-"}
	cfg := awstest.Config(t, e.moto)
	e.s3 = awsstore.NewS3Client(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{e.dropbox, e.archive} {
		if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eb.NewFromConfig(cfg).CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String(e.bus)}); err != nil {
		t.Fatal(err)
	}
	e.tables = awsstore.NewTableStore(awsstore.NewDynamoDBClient(awstest.Config(t, e.ddb)), e.prefix)
	e.cat = catalog.New(e.tables)
	if err := e.cat.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	e.drop = awsstore.NewObjectStore(e.s3, e.dropbox)
	return e
}

// env is the functions' environment on it: the buckets, the bus, the
// emulators' endpoints, and more.
func (e *emulatorSDC) env(more map[string]string) map[string]string {
	env := map[string]string{"DROPBOX_BUCKET": e.dropbox, "ARCHIVE_BUCKET": e.archive, "EVENT_BUS": e.bus}
	for k, v := range more {
		env[k] = v
	}
	return emulatorEnv(e.moto, e.ddb, e.prefix, env)
}
