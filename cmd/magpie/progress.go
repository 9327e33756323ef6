package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// newBar returns a progress bar on w. On a terminal it redraws in place;
// otherwise (CI logs, pipes) it prints a plain line at most every few
// seconds so logs stay readable.
func newBar(w io.Writer, total int64, what string) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
	}
	if f, ok := w.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		opts = append(opts, progressbar.OptionThrottle(3*time.Second), progressbar.OptionSetRenderBlankState(false),
			progressbar.OptionUseANSICodes(false))
	} else {
		opts = append(opts, progressbar.OptionThrottle(100*time.Millisecond))
	}
	return progressbar.NewOptions64(total, opts...)
}
