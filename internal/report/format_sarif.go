package report

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// The SARIF report (Static Analysis Results Interchange Format 2.1.0) lets
// code scanning tools such as GitHub's show regressions as alerts: one rule
// per metric or named finding (seq_scan, spill, ...; plus one for queries
// that fail to run), one result per failing finding, located at the query's source file when WithSources gives it and
// at the baseline file otherwise.

// SARIFVersion is the version of the SARIF format the sarif report follows.
const SARIFVersion = "2.1.0"

// sarifSchema is where the SARIF 2.1.0 JSON schema is published.
const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// ruleQueryError is the rule of results about queries that could not run.
const ruleQueryError = "query_error"

// WithSources gives the source of each query, by query name, as
// capture.Statement.Source has it: "path" or "path:line". The junit report
// names the file of each testcase and the sarif report locates each result
// there; other formats ignore it. Relative paths are kept relative, as code
// scanning resolves them against the repository's root.
func WithSources(sources map[string]string) Option {
	return func(o *options) { o.sources = sources }
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool        `json:"tool"`
	Results           []sarifResult    `json:"results"`
	Properties        map[string]any   `json:"properties,omitempty"`
	AutomationDetails *sarifAutomation `json:"automationDetails,omitempty"`
}

// sarifAutomation identifies the run's category: "plangate/<baseline>/".
type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifHelp         `json:"help"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags []string `json:"tags"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifRuleText is what each rule says: a title, what it means, what to do.
var sarifRuleText = map[string][2]string{
	gate.MetricTotalCost: {"Planner cost regressed",
		"The planner's estimated total cost of the query grew past its threshold: usually a plan change (an index no longer used, another join method) or more rows to read."},
	gate.MetricTempWrittenBytes: {"Query spills to temporary files",
		"The query writes more temporary files than before: a sort, hash or aggregate no longer fits in work_mem. On production data such spills can fill the disk."},
	gate.MetricTempReadBytes: {"Query reads back temporary files",
		"The query reads more temporary files than before: a sort, hash or aggregate spilled to disk."},
	gate.MetricSharedBlocks: {"Buffers touched regressed",
		"The query touches more shared buffers (blocks hit and read) than before: it reads more of a table or an index, often because an index is no longer used or partitions are no longer pruned."},
	gate.MetricWALBytes: {"WAL volume regressed",
		"The statement generates more write-ahead log than before or than its budget: large unbatched writes strain replication and can fill the disk."},
	gate.MetricRows: {"Rows touched regressed",
		"The statement returns or changes more rows than before or than its budget: unbatched bulk writes hold locks and bloat tables."},
	gate.MetricMaxRowMisestimate: {"Row estimates are far off",
		"The planner's row estimates are off by a larger factor than before: stale statistics or correlated columns lead to bad join and scan choices."},
	gate.MetricQueryCount: {"More queries per test or endpoint",
		"A test or endpoint runs more queries than before: an N+1 pattern multiplies load when the database is slow."},
	gate.MetricExecutionMS: {"Execution time regressed",
		"The query's execution time grew past its threshold. Wall-clock times vary between runs; check that the change is repeatable."},
	gate.MetricPlanningMS: {"Planning time regressed",
		"The query's planning time grew past its threshold. Wall-clock times vary between runs; check that the change is repeatable."},
	"seq_scan": {"Sequential scan where the baseline used an index",
		"A Seq Scan reads many rows of a table the baseline read through an index: the index was dropped, or the condition no longer matches it (a cast or a function on the column, a parameter of another type)."},
	"spill": {"Sort or aggregate spills to disk",
		"A plan node writes temporary files because its data outgrew work_mem: a sort on disk, a hash aggregate in batches, a materialized CTE."},
	"hash_batches": {"Hash join split into batches",
		"A hash join's hash table no longer fits in work_mem and is split into batches, so both sides are written to disk and read back."},
	"misestimate": {"Row estimate off by a large factor",
		"A plan node returns far more or fewer rows than the planner expected; the join and scan choices above it rest on that estimate. Check the statistics (ANALYZE, CREATE STATISTICS for correlated columns)."},
	"nested_loop": {"Nested loop runs its inner side very many times",
		"A Nested Loop runs its inner side once per outer row, many thousands of times; a hash or merge join would read it once."},
	"partition_pruning": {"Partitions no longer pruned",
		"An Append scans more partitions than the baseline did: partition pruning no longer applies."},
	"filter": {"Filter discards most of the rows read",
		"A scan reads many rows to discard most of them in a filter: an index on the filtered columns, or a condition that matches one, would read only those kept."},
	"bulk_write": {"Unbatched bulk write",
		"One statement writes more rows or WAL than the bulk-write budget: unbatched writes hold locks, bloat tables and strain replication."},
	"n_plus_one": {"More queries per test or endpoint (N+1)",
		"A test or endpoint runs more queries than before: an N+1 pattern multiplies load when the database is slow."},
	"migration_scan": {"Migration reads a large table under a lock that blocks writes",
		"A migration statement validates, indexes or copies a large table while holding a lock that blocks writes to it: every write waits for the whole scan. Use CREATE INDEX CONCURRENTLY, or add constraints NOT VALID and VALIDATE them separately."},
	"migration_rewrite": {"Migration rewrites a large table",
		"A migration statement gives a large table new storage, copying every row under an ACCESS EXCLUSIVE lock: nothing reads or writes the table meanwhile."},
	"migration_lock": {"Migration holds a strong lock too long",
		"A migration statement holds a lock that blocks writes (or everything) on a large table past its budget; the application's queries queue behind it."},
	"migration_backfill": {"Migration touches too many rows in one statement",
		"One migration statement updates or inserts more rows than the backfill budget: batch it, each batch in its own transaction."},
	"migration_wal": {"Migration writes too much WAL in one statement",
		"One migration statement writes more WAL than its budget: replicas and archiving fall behind and the disk fills."},
	"migration_lock_timeout": {"Migration takes a strong lock without lock_timeout",
		"A strong lock taken with no lock_timeout set waits behind any long query and blocks every query queued after it."},
	"migration_failed": {"Migration fails on the seeded database",
		"A migration statement failed on a copy of the seeded database; it would fail in production too."},
	ruleQueryError: {"Query fails to run",
		"The query could not be measured: it failed, ran past statement_timeout or exceeded temp_file_limit. On production data it would fail or exhaust the server the same way."},
}

