package api

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium finds the headless browser, skipping the test without one
// unless MAGPIE_REQUIRE_CHROMIUM=1 (CI sets it, so a missing browser fails).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MAGPIE_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium is not installed and MAGPIE_REQUIRE_CHROMIUM=1")
	}
	t.Skip("chromium is not installed (apt-get install chromium); set MAGPIE_REQUIRE_CHROMIUM=1 to fail instead")
	return ""
}

const shotW, shotH = 1280, 1000

// runChromium runs one headless Chromium with a fresh profile; mode is
// "--dump-dom" or "--screenshot=FILE".
func runChromium(t *testing.T, bin, mode, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	profile := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars", "--user-data-dir="+profile,
		fmt.Sprintf("--window-size=%d,%d", shotW, shotH), mode, url)
	cmd.Env = append(os.Environ(), "HOME="+profile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s %s: %v\n%s", mode, url, err, stderr.String())
	}
	return stdout.Bytes()
}

// asTeam signs every request in as a scientist, as a browser does after
// the /team/ login prompt.
func asTeam(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.SetBasicAuth("scientist", password)
		h.ServeHTTP(w, r)
	})
}

// TestPagesInChromium renders the key pages in headless Chromium, checks
// the DOM for their content and keeps a screenshot of each, checked to be
// an image of the window's size that is not blank. MAGPIE_SCREENSHOTS=DIR
// keeps the screenshots for people to look at.
func TestPagesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromium(t)
	_, h := pagesFixture(t)
	public := httptest.NewServer(h)
	t.Cleanup(public.Close) // not defer: the parallel subtests run after this function returns
	team := httptest.NewServer(asTeam(h))
	t.Cleanup(team.Close)
	dir := os.Getenv("MAGPIE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shot string
		base string
		path string
		dom  []string
		// ql: the quick-look plot must show in the screenshot.
		ql bool
	}{
		{"status-public", public.URL, "/", []string{"Recently ingested", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "team sign-in"}, false},
		{"status-team", team.URL, "/team/", []string{"Quick-look plots", qlName, "Quarantine"}, true},
		{"browse-day-team", team.URL, "/team/browse/mms1/fgm/ql/2015-10-16", []string{qlName, "download"}, true},
		{"browse-day-public", public.URL, "/browse/mms1/fgm/l2/2015-10-16", []string{"mms1_fgm_brst_l2_20151016120000_v5.113.0.cdf"}, false},
		{"availability-team", team.URL, "/team/availability", []string{"fgm · mms1", "srvy ql"}, false},
		{"jobs-team", team.URL, "/team/jobs", []string{"job-failed-0", "FAILED"}, false},
	} {
		t.Run(tc.shot, func(t *testing.T) {
			t.Parallel() // one browser per core
			dom := string(runChromium(t, bin, "--dump-dom", tc.base+tc.path))
			for _, w := range append(tc.dom, "Data browser", "Availability") { // the nav bar is on every page
				if !strings.Contains(dom, w) {
					t.Errorf("DOM of %s lacks %q", tc.path, w)
				}
			}
			file := filepath.Join(dir, tc.shot+".png")
			os.Remove(file)
			runChromium(t, bin, "--screenshot="+file, tc.base+tc.path)
			img := readPNG(t, file)
			if b := img.Bounds(); b.Dx() != shotW || b.Dy() != shotH {
				t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), shotW, shotH)
			}
			if v := lumaVariance(img); v < 100 {
				t.Errorf("screenshot looks blank: luma variance %.1f", v)
			}
			if n := countColour(img, qlMagenta); tc.ql && n < 500 {
				t.Errorf("the quick-look plot is not drawn (%d magenta pixels)", n)
			} else if !tc.ql && n > 0 {
				t.Errorf("%d magenta pixels where no plot should be", n)
			}
		})
	}
}

func readPNG(t *testing.T, file string) image.Image {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", file, err)
	}
	return img
}

// lumaVariance is the variance of the pixels' brightness: a blank page
// (all white, all black) is near 0.
func lumaVariance(img image.Image) float64 {
	var sum, sq, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += l
			sq += l * l
			n++
		}
	}
	m := sum / n
	return sq/n - m*m
}

func countColour(img image.Image, c interface{ RGBA() (r, g, b, a uint32) }) int {
	wr, wg, wb, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, wr) && near(g, wg) && near(bl, wb) {
				n++
			}
		}
	}
	return n
}

func near(a, b uint32) bool { return max(a, b)-min(a, b) < 8*257 }
