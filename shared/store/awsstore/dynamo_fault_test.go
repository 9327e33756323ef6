package awsstore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/magpie-sdc/magpie/shared/store"
)

// fakeDynamoDB answers DescribeTable and BatchWriteItem like DynamoDB, except
// that each BatchWriteItem call follows the script: a step either fails
// the call with an error (throttling, 500) or writes only the first
// `write` requests and returns the rest as UnprocessedItems.
type fakeDynamoDB struct {
	mu      sync.Mutex
	script  []step
	calls   int
	written map[string]json.RawMessage // pk/sk → item JSON
	sizes   []int                      // requests per BatchWriteItem call
}

type step struct {
	status int    // non-zero: fail the call with this status and code
	code   string //
	write  int    // else: write this many requests, -1 all
}

const fakeTable = "pre-items"

func (f *fakeDynamoDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "DynamoDB_20120810.DescribeTable":
		fmt.Fprintf(w, `{"Table":{"TableName":%q,"TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]}}`, fakeTable)
	case "DynamoDB_20120810.BatchWriteItem":
		f.batchWrite(w, body)
	default:
		http.Error(w, "unexpected "+target, http.StatusBadRequest)
	}
}

func (f *fakeDynamoDB) batchWrite(w http.ResponseWriter, body []byte) {
	var in struct {
		RequestItems map[string][]struct {
			PutRequest struct{ Item json.RawMessage }
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	reqs := in.RequestItems[fakeTable]
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.sizes = append(f.sizes, len(reqs))
	st := step{write: -1}
	if len(f.script) > 0 {
		st, f.script = f.script[0], f.script[1:]
	}
	if st.status != 0 {
		w.WriteHeader(st.status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"scripted failure"}`, st.code)
		return
	}
	n := st.write
	if n < 0 || n > len(reqs) {
		n = len(reqs)
	}
	for _, rq := range reqs[:n] {
		var key struct{ PK, SK struct{ S string } }
		var raw map[string]json.RawMessage
		json.Unmarshal(rq.PutRequest.Item, &raw)
		json.Unmarshal(raw["pk"], &key.PK)
		json.Unmarshal(raw["sk"], &key.SK)
		f.written[key.PK.S+"/"+key.SK.S] = rq.PutRequest.Item
	}
	unprocessed := map[string]any{}
	if n < len(reqs) {
		unprocessed[fakeTable] = reqs[n:]
	}
	json.NewEncoder(w).Encode(map[string]any{"UnprocessedItems": unprocessed})
}

// noBackoff makes the SDK retry at once, so the test never sleeps.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

func newFaultStore(t *testing.T, script []step) (*TableStore, *fakeDynamoDB, *[]int) {
	f := &fakeDynamoDB{script: script, written: map[string]json.RawMessage{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = noBackoff{}
		}),
	})
	var waits []int
	s := NewTableStore(client, "pre-", WithBatchBackoff(func(attempt int) time.Duration {
		waits = append(waits, attempt)
		return 0
	}))
	return s, f, &waits
}

func batchItems(n int) []store.Item {
	items := make([]store.Item, n)
	for i := range items {
		items[i] = store.Item{"pk": "P", "sk": fmt.Sprintf("%03d", i), "n": int64(i)}
	}
	return items
}

func TestBatchPutRetries(t *testing.T) {
	s, f, waits := newFaultStore(t, []step{
		{write: 10}, // chunk 1: 15 unprocessed
		{status: 400, code: "ThrottlingException"}, // the SDK retries the call
		{write: 5}, // 10 still unprocessed
		{status: 400, code: "ProvisionedThroughputExceededException"}, // the SDK retries
		{write: -1}, // chunk 1 done
		{status: 500, code: "InternalServerError"}, // chunk 2: the SDK retries
		{write: -1},
	})
	if err := s.BatchPut(context.Background(), "items", batchItems(30)); err != nil {
		t.Fatalf("BatchPut: %v", err)
	}
	if len(f.written) != 30 {
		t.Fatalf("%d items written, want 30", len(f.written))
	}
	for i := range 30 {
		item, ok := f.written[fmt.Sprintf("P/%03d", i)]
		if !ok || !strings.Contains(string(item), fmt.Sprintf(`"n":{"N":"%d"}`, i)) {
			t.Fatalf("item %d written as %s", i, item)
		}
	}
	if want := []int{25, 15, 15, 10, 10, 5, 5}; !slices.Equal(f.sizes, want) {
		t.Fatalf("requests per call %v, want %v", f.sizes, want)
	}
	if want := []int{1, 2}; !slices.Equal(*waits, want) {
		t.Fatalf("back-off before attempts %v, want %v", *waits, want)
	}
}

func TestBatchPutGivesUp(t *testing.T) {
	script := make([]step, batchAttempts+5)
	for i := range script {
		script[i] = step{write: 0}
	}
	s, f, waits := newFaultStore(t, script)
	err := s.BatchPut(context.Background(), "items", batchItems(3))
	if err == nil || !strings.Contains(err.Error(), "unprocessed") {
		t.Fatalf("BatchPut against a table that never takes writes: %v", err)
	}
	if f.calls != batchAttempts || len(*waits) != batchAttempts-1 {
		t.Fatalf("%d calls and %d waits, want %d and %d", f.calls, len(*waits), batchAttempts, batchAttempts-1)
	}
}

func TestBatchPutThrottledBeyondRetries(t *testing.T) {
	s, f, _ := newFaultStore(t, []step{
		{status: 400, code: "ThrottlingException"},
		{status: 400, code: "ThrottlingException"},
		{status: 400, code: "ThrottlingException"},
	})
	err := s.BatchPut(context.Background(), "items", batchItems(3))
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("BatchPut throttled on every attempt: %v", err)
	}
	if f.calls != 3 || len(f.written) != 0 {
		t.Fatalf("%d calls, %d written; want 3 attempts (the retryer's maximum), none written", f.calls, len(f.written))
	}
}

func TestBatchPutLastDuplicateWins(t *testing.T) {
	s, f, _ := newFaultStore(t, nil)
	items := []store.Item{
		{"pk": "P", "sk": "a", "v": "first"},
		{"pk": "P", "sk": "b", "v": "only"},
		{"pk": "P", "sk": "a", "v": "second"},
	}
	if err := s.BatchPut(context.Background(), "items", items); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.sizes, []int{2}) || !strings.Contains(string(f.written["P/a"]), "second") {
		t.Fatalf("sent %v requests, P/a = %s", f.sizes, f.written["P/a"])
	}
}

func TestBatchBackoffBounded(t *testing.T) {
	for attempt := 1; attempt <= 100; attempt++ {
		ceiling := batchMaxDelay
		if attempt < 8 {
			ceiling = min(batchBaseDelay<<(attempt-1), batchMaxDelay)
		}
		for range 20 {
			if d := batchBackoff(attempt); d < 0 || d > ceiling {
				t.Fatalf("batchBackoff(%d) = %v, want within [0, %v]", attempt, d, ceiling)
			}
		}
	}
}
