package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/store"
)

// ingestSummary counts outcomes across the files of one ingest run.
type ingestSummary struct {
	indexed, duplicate, quarantined, failed int
}

func (s *ingestSummary) add(out ingest.Outcome, err error) {
	switch {
	case err != nil:
		s.failed++
	case out.Result == ingest.ResultIndexed:
		s.indexed++
	case out.Result == ingest.ResultDuplicate:
		s.duplicate++
	case out.Result == ingest.ResultQuarantined:
		s.quarantined++
	default:
		s.failed++
	}
}

func ingestCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ingest", stderr)
	data := fs.String("data", defaultDataDir(), "data folder of a local SDC that is not running")
	server := fs.String("server", "", "base URL of a running SDC (e.g. http://127.0.0.1:8080); overrides --data")
	profilePath := fs.String("profile", "", "mission profile file (with --data)")
	user := fs.String("user", "", "team user for --server; the password comes from $MAGPIE_PASSWORD (user:password in the URL works too)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		return fail(stderr, 2, "ingest: give one or more files")
	}
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return fail(stderr, 2, "ingest: %v", err)
		}
		if fi.IsDir() {
			return fail(stderr, 2, "ingest: %s is a folder; give files (e.g. %s/*)", f, f)
		}
		total += fi.Size()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var send func(ctx context.Context, path string) (ingest.Outcome, error)
	if *server != "" {
		base, err := url.Parse(*server)
		if err != nil || base.Scheme == "" || base.Host == "" {
			return fail(stderr, 2, "ingest: --server must be a URL like http://127.0.0.1:8080")
		}
		client := &http.Client{Timeout: 30 * time.Minute}
		if *user != "" {
			base.User = url.UserPassword(*user, os.Getenv("MAGPIE_PASSWORD"))
		}
		send = func(ctx context.Context, path string) (ingest.Outcome, error) { return upload(ctx, client, base, path) }
	} else {
		p, err := loadProfile(*profilePath)
		if err != nil {
			return fail(stderr, 2, "%v", err)
		}
		sdc, code := openLocal(ctx, runtime.Config{DataDir: *data, Profile: p}, stderr, "use --server URL to ingest through it")
		if sdc == nil {
			return code
		}
		defer sdc.Close()
		send = func(ctx context.Context, path string) (ingest.Outcome, error) { return ingestLocal(ctx, sdc, path) }
	}

	bar := newBar(stderr, total, "ingesting")
	bar.ChangeMax64(total)
	var sum ingestSummary
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		out, err := send(ctx, f)
		sum.add(out, err)
		switch {
		case err != nil:
			bar.Clear()
			fmt.Fprintf(stderr, "failed       %s: %v\n", filepath.Base(f), err)
		case out.Result == ingest.ResultQuarantined:
			bar.Clear()
			fmt.Fprintf(stderr, "quarantined  %s: %s (%s)\n", filepath.Base(f), out.Reason, out.Code)
		}
		if fi, err := os.Stat(f); err == nil {
			bar.Add64(fi.Size())
		}
	}
	bar.Finish()
	fmt.Fprintf(stdout, "%d indexed, %d already archived, %d quarantined, %d failed\n", sum.indexed, sum.duplicate, sum.quarantined, sum.failed)
	if sum.quarantined > 0 || sum.failed > 0 || ctx.Err() != nil {
		return 2
	}
	return 0
}

// ingestLocal copies a file into the local dropbox and indexes it at once.
func ingestLocal(ctx context.Context, sdc *runtime.Local, path string) (ingest.Outcome, error) {
	f, err := os.Open(path)
	if err != nil {
		return ingest.Outcome{}, err
	}
	defer f.Close()
	key := "cli/" + filepath.Base(path)
	if _, err := sdc.Dropbox.Put(ctx, key, f, store.PutOptions{CreateOnly: true}); err != nil && !errors.Is(err, store.ErrExists) {
		return ingest.Outcome{}, fmt.Errorf("copy into the dropbox: %w", err)
	}
	return sdc.Ingest(ctx, key)
}

// upload sends one file to a server's upload endpoint with its SHA-256, so
// the server verifies what it received.
func upload(ctx context.Context, client *http.Client, base *url.URL, path string) (ingest.Outcome, error) {
	sum, size, err := fileSHA256(path)
	if err != nil {
		return ingest.Outcome{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return ingest.Outcome{}, err
	}
	defer f.Close()
	u := base.JoinPath("/api/v1/upload")
	u.RawQuery = url.Values{"file": {filepath.Base(path)}}.Encode()
	u.User = nil
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), f)
	if err != nil {
		return ingest.Outcome{}, err
	}
	if base.User != nil {
		pw, _ := base.User.Password()
		req.SetBasicAuth(base.User.Username(), pw)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Checksum-SHA256", sum)
	resp, err := client.Do(req)
	if err != nil {
		return ingest.Outcome{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusUnprocessableEntity:
		var out ingest.Outcome
		if err := json.Unmarshal(body, &out); err != nil {
			return ingest.Outcome{}, fmt.Errorf("unreadable answer from the server: %w", err)
		}
		return out, nil
	case http.StatusAccepted:
		return ingest.Outcome{Name: filepath.Base(path), Result: ingest.ResultIndexed}, nil
	case http.StatusUnauthorized:
		return ingest.Outcome{}, errors.New("the server needs a team login: pass --user NAME with MAGPIE_PASSWORD set")
	}
	var apiErr struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &apiErr) == nil && apiErr.Message != "" {
		return ingest.Outcome{}, fmt.Errorf("server answered %s: %s", resp.Status, apiErr.Message)
	}
	return ingest.Outcome{}, fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
