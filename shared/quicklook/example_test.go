package quicklook_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"
	"math"
	"time"

	"github.com/magpie-sdc/magpie/shared/quicklook"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// A one-panel plot of an hour of 1 S/s data with a fill-value dropout.
func ExampleRender() {
	start := time.Date(2015, 10, 16, 13, 0, 0, 0, time.UTC)
	t0, err := timeutil.UTCToTT2000(start)
	if err != nil {
		log.Fatal(err)
	}
	times := make([]int64, 3600)
	bz := make([]float64, 3600)
	for i := range times {
		times[i] = t0 + int64(i)*1e9 // TT2000 nanoseconds
		bz[i] = 20 * math.Sin(float64(i)/300)
		if i >= 1200 && i < 1500 {
			bz[i] = -1e31 // ISTP FILLVAL: drawn as a gap
		}
	}
	fig := quicklook.Figure{
		Title: "MMS1 FGM srvy L2  2015-10-16",
		Start: start,
		End:   start.Add(time.Hour),
		Panels: []quicklook.Panel{{
			YLabel: "B GSE [nT]",
			Series: []quicklook.Series{{Label: "Bz", Times: times, Values: bz}},
		}},
	}
	var buf bytes.Buffer
	if err := quicklook.Render(&buf, fig, 800, 300); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d PNG\n", cfg.Width, cfg.Height)
	// Output: 800×300 PNG
}