func writeSARIF(w io.Writer, r gate.Report, meta Meta, o options) error {
	// The rules are those the results use, in metric order, so that a
	// report's rules and their indexes are stable.
	var ruleIDs []string
	for _, res := range r.Queries {
		for _, id := range sarifRuleIDs(res) {
			if !slices.Contains(ruleIDs, id) {
				ruleIDs = append(ruleIDs, id)
			}
		}
	}
	gate.SortMetrics(ruleIDs)
	for _, m := range r.Migrations {
		for _, f := range m.Findings {
			if f.Severity == gate.SeverityFail && !slices.Contains(ruleIDs, f.Kind) {
				ruleIDs = append(ruleIDs, f.Kind)
			}
		}
	}
	rules := make([]sarifRule, 0, len(ruleIDs))
	for _, id := range ruleIDs {
		rules = append(rules, sarifRuleFor(id))
	}

	results := []sarifResult{}
	for _, res := range r.Queries {
		loc := sarifLocationFor(o.sources[res.Name], meta.Baseline)
		if res.Status == gate.StatusError {
			msg := "the query could not be measured"
			if res.Current != nil && res.Current.Error != "" {
				msg = res.Current.Error
			}
			results = append(results, sarifResult{
				RuleID:              ruleQueryError,
				RuleIndex:           slices.Index(ruleIDs, ruleQueryError),
				Level:               "error",
				Message:             sarifText{Text: res.Name + ": " + msg},
				Locations:           loc,
				PartialFingerprints: sarifFingerprint(res.Name, ruleQueryError),
				Properties:          map[string]any{"query": res.Name, "status": string(res.Status)},
			})
		}
		for _, f := range res.Findings {
			if f.Severity != gate.SeverityFail {
				continue
			}
			props := map[string]any{
				"query":    res.Name,
				"status":   string(res.Status),
				"metric":   f.Metric,
				"baseline": f.Baseline,
				"current":  f.Current,
			}
			if f.Limit != 0 {
				props["limit"] = f.Limit
			}
			if f.Kind != "" {
				props["kind"] = f.Kind
			}
			if f.Node != 0 {
				props["node"] = f.Node
				props["node_name"] = f.NodeName
			}
			results = append(results, sarifResult{
				RuleID:              f.Metric,
				RuleIndex:           slices.Index(ruleIDs, f.Metric),
				Level:               "error",
				Message:             sarifText{Text: res.Name + ": " + f.Message},
				Locations:           loc,
				PartialFingerprints: sarifFingerprint(res.Name, f.Metric),
				Properties:          props,
			})
		}
	}

	for _, m := range r.Migrations {
		var loc []sarifLocation
		if strings.HasSuffix(m.File, ".sql") {
			loc = sarifLocationFor(m.File, "")
		}
		for _, f := range m.Findings {
			if f.Severity != gate.SeverityFail {
				continue
			}
			results = append(results, sarifResult{
				RuleID:              f.Kind,
				RuleIndex:           slices.Index(ruleIDs, f.Kind),
				Level:               "error",
				Message:             sarifText{Text: migrationPlace(m) + ": " + f.Message},
				Locations:           loc,
				PartialFingerprints: sarifFingerprint(migrationPlace(m), f.Kind),
				Properties:          map[string]any{"migration": migrationPlace(m), "kind": f.Kind},
			})
		}
	}

	props := map[string]any{"verdict": string(r.Verdict)}
	if meta.Postgres != "" {
		props["postgres"] = meta.Postgres
	}
	if meta.Backend != "" {
		props["backend"] = meta.Backend
	}
	if meta.Baseline != "" {
		props["baseline"] = meta.Baseline
	}
	doc := sarifLog{
		Schema:  sarifSchema,
		Version: SARIFVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           "plangate",
				Version:        meta.Version,
				InformationURI: "https://github.com/plangate/plangate",
				Rules:          rules,
			}},
			Results:    results,
			Properties: props,
			// The category code scanning files these results under: one
			// per baseline, so that two plangate jobs of one repository do
			// not replace each other's alerts.
			AutomationDetails: &sarifAutomation{ID: "plangate/" + filepath.ToSlash(meta.Baseline) + "/"},
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// sarifRuleIDs returns the rules a query's results fall under.
func sarifRuleIDs(res gate.Result) []string {
	var ids []string
	if res.Status == gate.StatusError {
		ids = append(ids, ruleQueryError)
	}
	for _, f := range res.Findings {
		if f.Severity == gate.SeverityFail {
			ids = append(ids, f.Metric)
		}
	}
	return ids
}

