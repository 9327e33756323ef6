package quicklook

import (
	"os"
	"testing"
)

// TestWriteExamplePNG renders the synthetic MMS day to the file named by
// QUICKLOOK_EXAMPLE_PNG, for looking at the result:
//
//	QUICKLOOK_EXAMPLE_PNG=/tmp/quicklook-example.png go test -run WriteExample ./shared/quicklook
func TestWriteExamplePNG(t *testing.T) {
	path := os.Getenv("QUICKLOOK_EXAMPLE_PNG")
	if path == "" {
		t.Skip("set QUICKLOOK_EXAMPLE_PNG to write the example image")
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Render(f, mmsLikeFigure(t), 1200, 900); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
