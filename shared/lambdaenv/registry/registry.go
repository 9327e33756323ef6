// Package registry names the builder of every function in functions/, for
// `magpie invoke --aws` and the tests. A function's bootstrap never imports
// it: that would link every function into each one.
package registry

import (
	"sort"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	apifn "github.com/magpie-sdc/magpie/shared/lambdaenv/api"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/indexer"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/processor"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/reprocess"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/sitl"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/sweeper"
)

// Functions returns the builders of the functions in functions/, by name.
func Functions() map[string]lambdaenv.Builder {
	return map[string]lambdaenv.Builder{
		"api":       apifn.Build,
		"indexer":   indexer.Build,
		"processor": processor.Build,
		"reprocess": reprocess.Build,
		"sitl":      sitl.Build,
		"sweeper":   sweeper.Build,
	}
}

// Names returns the function names, sorted.
func Names() []string {
	var names []string
	for n := range Functions() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