func sarifRuleFor(id string) sarifRule {
	text, ok := sarifRuleText[id]
	if !ok {
		text = [2]string{"Metric " + id + " regressed", "The metric " + id + " grew past its threshold against the baseline."}
	}
	tags := []string{"performance", "postgresql"}
	if id != ruleQueryError {
		tags = append(tags, "plan-regression")
	}
	return sarifRule{
		ID:               id,
		Name:             sarifRuleName(id),
		ShortDescription: sarifText{Text: text[0]},
		FullDescription:  sarifText{Text: text[1]},
		Help: sarifHelp{
			Text:     text[1] + " " + rerecordHint,
			Markdown: text[1] + "\n\n" + rerecordHint,
		},
		DefaultConfiguration: sarifRuleConfig{Level: "error"},
		Properties:           sarifRuleProperty{Tags: tags},
	}
}

// sarifRuleName turns a rule id into the PascalCase name SARIF suggests:
// temp_written_bytes is TempWrittenBytes.
func sarifRuleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// sarifFingerprint identifies a result across commits by what it is about
// (query and rule), not by where the query's text happens to be.
func sarifFingerprint(query, rule string) map[string]string {
	return map[string]string{"plangateQuery/v1": query + "/" + rule}
}

// sarifLocationFor locates a result at source, else at the baseline file,
// else nowhere.
func sarifLocationFor(source, baselinePath string) []sarifLocation {
	path, line, ok := splitSource(source)
	if !ok {
		if baselinePath == "" {
			return nil
		}
		path, line = baselinePath, 1
	}
	art := sarifArtifact{URI: sarifURI(path)}
	if !filepath.IsAbs(path) {
		art.URIBaseID = "%SRCROOT%"
	}
	return []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: art, Region: &sarifRegion{StartLine: line}}}}
}

// sarifURI renders a path as a URI reference: relative paths stay relative,
// absolute ones become file URIs.
func sarifURI(path string) string {
	u := url.URL{Path: filepath.ToSlash(path)}
	if filepath.IsAbs(path) {
		u.Scheme = "file"
		if !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
	}
	return u.String()
}

// splitSource splits "path:line" into its path and line; a source without
// a line is at line 1. It reports false for an empty source.
func splitSource(source string) (path string, line int, ok bool) {
	if source == "" {
		return "", 0, false
	}
	if i := strings.LastIndexByte(source, ':'); i > 0 {
		if n, err := strconv.Atoi(source[i+1:]); err == nil && n > 0 {
			return source[:i], n, true
		}
	}
	return source, 1, true
}
