package migrate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plangate/plangate/internal/gate"
)

// Finding kinds: what a reviewer would say of a migration statement.
const (
	// FindingLock is a strong lock held past its budget on a large table.
	FindingLock = "migration_lock"
	// FindingScan is a large table read whole (validated, indexed,
	// copied) while the statement holds a lock that blocks writes to it:
	// everything that writes it waits for the whole scan.
	FindingScan = "migration_scan"
	// FindingRewrite is a large table rewritten: every row copied under an
	// ACCESS EXCLUSIVE lock.
	FindingRewrite = "migration_rewrite"
	// FindingBackfill is one statement touching more rows than its budget.
	FindingBackfill = "migration_backfill"
	// FindingWAL is one statement writing more WAL than its budget.
	FindingWAL = "migration_wal"
	// FindingLockTimeout is a strong lock taken with no lock_timeout set:
	// queued behind a long query, it blocks every query behind it.
	FindingLockTimeout = "migration_lock_timeout"
	// FindingFailed is a statement that failed on the seeded database.
	FindingFailed = "migration_failed"
)

// Rules are the budgets a migration is held to. Migrations are new in each
// pull request: there is no baseline, only budgets.
type Rules struct {
	// LockHeld is how long a lock that blocks writes may be held on a
	// table of at least MinRows rows.
	LockHeld time.Duration
	// MinRows is the smallest table whose locks and rewrites matter.
	MinRows float64
	// BackfillRows is the most rows one statement may touch.
	BackfillRows float64
	// WALBytes is the most WAL one statement may write.
	WALBytes float64
	// Severity maps a finding kind to fail, warn, info or off; a kind not
	// named keeps its default (every kind fails, but a missing
	// lock_timeout warns).
	Severity map[string]string
}

// severity is the severity findings of kind get.
func (r Rules) severity(kind string) string {
	if s, ok := r.Severity[kind]; ok {
		return s
	}
	if kind == FindingLockTimeout {
		return gate.SeverityWarn
	}
	return gate.SeverityFail
}

// FindingKinds lists the kinds of migration findings, in the order
// docs/migrations.md describes them.
func FindingKinds() []string {
	return []string{FindingScan, FindingRewrite, FindingLock, FindingBackfill, FindingWAL, FindingLockTimeout, FindingFailed}
}

// DefaultRules are the budgets plangate holds migrations to when the
// configuration sets none.
func DefaultRules() Rules {
	return Rules{
		// A request that waits a second behind a lock is a visible
		// outage for an interactive application.
		LockHeld: time.Second,
		// Below 10,000 rows a table is rewritten or scanned in well under
		// a second.
		MinRows: 10000,
		// The bulk_write finding's budget for queries.
		BackfillRows: 50000,
		WALBytes:     64 << 20,
	}
}

// finding is one thing wrong with a migration statement, before its
// severity is set from the rules.
type finding struct {
	kind    string
	message string
}

// Query is a query the application runs, as the migration gate sees it:
// the table it reads or writes.
type Query struct {
	Name     string
	Relation string
	Writes   bool
}

// Judge holds each statement of res to the rules, naming the queries that
// would wait behind each lock, and words it for reports: file names as
// relative(file) gives them.
func Judge(res *Result, rules Rules, queries []Query, relative func(string) string) []gate.Migration {
	out := make([]gate.Migration, 0, len(res.Statements))
	for _, st := range res.Statements {
		m := gate.Migration{File: relative(st.File), Index: st.Index, SQL: st.SQL, Seconds: st.Duration.Seconds(),
			Rows: st.Rows, WALBytes: st.WALBytes, Rewrites: st.Rewrites, Error: st.Error}
		for _, l := range st.Locks {
			m.Locks = append(m.Locks, gate.MigrationLock{Relation: l.Relation, Mode: l.Mode, HeldSeconds: l.Held.Seconds(),
				Rows: l.Rows, Waiting: Waiters(l, queries)})
		}
		for _, f := range judgeOne(st, rules, queries) {
			sev := rules.severity(f.kind)
			if sev == "off" {
				continue
			}
			m.Findings = append(m.Findings, gate.Finding{Metric: f.kind, Kind: f.kind, Severity: sev, Message: f.message})
		}
		slices.SortStableFunc(m.Findings, func(a, b gate.Finding) int {
			return gate.SeverityRank(a.Severity) - gate.SeverityRank(b.Severity)
		})
		out = append(out, m)
	}
	return out
}

