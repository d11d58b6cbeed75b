package report

import (
	"fmt"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// The wording of a migration statement, shared by every format.

// migrationPlace names a statement: "migrations/0002_orders.sql #3".
func migrationPlace(m gate.Migration) string {
	return fmt.Sprintf("%s #%d", m.File, m.Index)
}

// migrationVerdict is fail, warn or pass.
func migrationVerdict(m gate.Migration) string {
	if m.Failed() {
		return gate.SeverityFail
	}
	for _, f := range m.Findings {
		if f.Severity == gate.SeverityWarn {
			return gate.SeverityWarn
		}
	}
	return "pass"
}

// migrationFacts words what a statement did: "9.81 s · 0 rows · 12 MB WAL ·
// rewrote orders".
func migrationFacts(m gate.Migration) string {
	parts := []string{fmt.Sprintf("%.2f s", m.Seconds),
		gate.FormatValue(gate.MetricRows, float64(m.Rows)) + " rows",
		gate.FormatValue(gate.MetricWALBytes, float64(m.WALBytes)) + " WAL"}
	if len(m.Rewrites) > 0 {
		parts = append(parts, "rewrote "+strings.Join(m.Rewrites, ", "))
	}
	if m.Error != "" {
		parts = append(parts, "failed")
	}
	return strings.Join(parts, " · ")
}

// lockLine words one lock: "ACCESS EXCLUSIVE on orders held 9.81 s, 14
// captured queries would wait".
func lockLine(l gate.MigrationLock) string {
	s := fmt.Sprintf("%s on %s held %.2f s", gate.LockModeName(l.Mode), l.Relation, l.HeldSeconds)
	if n := len(l.Waiting); n > 0 {
		s += fmt.Sprintf(", %d captured %s would wait", n, plural(n, "query", "queries"))
	}
	return s
}

// firstLine is a statement's first line that is not a comment.
func firstLine(sql string) string {
	for _, line := range strings.Split(sql, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return t
		}
	}
	return strings.TrimSpace(sql)
}

// migrationsLine counts the failing statements and warnings for a summary
// line; empty when there are no migrations.
func migrationsLine(r gate.Report) string {
	if len(r.Migrations) == 0 {
		return ""
	}
	failing, warnings := r.MigrationCounts()
	s := fmt.Sprintf("%d migration %s", len(r.Migrations), plural(len(r.Migrations), "statement", "statements"))
	if failing > 0 {
		s += fmt.Sprintf(", %d dangerous", failing)
	}
	if warnings > 0 {
		s += fmt.Sprintf(", %d %s", warnings, plural(warnings, "warning", "warnings"))
	}
	return s
}

// migrationMessages are the messages of m's findings of one severity.
func migrationMessages(m gate.Migration, severity string) []string {
	var out []string
	for _, f := range m.Findings {
		if f.Severity == severity {
			out = append(out, f.Message)
		}
	}
	return out
}
