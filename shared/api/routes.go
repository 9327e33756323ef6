package api

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/magpie-sdc/magpie/shared/auth"
)

// route is one entry of the route table.
type route struct {
	Method  string
	Path    string // http.ServeMux pattern path, with {wildcards}
	Perm    auth.Permission
	Summary string
	// Params are the query (or form) parameters, for the OpenAPI document.
	Params []string
	h      http.HandlerFunc
}

var mmsParams = []string{"sc_id", "instrument_id", "data_rate_mode", "data_level", "descriptor", "start_date",
	"end_date", "start_time", "end_time", "version", "file", "files", "product"}

func (s *Server) routeTable() []route {
	rs := []route{
		{Method: "GET", Path: "/healthz", Perm: auth.PermPublic, Summary: "liveness and catalog health", h: s.health},
		{Method: "GET", Path: "/api/v1/health", Perm: auth.PermPublic, Summary: "liveness and catalog health", h: s.health},
		{Method: "GET", Path: "/api/v1/openapi.json", Perm: auth.PermPublic, Summary: "this API's OpenAPI 3 document", h: s.openAPI},
		{Method: "POST", Path: "/api/v1/login", Perm: auth.PermPublic, Summary: "exchange HTTP Basic credentials (or form username/password) for a bearer token", h: s.login},
		{Method: "GET", Path: "/api/v1/whoami", Perm: auth.PermPublic, Summary: "the authenticated caller and roles", h: s.whoami},
		{Method: "GET", Path: "/api/v1/files", Perm: auth.PermPublic, Summary: "search files (public callers: released only), paged by next_cursor",
			Params: []string{"kind", "sc_id", "instrument_id", "data_rate_mode", "data_level", "descriptor", "product", "ext", "file",
				"start_date", "end_date", "version", "all_versions", "limit", "cursor"}, h: s.searchFiles},
		{Method: "GET", Path: "/api/v1/files/changes", Perm: auth.PermPublic, Summary: "change feed for mirrors: each file at its last visible change (indexed, released, unreleased); public callers see released files and tombstones of withdrawn ones",
			Params: []string{"since", "cursor", "limit"}, h: s.changes},
		{Method: "GET", Path: "/api/v1/files/recent", Perm: auth.PermPublic, Summary: "most recently processed files", h: s.recent},
		{Method: "GET", Path: "/api/v1/files/{name}", Perm: auth.PermPublic, Summary: "one file's metadata", h: s.fileMeta},
		{Method: "GET", Path: "/api/v1/files/{name}/download", Perm: auth.PermPublic, Summary: "one file's bytes (Range, If-Modified-Since)", h: s.downloadByName},
		{Method: "GET", Path: "/api/v1/products", Perm: auth.PermPublic, Summary: "products with files", h: s.products},
		{Method: "GET", Path: "/api/v1/availability", Perm: auth.PermPublic, Summary: "files per day of the matching products",
			Params: []string{"sc_id", "instrument_id", "data_rate_mode", "data_level", "descriptor", "start_date", "end_date"}, h: s.availability},
		{Method: "GET", Path: "/api/v1/releases/notes/{instrument}", Perm: auth.PermPublic, Summary: "release notes of an instrument (or 'ancillary')", h: s.releaseNotes},
		{Method: "GET", Path: "/api/v1/releases/approvals", Perm: auth.PermTeam, Summary: "instrument levels approved for automatic release", h: s.approvals},
		{Method: "POST", Path: "/api/v1/releases", Perm: auth.PermOperate, Summary: "release or unrelease files by instrument, level and time range", h: s.releaseOp},
		{Method: "POST", Path: "/api/v1/releases/approvals", Perm: auth.PermOperate, Summary: "approve (or revoke) automatic release of an instrument level", h: s.approve},
		{Method: "POST", Path: "/api/v1/releases/auto", Perm: auth.PermOperate, Summary: "release what the embargo allows now", h: s.autoRelease},
		{Method: "POST", Path: "/api/v1/upload", Perm: auth.PermSubmit, Summary: "upload one file (raw body, Content-Length)", Params: []string{"file"}, h: s.upload},
		{Method: "PUT", Path: "/api/v1/upload", Perm: auth.PermSubmit, Summary: "upload one file (raw body, Content-Length)", Params: []string{"file"}, h: s.upload},
		{Method: "GET", Path: "/api/v1/quarantine", Perm: auth.PermTeam, Summary: "quarantined files and why", h: s.quarantine},
		{Method: "GET", Path: "/{$}", Perm: auth.PermPublic, Summary: "status page for people", h: s.statusPage},
		// The same page behind a login: a browser only sends Basic
		// credentials after a challenge, so team members sign in here.
		{Method: "GET", Path: "/team/{$}", Perm: auth.PermTeam, Summary: "status page for team members (all files, quarantine)", h: s.statusPage},
		// Pages for people, each served publicly (released data) and under
		// /team/ behind the login; jobs and quarantine are team only.
		{Method: "GET", Path: "/team/files/{name}/download", Perm: auth.PermTeam, Summary: "one file's bytes for the team pages (the browser sends its login under /team/)", h: s.downloadByName},
		{Method: "GET", Path: "/team/jobs", Perm: auth.PermTeam, Summary: "processing jobs page", Params: []string{"status"}, h: s.jobsPage},
		{Method: "GET", Path: "/team/quarantine", Perm: auth.PermTeam, Summary: "quarantine page", h: s.quarantinePage},
		{Method: "GET", Path: "/team/campaigns", Perm: auth.PermTeam, Summary: "reprocessing campaigns page: status, request, estimate, counts, duration", h: s.campaignsPage},
		{Method: "GET", Path: "/team/campaigns/{id}", Perm: auth.PermTeam, Summary: "one reprocessing campaign's page: request, estimate, outcome, new versions", h: s.campaignPage},
	}
	for _, prefix := range []string{"", "/team"} {
		perm, who := auth.PermPublic, " (released data)"
		if prefix != "" {
			perm, who = auth.PermTeam, " (team view)"
		}
		rs = append(rs,
			route{Method: "GET", Path: prefix + "/browse/{$}", Perm: perm, Summary: "data browser: spacecraft" + who, h: s.browse},
			route{Method: "GET", Path: prefix + "/browse/{sc}/{$}", Perm: perm, Summary: "data browser: instruments" + who, h: s.browse},
			route{Method: "GET", Path: prefix + "/browse/{sc}/{instrument}/{$}", Perm: perm, Summary: "data browser: levels" + who, h: s.browse},
			route{Method: "GET", Path: prefix + "/browse/{sc}/{instrument}/{level}/{$}", Perm: perm, Summary: "data browser: days" + who, h: s.browse},
			route{Method: "GET", Path: prefix + "/browse/{sc}/{instrument}/{level}/{day}", Perm: perm, Summary: "data browser: one day's files and quick-look plots" + who,
				Params: []string{"all_versions"}, h: s.browse},
			route{Method: "GET", Path: prefix + "/availability", Perm: perm, Summary: "coverage charts per instrument and spacecraft" + who,
				Params: []string{"instrument_id", "sc_id", "start_date", "end_date"}, h: s.availabilityPage},
			route{Method: "GET", Path: prefix + "/recent", Perm: perm, Summary: "most recently processed files page" + who, h: s.recentPage},
			route{Method: "GET", Path: prefix + "/events", Perm: perm, Summary: "mission events of a date range: timeline and table" + who,
				Params: []string{"start_date", "end_date"}, h: s.eventsPage},
		)
	}
	rs = append(rs, []route{
		{Method: "GET", Path: "/mms/sdc/sitl/latis/dap/properties.txt", Perm: auth.PermTeam, Summary: "LaTiS login probe", h: s.latisProperties},
		{Method: "GET", Path: "/mms/sdc/sitl/latis/dap/mms_burst_data_segment.csv", Perm: auth.PermTeam, Summary: "LaTiS burst segments (filters and projection in the query)", h: s.latisSegments},
		{Method: "GET", Path: "/mms/sdc/public/service/latis/mms_burst_data_segment.csv", Perm: auth.PermPublic, Summary: "LaTiS burst segments, public (filters and projection in the query)", h: s.latisSegments},
		{Method: "GET", Path: "/mms/sdc/sitl/latis/dap/mms_events_view.csv", Perm: auth.PermTeam, Summary: "LaTiS events: regions of interest, SITL windows, orbits (filters and projection in the query)", h: s.latisEvents},
		{Method: "GET", Path: "/mms/sdc/public/service/latis/mms_events_view.csv", Perm: auth.PermPublic, Summary: "LaTiS events, public (released ephemeris only)", h: s.latisEvents},
		{Method: "GET", Path: "/team/burst", Perm: auth.PermTeam, Summary: "burst page: current SITL cycle, ABS, segments, memory metrics and reports", h: s.burstPage},
		{Method: "POST", Path: "/team/burst/submissions", Perm: auth.PermSubmit, Summary: "the burst page's form: check or submit a selections CSV (multipart) to a SITL cycle", h: s.burstFormSubmit},
		{Method: "GET", Path: "/team/burst/metrics.png", Perm: auth.PermTeam, Summary: "burst memory metrics of the last 30 days as a PNG", Params: []string{"days"}, h: s.burstMetricsPNG},
		{Method: "GET", Path: "/api/v1/burst/metrics", Perm: auth.PermTeam, Summary: "burst memory metrics of the last 30 days as JSON", Params: []string{"days"}, h: s.burstMetricsJSON},
		{Method: "GET", Path: "/api/v1/burst/segments", Perm: auth.PermTeam, Summary: "burst segments of the BDM, newest first, with their life cycle and buffers per observatory", Params: []string{"status", "limit"}, h: s.burstSegments},
		{Method: "GET", Path: "/api/v1/jobs", Perm: auth.PermTeam, Summary: "processing jobs, newest first, and the count per status", Params: []string{"status", "limit"}, h: s.jobs},
		{Method: "GET", Path: "/api/v1/jobs/{id}", Perm: auth.PermTeam, Summary: "one processing job: inputs, outputs, timings, attempts, error", h: s.job},
		{Method: "GET", Path: "/api/v1/burst/reports", Perm: auth.PermTeam, Summary: "BDM buffer-counts and burst-synch reports per spacecraft", h: s.burstReports},
		{Method: "POST", Path: "/api/v1/reprocess", Perm: auth.PermOperate, Summary: "start a reprocessing campaign (JSON campaign request, dry_run supported): execution id and estimate", h: s.reprocess},
		{Method: "GET", Path: "/api/v1/reprocess", Perm: auth.PermTeam, Summary: "reprocessing campaigns, newest first: status, request, estimate, outcome", h: s.campaignList},
		{Method: "GET", Path: "/api/v1/reprocess/{id}", Perm: auth.PermTeam, Summary: "a reprocessing campaign's status and summary", h: s.reprocessStatus},
		{Method: "GET", Path: "/api/v1/sitl/cycles", Perm: auth.PermTeam, Summary: "every SITL cycle", h: s.sitlCycles},
		{Method: "GET", Path: "/api/v1/sitl/cycles/current", Perm: auth.PermTeam, Summary: "the newest SITL cycle: window, deadline, ABS", h: s.sitlCurrent},
		{Method: "POST", Path: "/api/v1/sitl/cycles/{id}/validate", Perm: auth.PermSubmit, Summary: "check selections (JSON rows or text/csv) without submitting", Params: []string{"file"}, h: s.sitlValidate},
		{Method: "POST", Path: "/api/v1/sitl/cycles/{id}/submissions", Perm: auth.PermSubmit, Summary: "submit selections (JSON rows or text/csv) to a SITL cycle", Params: []string{"file"}, h: s.sitlSubmit},
		{Method: "POST", Path: "/api/v1/sitl/cycles/{id}/approval", Perm: auth.PermApprove, Summary: "a super-SITL's decision on the submission awaiting approval", h: s.sitlApprove},
	}...)
	for _, zone := range []string{"public", "sitl"} {
		perm := auth.PermPublic
		if zone == "sitl" {
			perm = auth.PermTeam
		}
		services := []string{"file_info", "file_names", "version_info", "download"}
		if zone == "sitl" {
			services = append(services, "day_info")
		}
		for _, svc := range services {
			for _, m := range []string{"GET", "POST"} {
				rs = append(rs, route{Method: m, Path: "/mms/sdc/" + zone + "/files/api/v1/" + svc + "/{type}", Perm: perm,
					Summary: "MMS " + svc + " (" + zone + ")", Params: mmsParams, h: s.mmsService(zone == "public", svc)})
			}
		}
	}
	// The burst metadata of each spacecraft (team only, as at the MMS SDC).
	for _, sc := range s.b.Profile.Spacecraft {
		rs = append(rs, route{Method: "GET", Path: "/mms/sdc/sitl/latis/dap/" + sc + "_burst_metadata.csv", Perm: auth.PermTeam,
			Summary: "LaTiS burst metadata of " + sc + ": CDQ, MDQ and segment per buffer (filters and projection in the query)", h: s.latisMetadata(sc)})
	}
	rs = append(rs, route{Method: "POST", Path: "/mms/sdc/sitl/files/api/v1/upload/{type}", Perm: auth.PermSubmit,
		Summary: "MMS upload (raw bytes, Content-Length)", Params: []string{"file"}, h: s.mmsUpload})
	return rs
}

var wildcard = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPIDoc builds the OpenAPI 3 document from the route table, so the
// document cannot drift from what the server serves.
func (s *Server) openAPIDoc() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		p := strings.TrimSuffix(rt.Path, "{$}")
		item := paths[p]
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		var params []map[string]any
		for _, m := range wildcard.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		for _, q := range rt.Params {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]string{"type": "string"}})
		}
		op := map[string]any{
			"summary":             rt.Summary,
			"x-magpie-permission": string(rt.Perm),
			"responses": map[string]any{
				"200": map[string]string{"description": "success"},
				"401": map[string]string{"description": "missing or bad credentials"},
				"403": map[string]string{"description": "the caller lacks the permission"},
			},
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Perm != auth.PermPublic {
			op["security"] = []map[string][]string{{"basic": {}}, {"bearer": {}}}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ordered := map[string]any{}
	for _, k := range keys {
		ordered[k] = paths[k]
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]string{"title": "Magpie SDC API", "version": "1"},
		"paths":   ordered,
		"components": map[string]any{"securitySchemes": map[string]any{
			"basic":  map[string]string{"type": "http", "scheme": "basic"},
			"bearer": map[string]string{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
		}},
	}
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPIDoc())
}
