// Package statemachines holds the Amazon States Language definitions Magpie
// runs: the same files are deployed to AWS Step Functions (with
// DefinitionSubstitutions for the ARNs, see README.md) and run locally by
// shared/asl.
package statemachines

import "embed"

// Files are the definitions, by file name (e.g. "reprocess.asl.json").
//
//go:embed *.asl.json
var Files embed.FS
