package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/magpie-sdc/magpie/shared/catalog"
)

// partSuffix marks a download in progress; a later run resumes it.
const partSuffix = ".part"

func downloadCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("download", stderr)
	qf := addQueryFlags(fs)
	out := fs.String("out", ".", "folder to write the files into")
	limit := fs.Int("limit", 0, "download at most this many files (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: magpie download --server URL [filters] [--out DIR] [NAME...]\n\n"+
			"Download files by name or by query. A partial download (NAME.part) is resumed;\n"+
			"every file is checked against the size and SHA-256 the server lists. Flags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	q, filtered := qf.values()
	names := fs.Args()
	if len(names) == 0 && !filtered {
		return fail(stderr, 2, "download: give file names or at least one filter (e.g. --instrument fgm --level l2 --start 2015-10-16)")
	}
	c, err := newAPIClient(*qf.server, *qf.user)
	if err != nil {
		return fail(stderr, 2, "download: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(stderr, 1, "download: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// Metadata first: the sizes make one progress bar for the whole run,
	// and the checksums are what the bytes are verified against.
	var recs []catalog.Record
	if len(names) > 0 {
		for _, n := range names {
			if strings.ContainsAny(n, `/\`) || n == "." || n == ".." {
				return fail(stderr, 2, "download: %q is not a file name", n)
			}
			var r catalog.Record
			if err := c.getJSON(ctx, "/api/v1/files/"+url.PathEscape(n), nil, &r); err != nil {
				return fail(stderr, exitFor(err), "download: %v", err)
			}
			recs = append(recs, r)
		}
	} else if err := c.search(ctx, q, *limit, func(r catalog.Record) error { recs = append(recs, r); return nil }); err != nil {
		return fail(stderr, exitFor(err), "download: %v", err)
	}
	if *limit > 0 && len(recs) > *limit {
		recs = recs[:*limit]
	}
	var total int64
	for _, r := range recs {
		total += r.Size
	}
	bar := newBar(stderr, total, fmt.Sprintf("downloading %d file(s)", len(recs)))
	var got, skipped, failed int
	for _, r := range recs {
		if ctx.Err() != nil {
			break
		}
		res, err := downloadOne(ctx, c, r, *out, bar)
		switch {
		case err != nil:
			failed++
			bar.Clear()
			fmt.Fprintf(stderr, "failed   %s: %v\n", r.Name, err)
		case res == "up to date":
			skipped++
		default:
			got++
		}
	}
	bar.Finish()
	fmt.Fprintf(stdout, "%d downloaded, %d already up to date, %d failed\n", got, skipped, failed)
	if failed > 0 || ctx.Err() != nil {
		return 1
	}
	return 0
}

// downloadOne fetches one file into dir, resuming a .part file with a
// Range request, and renames it into place only once its size and SHA-256
// match the record. It returns "up to date", "resumed" or "downloaded".
func downloadOne(ctx context.Context, c *apiClient, r catalog.Record, dir string, bar io.Writer) (string, error) {
	if r.Name == "" || strings.ContainsAny(r.Name, `/\`) {
		return "", fmt.Errorf("the server listed an unusable file name %q", r.Name)
	}
	dest := filepath.Join(dir, r.Name)
	part := dest + partSuffix
	if fi, err := os.Stat(dest); err == nil && fi.Size() == r.Size {
		if sum, _, err := fileSHA256(dest); err == nil && (r.SHA256 == "" || sum == r.SHA256) {
			progress(bar, r.Size)
			return "up to date", nil
		}
	}
	h := sha256.New()
	var have int64
	if fi, err := os.Stat(part); err == nil && fi.Size() > 0 && fi.Size() < r.Size {
		// The bytes already here count towards the checksum.
		f, err := os.Open(part)
		if err != nil {
			return "", err
		}
		have, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", part, err)
		}
	}
	hdr := http.Header{}
	if have > 0 {
		hdr.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := c.get(ctx, "/api/v1/files/"+url.PathEscape(r.Name)+"/download", nil, hdr)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	result := "resumed"
	if have == 0 || resp.StatusCode != http.StatusPartialContent {
		// No range asked, or the server sent the whole file: start over.
		flags, have, result = os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0, "downloaded"
		h.Reset()
	} else if want := fmt.Sprintf("bytes %d-", have); !strings.HasPrefix(resp.Header.Get("Content-Range"), want) {
		return "", fmt.Errorf("the server answered range %q to a request from byte %d", resp.Header.Get("Content-Range"), have)
	}
	progress(bar, have)
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return "", err
	}
	n, err := io.Copy(io.MultiWriter(f, h, bar), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The .part file stays, so the next run resumes from here.
		return "", fmt.Errorf("after %d bytes: %w", have+n, err)
	}
	if err := verify(r, have+n, h); err != nil {
		os.Remove(part)
		return "", err
	}
	if err := os.Rename(part, dest); err != nil {
		return "", err
	}
	return result, nil
}

func verify(r catalog.Record, size int64, h hash.Hash) error {
	if size != r.Size {
		return fmt.Errorf("got %d bytes, the server lists %d; the partial file was removed", size, r.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); r.SHA256 != "" && sum != r.SHA256 {
		return errors.New("SHA-256 " + sum + " does not match the server's " + r.SHA256 + "; the partial file was removed")
	}
	return nil
}

// progress advances the bar by bytes that were not copied through it.
func progress(bar io.Writer, n int64) {
	if a, ok := bar.(interface{ Add64(int64) error }); ok && n > 0 {
		a.Add64(n)
	}
}