func judgeOne(st Statement, rules Rules, queries []Query) []finding {
	var out []finding
	if st.Error != "" {
		return []finding{{FindingFailed, "failed on the seeded database: " + st.Error}}
	}
	remedy := remedyFor(st.SQL)
	scanned := map[string]bool{}
	for _, l := range st.Locks {
		if !blocksWrites(l.Mode) || l.Rows < rules.MinRows || scanned[l.Relation] ||
			!slices.Contains(st.Scanned, l.Relation) || slices.Contains(st.Rewrites, l.Relation) {
			continue
		}
		scanned[l.Relation] = true
		out = append(out, finding{FindingScan, fmt.Sprintf(
			"read all of %s (%s rows) under %s, held %s here: %s; %s",
			l.Relation, rows(l.Rows), gate.LockModeName(l.Mode), seconds(l.Held), waitLine(l, Waiters(l, queries)), remedy)})
	}
	for _, l := range st.Locks {
		if !blocksWrites(l.Mode) || l.Rows < rules.MinRows {
			continue
		}
		waiting := Waiters(l, queries)
		if l.Held > rules.LockHeld && !scanned[l.Relation] && !slices.Contains(st.Rewrites, l.Relation) {
			msg := fmt.Sprintf("%s on %s (%s rows) held for %s, over the %s budget: %s; %s",
				gate.LockModeName(l.Mode), l.Relation, rows(l.Rows), seconds(l.Held), seconds(rules.LockHeld), waitLine(l, waiting), remedy)
			out = append(out, finding{FindingLock, msg})
		}
		if st.LockTimeout == "0" {
			out = append(out, finding{FindingLockTimeout, fmt.Sprintf(
				"%s on %s taken with no lock_timeout: queued behind a long query, it would hold up every query after it; SET lock_timeout (e.g. '3s') and retry on failure",
				gate.LockModeName(l.Mode), l.Relation)})
		}
	}
	for _, rel := range st.Rewrites {
		size := 0.0
		for _, l := range st.Locks {
			if l.Relation == rel {
				size = max(size, l.Rows)
			}
		}
		if size >= rules.MinRows {
			out = append(out, finding{FindingRewrite, fmt.Sprintf(
				"rewrote %s (%s rows) in %s: every row copied under ACCESS EXCLUSIVE; %s", rel, rows(size), seconds(st.Duration), remedy)})
		}
	}
	if float64(st.Rows) > rules.BackfillRows {
		out = append(out, finding{FindingBackfill, fmt.Sprintf(
			"touched %s rows in one statement, over the %s budget: batch it (a few thousand rows per statement, each in its own transaction)",
			rows(float64(st.Rows)), rows(rules.BackfillRows))})
	}
	if float64(st.WALBytes) > rules.WALBytes {
		out = append(out, finding{FindingWAL, fmt.Sprintf(
			"wrote %s of WAL, over the %s budget: replicas and archiving fall behind and the disk fills; batch it", bytes(float64(st.WALBytes)), bytes(rules.WALBytes))})
	}
	return out
}

// Waiters names the queries that would wait behind lock l: reads wait
// behind ACCESS EXCLUSIVE only, writes behind every mode from SHARE up
// (PostgreSQL's table-level lock conflict table). A lock on a partition
// holds up the queries of its partitioned table too: the planner locks
// every partition it cannot prune while planning.
func Waiters(l Lock, queries []Query) []string {
	var out []string
	for _, q := range queries {
		if q.Relation != l.Relation && (l.Root == "" || q.Relation != l.Root) {
			continue
		}
		if l.Mode == "AccessExclusiveLock" || q.Writes && blocksWrites(l.Mode) {
			out = append(out, q.Name)
		}
	}
	slices.Sort(out)
	return out
}

// blocksWrites reports whether a lock mode conflicts with ROW EXCLUSIVE,
// the lock INSERT, UPDATE and DELETE take.
func blocksWrites(mode string) bool {
	switch mode {
	case "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock":
		return true
	}
	return false
}

func waitLine(l Lock, waiting []string) string {
	switch {
	case len(waiting) == 0 && l.Mode == "AccessExclusiveLock":
		return "every query of the table would wait (none of the captured ones uses it)"
	case len(waiting) == 0:
		return "every write to the table would wait (none of the captured ones writes it)"
	}
	names := waiting
	if len(names) > 3 {
		names = names[:3]
	}
	return fmt.Sprintf("%d captured %s would wait, including %s", len(waiting), plural(len(waiting), "query", "queries"), strings.Join(names, ", "))
}

// remedyFor says how to make the change without holding the lock.
func remedyFor(sql string) string {
	s := strings.ToLower(strings.Join(strings.Fields(sql), " "))
	switch {
	case strings.Contains(s, "create index") || strings.Contains(s, "create unique index"):
		if !strings.Contains(s, "concurrently") {
			return "build it with CREATE INDEX CONCURRENTLY, outside a transaction"
		}
	case strings.Contains(s, "attach partition") || strings.Contains(s, "partition of"):
		return "the default partition is scanned under the lock: move its rows of the new range out first (or give it a CHECK constraint that excludes the range)"
	case (strings.Contains(s, "foreign key") || strings.Contains(s, "references")) && !strings.Contains(s, "not valid"):
		return "add the constraint NOT VALID, then VALIDATE CONSTRAINT in its own transaction (it lets reads and writes through)"
	case strings.Contains(s, "add constraint") && strings.Contains(s, "check") && !strings.Contains(s, "not valid"):
		return "add the CHECK constraint NOT VALID, then VALIDATE CONSTRAINT in its own transaction"
	case strings.Contains(s, "set not null"):
		return "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL: the validated check spares the scan"
	case strings.Contains(s, "add column") && strings.Contains(s, "default"):
		return "add the column nullable with no default, backfill it in batches, then set the default"
	case strings.Contains(s, " type "):
		return "add a new column of the new type, backfill it in batches and switch to it (or pick a change that needs no rewrite, such as varchar(n) to text)"
	case strings.HasPrefix(s, "update") || strings.HasPrefix(s, "delete"):
		return "batch it: a few thousand rows per statement, each in its own transaction"
	}
	return "split the change so that the lock is held briefly, with lock_timeout set"
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// rows and bytes word numbers as the query reports do.
func rows(n float64) string  { return gate.FormatValue(gate.MetricRows, n) }
func bytes(n float64) string { return gate.FormatValue(gate.MetricWALBytes, n) }
