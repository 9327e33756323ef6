package awsstore

import (
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/storetest"
)

func TestS3TaggerContract(t *testing.T) {
	client := emulatorS3(t)
	storetest.TaggerContract(t, func(t *testing.T) store.ObjectStore {
		return NewObjectStore(client, newBucket(t, client))
	})
}
