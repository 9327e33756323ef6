package awsstore

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/storetest"
)

// newTablePrefix returns a table-name prefix no other test uses; the tables
// made under it are deleted when the test ends.
func newTablePrefix(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	prefix := uniqueName("magpie-test-") + "-"
	t.Cleanup(func() {
		ctx := context.Background()
		p := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Logf("cleanup: %v", err)
				return
			}
			for _, name := range page.TableNames {
				if len(name) > len(prefix) && name[:len(prefix)] == prefix {
					client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
				}
			}
		}
	})
	return prefix
}

func TestDynamoDBContract(t *testing.T) {
	client := emulatorDynamoDB(t)
	storetest.TableStoreContract(t, func(t *testing.T) store.TableStore {
		return NewTableStore(client, newTablePrefix(t, client))
	})
}
