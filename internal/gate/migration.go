package gate

import "strings"

// Migration is one statement of a pull request's migrations as it ran on a
// copy of the seeded database, and what the gate found of it. Migrations
// are new in every pull request: they are held to budgets, not compared
// with a baseline.
type Migration struct {
	// File is the migration file, relative to the working directory, or
	// the command whose statements were recorded; Index is the statement's
	// position in it, from 1.
	File  string `json:"file"`
	Index int    `json:"index"`
	// SQL is the statement as written.
	SQL string `json:"sql"`
	// Seconds is how long the statement ran, its commit included.
	Seconds float64 `json:"seconds"`
	// Rows is the rows the statement inserted, updated or deleted.
	Rows int64 `json:"rows"`
	// WALBytes is the WAL the statement wrote.
	WALBytes int64 `json:"wal_bytes"`
	// Rewrites names the tables the statement gave new storage.
	Rewrites []string `json:"rewrites,omitempty"`
	// Locks are the table locks the statement took.
	Locks []MigrationLock `json:"locks,omitempty"`
	// Error is set when the statement failed; the migrations stop there.
	Error string `json:"error,omitempty"`
	// Findings say what is dangerous about the statement, worst first.
	Findings []Finding `json:"findings,omitempty"`
}

// MigrationLock is a table lock a migration statement took and held until
// its transaction ended.
type MigrationLock struct {
	Relation string `json:"relation"`
	// Mode is the lock mode as pg_locks names it ("AccessExclusiveLock").
	Mode string `json:"mode"`
	// HeldSeconds runs from the statement's start to its transaction's
	// end.
	HeldSeconds float64 `json:"held_seconds"`
	// Rows is the table's size, in rows, before the migrations.
	Rows float64 `json:"rows"`
	// Waiting names the captured queries that would wait behind the lock.
	Waiting []string `json:"waiting,omitempty"`
}

// Failed reports whether a finding of m fails the gate.
func (m Migration) Failed() bool {
	for _, f := range m.Findings {
		if f.Severity == SeverityFail {
			return true
		}
	}
	return false
}

// WithMigrations adds the judged migrations to r: a failing one fails the
// run.
func WithMigrations(r Report, ms []Migration) Report {
	r.Migrations = ms
	for _, m := range ms {
		if m.Failed() {
			r.Verdict = VerdictFail
		}
	}
	return r
}

// MigrationCounts returns how many migration statements fail, and how many
// findings warn.
func (r Report) MigrationCounts() (failing, warnings int) {
	for _, m := range r.Migrations {
		if m.Failed() {
			failing++
		}
		for _, f := range m.Findings {
			if f.Severity == SeverityWarn {
				warnings++
			}
		}
	}
	return failing, warnings
}

// LockModeName turns pg_locks' "ShareRowExclusiveLock" into "SHARE ROW
// EXCLUSIVE", as PostgreSQL's documentation names the modes.
func LockModeName(mode string) string {
	var b strings.Builder
	for i, r := range strings.TrimSuffix(mode, "Lock") {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
