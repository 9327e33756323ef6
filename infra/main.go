// Command infra is the Magpie CDK app: `cdk synth|deploy|diff -c stage=NAME`
// from the repository root (cdk.json runs it), or `go run .` here, which
// reads ../cdk.json itself and writes the cloud assembly to ../cdk.out.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/infra/sdc"
	"github.com/magpie-sdc/magpie/shared/mission"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra: "+err.Error())
		os.Exit(1)
	}
}

func run() error {
	root := os.Getenv("MAGPIE_ROOT")
	if root == "" {
		root = ".."
	}
	props := &awscdk.AppProps{}
	if os.Getenv("CDK_CONTEXT_JSON") == "" && os.Getenv("CDK_OUTDIR") == "" {
		// Run without the CDK CLI: take the context from cdk.json, as the
		// CLI would, and write the assembly where the CLI would.
		ctx, err := fileContext(filepath.Join(root, "cdk.json"))
		if err != nil {
			return err
		}
		if stage := os.Getenv("STAGE"); stage != "" {
			ctx["stage"] = stage
		}
		props.Context = &ctx
		props.Outdir = jsii.String(filepath.Join(root, "cdk.out"))
	}
	app := awscdk.NewApp(props)
	stage, _ := app.Node().TryGetContext(jsii.String("stage")).(string)
	settings, err := sdc.SettingsFromContext(app.Node().TryGetContext(jsii.String("stages")), stage)
	if err != nil {
		return err
	}
	profilePath := ""
	if settings.ProfilePath != "" {
		profilePath = filepath.Join(root, settings.ProfilePath)
	}
	profile, err := mission.LoadOrDefault(profilePath)
	if err != nil {
		return err
	}
	if _, err := sdc.NewStack(app, "Magpie-"+profile.ID+"-"+settings.Stage, sdc.Props{
		Settings: settings, Profile: profile, Root: root, ProfileBundled: profilePath != "",
	}); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// fileContext is the "context" object of cdk.json.
func fileContext(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cdk.json: %w", err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Context == nil {
		doc.Context = map[string]any{}
	}
	return doc.Context, nil
}
