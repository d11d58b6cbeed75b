package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgsql"
)

// StatsExtension is the PostgreSQL server extension, built from
// ext/plangate_stats, that makes the planner take table and index sizes
// from pg_class as they are (instead of rescaling reltuples to the size on
// disk), and restores column statistics on servers before PostgreSQL 18.
const StatsExtension = "plangate_stats"

// statsExtensionAvailable reports whether the server has the extension's
// files installed for its major version.
func statsExtensionAvailable(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var ok bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1)", StatsExtension).Scan(&ok)
	return ok, err
}

// setUpStatsExtension creates the extension in the database and adds its
// library to the database's session_preload_libraries, so that every new
// session plans with catalog sizes. Both need a superuser.
func setUpStatsExtension(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+StatsExtension); err != nil {
		return fmt.Errorf("create extension %s: %w", StatsExtension, err)
	}
	var db, preload string
	if err := conn.QueryRow(ctx, "SELECT current_database(), current_setting('session_preload_libraries')").Scan(&db, &preload); err != nil {
		return err
	}
	libs := preloadLibraries(preload)
	for _, lib := range libs {
		if lib == StatsExtension || lib == "$libdir/"+StatsExtension {
			return nil
		}
	}
	libs = append(libs, StatsExtension)
	literals := make([]string, len(libs))
	for i, lib := range libs {
		literals[i] = pgsql.Literal(lib)
	}
	// A list setting takes one literal per library: 'a,b' would be one
	// library named "a,b".
	sql := fmt.Sprintf("ALTER DATABASE %s SET session_preload_libraries = %s", pgx.Identifier{db}.Sanitize(), strings.Join(literals, ", "))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("session_preload_libraries: %w", err)
	}
	return nil
}

// preloadLibraries splits a session_preload_libraries value as SHOW prints
// it ("a, \"b\"") into library names.
func preloadLibraries(value string) []string {
	var libs []string
	for _, part := range strings.Split(value, ",") {
		if lib := strings.Trim(strings.TrimSpace(part), `"`); lib != "" {
			libs = append(libs, lib)
		}
	}
	return libs
}

// setRelationCall is the plangate_stats.set_relation_stats call for a
// table.
func setRelationCall(t TableStats) (string, []any) {
	return "SELECT plangate_stats.set_relation_stats($1::regclass, $2::integer, $3::real, $4::integer)",
		[]any{pgx.Identifier{t.Schema, t.Name}.Sanitize(), t.RelPages, t.RelTuples, t.RelAllVisible}
}

// setAttributeCall is the plangate_stats.set_attribute_stats call for a
// column, with NULL for what the file does not have, and the names of the
// statistics the file has that the extension cannot restore.
func setAttributeCall(t TableStats, c ColumnStats) (string, []any, []string) {
	var mcv *string
	var freqs []float32
	if c.MostCommonVals != nil && c.MostCommonFreqs != nil {
		mcv, freqs = c.MostCommonVals, c.MostCommonFreqs
	}
	var skipped []string
	for _, s := range []struct {
		name string
		set  bool
	}{
		{"most_common_elems", c.MostCommonElems != nil},
		{"elem_count_histogram", c.ElemCountHistogram != nil},
		{"range_length_histogram", c.RangeLengthHistogram != nil},
		{"range_bounds_histogram", c.RangeBoundsHistogram != nil},
	} {
		if s.set {
			skipped = append(skipped, s.name)
		}
	}
	return `SELECT plangate_stats.set_attribute_stats($1::regclass, $2::name, $3::boolean, $4::real, $5::integer, $6::real,
		$7::text, $8::real[], $9::text, $10::real)`,
		[]any{pgx.Identifier{t.Schema, t.Name}.Sanitize(), c.Name, c.Inherited, c.NullFrac, c.AvgWidth, c.NDistinct,
			mcv, freqs, c.HistogramBounds, c.Correlation},
		skipped
}
