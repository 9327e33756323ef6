package local

import (
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/storetest"
)

func TestTaggerContract(t *testing.T) {
	storetest.TaggerContract(t, func(t *testing.T) store.ObjectStore { return newTestObjectStore(t) })
}
