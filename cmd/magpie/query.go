package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
)

// apiClient calls a Magpie server's JSON API as any client would.
type apiClient struct {
	base       *url.URL
	user, pass string
	http       *http.Client
}

// newAPIClient checks the server URL; the password of --user comes from
// $MAGPIE_PASSWORD (or user:password in the URL), as for `magpie ingest`.
func newAPIClient(server, user string) (*apiClient, error) {
	base, err := url.Parse(server)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, errors.New("--server must be a URL like http://127.0.0.1:8080")
	}
	c := &apiClient{base: base, http: &http.Client{}}
	if base.User != nil {
		c.user = base.User.Username()
		c.pass, _ = base.User.Password()
		base.User = nil
	}
	if user != "" {
		c.user, c.pass = user, os.Getenv("MAGPIE_PASSWORD")
	}
	return c, nil
}

// get sends one GET; any answer other than 2xx (or 206) is an error that
// carries the server's message.
func (c *apiClient) get(ctx context.Context, path string, q url.Values, hdr http.Header) (*http.Response, error) {
	u := c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var apiErr struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &apiErr) == nil && apiErr.Message != "" {
		msg = apiErr.Message
	}
	if resp.StatusCode == http.StatusUnauthorized && c.user == "" {
		msg += " (pass --user NAME with MAGPIE_PASSWORD set)"
	}
	return nil, &httpError{status: resp.StatusCode, msg: fmt.Sprintf("GET %s: %s: %s", path, resp.Status, msg)}
}

type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func (c *apiClient) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	resp, err := c.get(ctx, path, q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: unreadable answer: %w", path, err)
	}
	return nil
}

// search pages through GET /api/v1/files, calling fn for each record, up
// to max records (0: all).
func (c *apiClient) search(ctx context.Context, q url.Values, max int, fn func(catalog.Record) error) error {
	q = cloneValues(q)
	n := 0
	for {
		var page struct {
			Files      []catalog.Record `json:"files"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := c.getJSON(ctx, "/api/v1/files", q, &page); err != nil {
			return err
		}
		for _, r := range page.Files {
			if max > 0 && n == max {
				return nil
			}
			if err := fn(r); err != nil {
				return err
			}
			n++
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// queryFlags are the search filters `query` and `download` share; each is
// the API parameter of the same meaning (lists are comma-separated).
type queryFlags struct {
	server, user *string
	params       map[string]*string
	allVersions  *bool
}

var queryParams = []struct{ flag, param, usage string }{
	{"kind", "kind", "science (default), ancillary or selection"},
	{"sc", "sc_id", "spacecraft, e.g. mms1,mms2"},
	{"instrument", "instrument_id", "instrument, e.g. fgm"},
	{"rate", "data_rate_mode", "data rate mode, e.g. srvy,brst"},
	{"level", "data_level", "data level, e.g. l2"},
	{"descriptor", "descriptor", "descriptor, e.g. dis-moms"},
	{"product", "product", "ancillary product or selection type"},
	{"ext", "ext", "file extension, e.g. cdf"},
	{"start", "start_date", "first day (YYYY-MM-DD or RFC 3339)"},
	{"end", "end_date", "last day (YYYY-MM-DD or RFC 3339)"},
	{"version", "version", "exact version X.Y.Z"},
}

func addQueryFlags(fs *flag.FlagSet) *queryFlags {
	q := &queryFlags{params: map[string]*string{}}
	q.server = fs.String("server", os.Getenv("MAGPIE_SERVER"), "base URL of the SDC (default $MAGPIE_SERVER)")
	q.user = fs.String("user", "", "team user; the password comes from $MAGPIE_PASSWORD (public data needs no login)")
	for _, p := range queryParams {
		q.params[p.param] = fs.String(p.flag, "", p.usage)
	}
	q.allVersions = fs.Bool("all-versions", false, "every version, not only the newest of each file")
	return q
}

// values turns the flags into API parameters; it reports whether any
// filter was given.
func (q *queryFlags) values() (url.Values, bool) {
	v := url.Values{}
	for param, p := range q.params {
		if *p != "" {
			v.Set(param, *p)
		}
	}
	filtered := len(v) > 0
	if *q.allVersions {
		v.Set("all_versions", "true")
	}
	return v, filtered
}

func queryCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("query", stderr)
	qf := addQueryFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON record per line instead of a table")
	limit := fs.Int("limit", 0, "print at most this many files (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: magpie query --server URL [filters] [NAME...]\n\nSearch the SDC's files through its JSON API. Flags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *limit < 0 {
		return fail(stderr, 2, "query: --limit must be 0 or more")
	}
	c, err := newAPIClient(*qf.server, *qf.user)
	if err != nil {
		return fail(stderr, 2, "query: %v", err)
	}
	q, _ := qf.values()
	if names := fs.Args(); len(names) > 0 {
		q.Set("file", strings.Join(names, ","))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var tw *tabwriter.Writer
	if !*asJSON {
		tw = tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tVERSION\tSIZE\tSTART\tINGESTED\tRELEASED")
	}
	enc := json.NewEncoder(stdout)
	n := 0
	err = c.search(ctx, q, *limit, func(r catalog.Record) error {
		n++
		if *asJSON {
			return enc.Encode(r)
		}
		rel := "no"
		if r.Released {
			rel = "yes"
			if r.ReleaseID != "" {
				rel = r.ReleaseID
			}
		}
		_, err := fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r.Name, r.Version, r.Size, r.Start.UTC().Format(time.RFC3339),
			r.Ingested.UTC().Format(time.RFC3339), rel)
		return err
	})
	if tw != nil {
		tw.Flush()
	}
	if err != nil {
		return fail(stderr, exitFor(err), "query: %v", err)
	}
	if !*asJSON {
		fmt.Fprintf(stderr, "%d file(s)\n", n)
	}
	return 0
}

// exitFor maps an API error to the exit code: the server rejecting the
// request (4xx) is bad input, anything else a failure.
func exitFor(err error) int {
	var he *httpError
	if errors.As(err, &he) && he.status/100 == 4 {
		return 2
	}
	return 1
}
