package api

import "testing"

// BenchmarkPages serves pages for people from the pages fixture: the
// cost of a page is its catalog queries plus rendering the HTML.
func BenchmarkPages(b *testing.B) {
	_, h := pagesFixture(b)
	for _, bc := range []struct{ name, path, user string }{
		{"status-team", "/team/", "scientist"},
		{"browse-day-team", "/team/browse/mms1/fgm/l2/2015-10-16", "scientist"},
		{"availability", "/availability", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code, body := getPage(b, h, bc.path, bc.user); code != 200 {
					b.Fatalf("%s: %d %.200s", bc.path, code, body)
				}
			}
		})
	}
}
