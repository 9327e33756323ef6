package functions_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// forbiddenImport says why a package must not be linked into a bootstrap.
// text/template (and html/template, which uses it) calls
// reflect.Value.MethodByName with names computed at run time; when that is
// reachable the Go linker can no longer drop unused exported methods, so
// every method of every AWS SDK client (and of everything else) stays in the
// binary: +6 to +20 MB per function, and a longer cold start. gRPC brings
// html/template in through golang.org/x/net/trace (the X-Ray SDK's recorder
// package imports gRPC; shared/telemetry does not use it for that reason).
func forbiddenImport(pkg string) (why string, bad bool) {
	switch {
	case pkg == "text/template", pkg == "html/template":
		return "uses reflect.Value.MethodByName, which disables the linker's dead-method elimination", true
	case pkg == "google.golang.org/grpc" || strings.HasPrefix(pkg, "google.golang.org/grpc/"):
		return "imports html/template (through golang.org/x/net/trace), which disables the linker's dead-method elimination", true
	}
	return "", false
}

// allowedImports lists the known exceptions, per function.
var allowedImports = map[string][]string{
	// The pages' HTML builder, maragu.dev/gomponents, imports html/template
	// for its escaping functions (template.HTMLEscapeString) only; no
	// template is executed, and TestNoReflectiveMethodCalls checks that the
	// linked binary stays free of the reflective calls all the same.
	"api": {"html/template", "text/template"},
}

// TestNoReflectiveTemplates checks each function's dependencies as `make
// functions` builds it (linux/arm64, lambda.norpc).
func TestNoReflectiveTemplates(t *testing.T) {
	names := functionNames(t)
	for name := range allowedImports {
		if !slices.Contains(names, name) {
			t.Errorf("allowedImports names %q, which is not a function", name)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(goTool(), "list", "-tags", "lambda.norpc", "-deps", "./functions/"+name)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderrOf(err))
			}
			deps := strings.Fields(string(out))
			for _, pkg := range deps {
				why, bad := forbiddenImport(pkg)
				if bad && !slices.Contains(allowedImports[name], pkg) {
					t.Errorf("functions/%s links %s: it %s; every exported method of every AWS SDK client then stays in the binary. "+
						"Find the importer with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./functions/%s | grep %s`.",
						name, pkg, why, name, pkg)
				}
			}
			for _, pkg := range allowedImports[name] {
				if !slices.Contains(deps, pkg) {
					t.Errorf("functions/%s no longer links %s: remove it from allowedImports", name, pkg)
				}
			}
		})
	}
}

// TestNoReflectiveMethodCalls checks what the import test approximates:
// the linked bootstrap (linux/arm64, lambda.norpc, symbols kept) contains no
// reflect.Value.Method or MethodByName, whose presence means the linker
// kept every exported method of every linked type.
func TestNoReflectiveMethodCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("links every function")
	}
	dir := t.TempDir()
	for _, name := range functionNames(t) {
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(dir, name)
			cmd := exec.Command(goTool(), "build", "-trimpath", "-tags", "lambda.norpc", "-o", bin, "./functions/"+name)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			out, err := exec.Command(goTool(), "tool", "nm", bin).Output()
			if err != nil {
				t.Fatalf("go tool nm: %v\n%s", err, stderrOf(err))
			}
			for _, line := range strings.Split(string(out), "\n") {
				f := strings.Fields(line)
				if len(f) == 3 && (f[2] == "reflect.Value.Method" || f[2] == "reflect.Value.MethodByName") {
					t.Errorf("functions/%s links %s: some linked package calls it (text/template does), so the linker keeps "+
						"every exported method of every AWS SDK client; find it with `go build -ldflags=-dumpdep ./functions/%s 2>&1 | grep %s`",
						name, f[2], name, f[2])
				}
			}
		})
	}
}

// functionNames lists the directories of functions/ holding a main.go.
func functionNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatal("no function found in functions/")
	}
	return names
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
