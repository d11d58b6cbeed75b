package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/plangate/plangate/internal/pgsql"
)

// StatsVersion is the version of the statistics file format.
const StatsVersion = 1

// StatsFile is a production database's planner statistics and planner
// settings, as ExportStats reads them and ApplyStats restores them.
//
// Without WithStatsValues it holds no value of any row: sizes, fractions,
// distinct counts and correlations only. With it, it also holds
// most-common values and histogram bounds, which are production data.
type StatsFile struct {
	// Version is StatsVersion.
	Version int `json:"version"`
	// ServerVersion and ServerVersionNum are the exporting server's.
	ServerVersion    string `json:"server_version"`
	ServerVersionNum int    `json:"server_version_num"`
	// Values is set when the file carries most-common values and
	// histogram bounds.
	Values bool `json:"values"`
	// Settings are the planner settings (work_mem, random_page_cost,
	// effective_cache_size, enable_*, ...) as SHOW prints them.
	Settings map[string]string `json:"settings"`
	// Tables are in schema and name order.
	Tables []TableStats `json:"tables"`
}

// TableStats is one table's row of pg_class and its columns' pg_stats.
type TableStats struct {
	Schema        string        `json:"schema"`
	Name          string        `json:"name"`
	RelPages      int32         `json:"relpages"`
	RelTuples     float32       `json:"reltuples"`
	RelAllVisible int32         `json:"relallvisible"`
	Columns       []ColumnStats `json:"columns,omitempty"`
}

// ColumnStats is one row of pg_stats. Array-valued statistics of the
// column's own type are kept in their text form ("{a,b}"), which is what
// pg_restore_attribute_stats reads.
type ColumnStats struct {
	Name                 string    `json:"name"`
	Inherited            bool      `json:"inherited,omitempty"`
	NullFrac             float32   `json:"null_frac"`
	AvgWidth             int32     `json:"avg_width"`
	NDistinct            float32   `json:"n_distinct"`
	Correlation          *float32  `json:"correlation,omitempty"`
	MostCommonVals       *string   `json:"most_common_vals,omitempty"`
	MostCommonFreqs      []float32 `json:"most_common_freqs,omitempty"`
	HistogramBounds      *string   `json:"histogram_bounds,omitempty"`
	MostCommonElems      *string   `json:"most_common_elems,omitempty"`
	MostCommonElemFreqs  []float32 `json:"most_common_elem_freqs,omitempty"`
	ElemCountHistogram   []float32 `json:"elem_count_histogram,omitempty"`
	RangeLengthHistogram *string   `json:"range_length_histogram,omitempty"`
	RangeEmptyFrac       *float32  `json:"range_empty_frac,omitempty"`
	RangeBoundsHistogram *string   `json:"range_bounds_histogram,omitempty"`
}

// StatsOption configures ExportStats.
type StatsOption func(*statsConfig)

type statsConfig struct {
	values bool
	tables []string
}

// WithStatsValues includes most-common values, histogram bounds and their
// element and range counterparts. They are real values from production
// rows: only ask for them where the file may hold production data.
func WithStatsValues() StatsOption { return func(c *statsConfig) { c.values = true } }

// WithStatsTables exports only the named tables ("orders" or
// "app.orders"); the default is every table outside the system schemas.
func WithStatsTables(names ...string) StatsOption {
	return func(c *statsConfig) { c.tables = append(c.tables, names...) }
}

// plannerSettings are the settings that change plans, besides enable_*.
var plannerSettings = []string{
	"constraint_exclusion", "cpu_index_tuple_cost", "cpu_operator_cost", "cpu_tuple_cost",
	"cursor_tuple_fraction", "default_statistics_target", "effective_cache_size",
	"effective_io_concurrency", "from_collapse_limit", "geqo", "geqo_threshold",
	"hash_mem_multiplier", "jit", "jit_above_cost", "jit_inline_above_cost", "jit_optimize_above_cost",
	"join_collapse_limit", "max_parallel_workers_per_gather", "min_parallel_index_scan_size",
	"min_parallel_table_scan_size", "parallel_setup_cost", "parallel_tuple_cost", "plan_cache_mode",
	"random_page_cost", "recursive_worktable_factor", "seq_page_cost", "work_mem",
}

// ExportStats reads the planner statistics and settings of the database at
// connString. It only reads. pg_stats shows the columns the role may read:
// export as the tables' owner or a superuser.
func ExportStats(ctx context.Context, connString string, opts ...StatsOption) (*StatsFile, error) {
	var cfg statsConfig
	for _, o := range opts {
		o(&cfg)
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("seed: export stats: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	f := &StatsFile{Version: StatsVersion, Values: cfg.values, Settings: map[string]string{}}
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('server_version_num')::int").Scan(&f.ServerVersion, &f.ServerVersionNum); err != nil {
		return nil, fmt.Errorf("seed: export stats: %w", err)
	}
	rows, err := conn.Query(ctx, `
		SELECT name, current_setting(name) FROM pg_settings
		WHERE name = ANY($1) OR name LIKE 'enable\_%' ORDER BY name`, plannerSettings)
	if err != nil {
		return nil, fmt.Errorf("seed: export stats: settings: %w", err)
	}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			rows.Close()
			return nil, fmt.Errorf("seed: export stats: settings: %w", err)
		}
		f.Settings[name] = value
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: export stats: settings: %w", err)
	}

	oids := []uint32{} // not nil: an empty array, not NULL, means every table
	for _, name := range cfg.tables {
		var oid *uint32
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1)::oid", quoteQualified(name)).Scan(&oid); err != nil {
			return nil, fmt.Errorf("seed: export stats: table %q: %w", name, err)
		}
		if oid == nil {
			return nil, fmt.Errorf("seed: export stats: table %q: no such table", name)
		}
		oids = append(oids, *oid)
	}
	rows, err = conn.Query(ctx, `
		SELECT c.oid, n.nspname, c.relname, c.relpages, c.reltuples, c.relallvisible
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'm', 'p')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
		  AND (cardinality($1::oid[]) = 0 OR c.oid = ANY($1))
		ORDER BY 2, 3`, oids)
	if err != nil {
		return nil, fmt.Errorf("seed: export stats: tables: %w", err)
	}
	var tableOIDs []uint32
	for rows.Next() {
		var t TableStats
		var oid uint32
		if err := rows.Scan(&oid, &t.Schema, &t.Name, &t.RelPages, &t.RelTuples, &t.RelAllVisible); err != nil {
			rows.Close()
			return nil, fmt.Errorf("seed: export stats: tables: %w", err)
		}
		f.Tables = append(f.Tables, t)
		tableOIDs = append(tableOIDs, oid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: export stats: tables: %w", err)
	}
	for i := range f.Tables {
		if err := exportColumns(ctx, conn, &f.Tables[i], tableOIDs[i], cfg.values, f.ServerVersionNum); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func exportColumns(ctx context.Context, conn *pgx.Conn, t *TableStats, oid uint32, values bool, serverVersion int) error {
	cols := []string{"s.attname", "s.inherited", "s.null_frac", "s.avg_width", "s.n_distinct", "s.correlation"}
	if values {
		cols = append(cols, "s.most_common_vals::text", "s.most_common_freqs", "s.histogram_bounds::text",
			"s.most_common_elems::text", "s.most_common_elem_freqs", "s.elem_count_histogram")
		if serverVersion >= 170000 {
			cols = append(cols, "s.range_length_histogram::text", "s.range_empty_frac", "s.range_bounds_histogram::text")
		}
	}
	rows, err := conn.Query(ctx, `
		SELECT `+strings.Join(cols, ", ")+`
		FROM pg_stats s
		JOIN pg_attribute a ON a.attrelid = $1 AND a.attname = s.attname
		WHERE s.schemaname = $2 AND s.tablename = $3
		ORDER BY a.attnum, s.inherited`, oid, t.Schema, t.Name)
	if err != nil {
		return fmt.Errorf("seed: export stats: table %s.%s: %w", t.Schema, t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ColumnStats
		dest := []any{&c.Name, &c.Inherited, &c.NullFrac, &c.AvgWidth, &c.NDistinct, &c.Correlation}
		if values {
			dest = append(dest, &c.MostCommonVals, &c.MostCommonFreqs, &c.HistogramBounds,
				&c.MostCommonElems, &c.MostCommonElemFreqs, &c.ElemCountHistogram)
			if serverVersion >= 170000 {
				dest = append(dest, &c.RangeLengthHistogram, &c.RangeEmptyFrac, &c.RangeBoundsHistogram)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("seed: export stats: table %s.%s: %w", t.Schema, t.Name, err)
		}
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("seed: export stats: table %s.%s: %w", t.Schema, t.Name, err)
	}
	return nil
}

// Warning is something ApplyStats could not do, or a trap it saw coming.
type Warning struct {
	// Table ("schema.name") and Column locate it; both empty for the
	// file as a whole.
	Table, Column string
	Message       string
}

func (w Warning) String() string { return located(w.Table, w.Column, w.Message) }

// UnsupportedVersionError is returned by ApplyStats on a server that cannot
// take statistics: before PostgreSQL 18, without the plangate_stats
// extension.
type UnsupportedVersionError struct {
	// Version is the server's version, e.g. "15.8".
	Version string
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("seed: apply stats: unsupported before PostgreSQL 18 (this server is %s) without the %s extension: restoring planner statistics needs pg_restore_relation_stats and pg_restore_attribute_stats, or the extension's functions; install %s on the server (see ext/plangate_stats/README.md), use a PostgreSQL 18 server, or seed to production scale with a data spec instead", e.Version, StatsExtension, StatsExtension)
}

// DecodeStats reads a statistics file, refusing unknown fields and other
// versions.
func DecodeStats(r io.Reader) (*StatsFile, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f StatsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("seed: stats file: %w", err)
	}
	if f.Version != StatsVersion {
		return nil, fmt.Errorf("seed: stats file: version %d is not supported: this plangate reads version %d", f.Version, StatsVersion)
	}
	return &f, nil
}

// LoadStats reads the statistics file at path.
func LoadStats(path string) (*StatsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seed: stats file: %w", err)
	}
	f, err := DecodeStats(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Encode writes the file as indented JSON, in a stable order, for review.
func (f *StatsFile) Encode(w io.Writer) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("seed: stats file: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// ApplyStats restores the file's statistics into the database at
// connString, and sets the planner settings for the database (ALTER
// DATABASE ... SET), so that new sessions plan with them.
//
// Statistics are restored with PostgreSQL 18's pg_restore_relation_stats
// and pg_restore_attribute_stats, or, before 18, with the plangate_stats
// extension's functions (ext/plangate_stats), which restore sizes, null
// fractions, widths, distinct counts, most-common values, histograms and
// correlations (not the element and range statistics). Where the server has
// the extension, ApplyStats creates it and adds its library to the
// database's session_preload_libraries (both need a superuser), so that
// new sessions plan with the restored table sizes; before 18 a server
// without it is refused with an UnsupportedVersionError.
//
// The traps it handles or reports:
//   - autovacuum and ANALYZE overwrite restored statistics: autovacuum is
//     turned off for every table restored; do not ANALYZE (nor VACUUM,
//     which also rewrites relpages and reltuples) afterwards.
//   - without the extension, the planner scales reltuples to the table's
//     real size in pages, so restored row counts only hold on a table of
//     about production's size: a warning names every table whose planned
//     row count, in a new session, is far from the restored reltuples.
//   - most-common values and histograms are production values: a warning
//     says so when the file carries them; when it does not, the ones ANALYZE
//     computed from the seeded data stay in place. When it does, each
//     column's statistics are replaced whole, so that none of the seeded
//     data's are left beside production's.
//
// Problems with single tables or statistics are warnings; the error is for
// what stops the whole restore.
func ApplyStats(ctx context.Context, connString string, f *StatsFile) ([]Warning, error) {
	if f == nil {
		return nil, errors.New("seed: apply stats: no statistics file")
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("seed: apply stats: %w", err)
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		msg := n.Message
		if n.Detail != "" {
			msg += ": " + n.Detail
		}
		notices = append(notices, msg)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("seed: apply stats: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var version string
	var versionNum int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('server_version_num')::int").Scan(&version, &versionNum); err != nil {
		return nil, fmt.Errorf("seed: apply stats: %w", err)
	}
	haveExtension, err := statsExtensionAvailable(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("seed: apply stats: %w", err)
	}
	if versionNum < 180000 && !haveExtension {
		return nil, &UnsupportedVersionError{Version: version}
	}

	var warnings []Warning
	warn := func(table, column, format string, args ...any) {
		warnings = append(warnings, Warning{Table: table, Column: column, Message: fmt.Sprintf(format, args...)})
	}
	takeNotices := func(table, column string) {
		for _, n := range notices {
			warn(table, column, "%s", n)
		}
		notices = notices[:0]
	}
	if f.Values {
		warn("", "", "the file carries most-common values and histogram bounds: they are production data, now in this database's catalog")
	} else {
		warn("", "", "the file carries no most-common values or histograms: those of the seeded data stay in place, so equality and range selectivity follow the data spec")
	}
	// On 18 the extension is only there for the sizes: a failure to set it
	// up leaves the restore as it is without it.
	extension := false
	if haveExtension {
		err := setUpStatsExtension(ctx, conn)
		switch {
		case err == nil:
			extension = true
		case versionNum < 180000:
			return nil, fmt.Errorf("seed: apply stats: %w", err)
		default:
			warn("", "", "the %s extension is installed but could not be set up (%v): the planner rescales restored row counts to the tables' sizes on disk", StatsExtension, err)
		}
	}
	if err := applySettings(ctx, conn, f.Settings, warn); err != nil {
		return warnings, err
	}
	var restored []TableStats
	for _, t := range f.Tables {
		name := pgx.Identifier{t.Schema, t.Name}.Sanitize()
		var relkind *string
		if err := conn.QueryRow(ctx, "SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1))", name).Scan(&relkind); err != nil {
			return warnings, fmt.Errorf("seed: apply stats: %s: %w", name, err)
		}
		if relkind == nil {
			warn(name, "", "not in this database: skipped")
			continue
		}
		if err := disableAutovacuum(ctx, conn, name, *relkind); err != nil {
			warn(name, "", "could not turn autovacuum off (%v): it may overwrite the restored statistics", err)
		}
		sql, args := restoreRelationCall(t, f.ServerVersionNum)
		if versionNum < 180000 {
			sql, args = setRelationCall(t)
		}
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			warn(name, "", "relation statistics not restored: %v", err)
			continue
		}
		takeNotices(name, "")
		for _, c := range t.Columns {
			sql, args := restoreAttributeCall(t, c, f.ServerVersionNum)
			if versionNum < 180000 {
				var skipped []string
				sql, args, skipped = setAttributeCall(t, c)
				if len(skipped) > 0 {
					warn(name, c.Name, "%s not restored: before PostgreSQL 18, %s restores most-common values, histograms and correlations only", strings.Join(skipped, ", "), StatsExtension)
				}
			}
			// A file with values holds the column's whole pg_stats row: a
			// statistic it lacks (say, most-common values of a column with
			// unique values) must not be left as ANALYZE found it in the
			// seeded data, so the row is cleared first, in one transaction.
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if f.Values {
					clearSQL, clearArgs := clearAttributeCall(t, c, versionNum)
					if _, err := tx.Exec(ctx, clearSQL, clearArgs...); err != nil {
						return err
					}
				}
				_, err := tx.Exec(ctx, sql, args...)
				return err
			})
			if err != nil {
				warn(name, c.Name, "statistics not restored: %v", err)
				continue
			}
			takeNotices(name, c.Name)
		}
		restored = append(restored, t)
	}

	// Plans are made in new sessions, which the database's settings (and
	// session_preload_libraries) reach: check the sizes in one.
	fresh, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return warnings, fmt.Errorf("seed: apply stats: %w", err)
	}
	defer fresh.Close(context.WithoutCancel(ctx))
	hint := "seed the table to about production's size, or install the " + StatsExtension + " extension (see ext/plangate_stats/README.md), for the restored statistics to hold"
	if extension {
		hint = "yet " + StatsExtension + " is set up: is the database's session_preload_libraries overridden for this role, or the extension's library missing?"
	}
	more, err := rescaleWarnings(ctx, fresh, restored, hint)
	warnings = append(warnings, more...)
	return warnings, err
}

// restoreRelationCall is the pg_restore_relation_stats call for a table.
// The arguments are name/value pairs of exactly the types the function
// expects: a value of another type is ignored with a warning.
func restoreRelationCall(t TableStats, version int) (string, []any) {
	return `SELECT pg_restore_relation_stats('schemaname'::text, $1::text, 'relname'::text, $2::text,
		'relpages'::text, $3::integer, 'reltuples'::text, $4::real, 'relallvisible'::text, $5::integer, 'version'::text, $6::integer)`,
		[]any{t.Schema, t.Name, t.RelPages, t.RelTuples, t.RelAllVisible, version}
}

// restoreAttributeCall is the pg_restore_attribute_stats call for a column,
// with only the statistics the file has.
func restoreAttributeCall(t TableStats, c ColumnStats, version int) (string, []any) {
	var pairs []string
	var args []any
	add := func(name, typ string, v any) {
		args = append(args, v)
		pairs = append(pairs, fmt.Sprintf("'%s'::text, $%d::%s", name, len(args), typ))
	}
	add("schemaname", "text", t.Schema)
	add("relname", "text", t.Name)
	add("attname", "text", c.Name)
	add("inherited", "boolean", c.Inherited)
	add("version", "integer", version)
	add("null_frac", "real", c.NullFrac)
	add("avg_width", "integer", c.AvgWidth)
	add("n_distinct", "real", c.NDistinct)
	if c.Correlation != nil {
		add("correlation", "real", *c.Correlation)
	}
	if c.MostCommonVals != nil && c.MostCommonFreqs != nil {
		add("most_common_vals", "text", *c.MostCommonVals)
		add("most_common_freqs", "real[]", c.MostCommonFreqs)
	}
	if c.HistogramBounds != nil {
		add("histogram_bounds", "text", *c.HistogramBounds)
	}
	if c.MostCommonElems != nil && c.MostCommonElemFreqs != nil {
		add("most_common_elems", "text", *c.MostCommonElems)
		add("most_common_elem_freqs", "real[]", c.MostCommonElemFreqs)
	}
	if c.ElemCountHistogram != nil {
		add("elem_count_histogram", "real[]", c.ElemCountHistogram)
	}
	if c.RangeLengthHistogram != nil && c.RangeEmptyFrac != nil {
		add("range_length_histogram", "text", *c.RangeLengthHistogram)
		add("range_empty_frac", "real", *c.RangeEmptyFrac)
	}
	if c.RangeBoundsHistogram != nil {
		add("range_bounds_histogram", "text", *c.RangeBoundsHistogram)
	}
	return "SELECT pg_restore_attribute_stats(" + strings.Join(pairs, ", ") + ")", args
}

// clearAttributeCall deletes a column's statistics: PostgreSQL 18's
// pg_clear_attribute_stats, or the plangate_stats extension's before 18.
func clearAttributeCall(t TableStats, c ColumnStats, serverVersion int) (string, []any) {
	if serverVersion >= 180000 {
		return "SELECT pg_clear_attribute_stats($1::text, $2::text, $3::text, $4::boolean)",
			[]any{t.Schema, t.Name, c.Name, c.Inherited}
	}
	return "SELECT plangate_stats.clear_attribute_stats($1::regclass, $2::name, $3::boolean)",
		[]any{pgx.Identifier{t.Schema, t.Name}.Sanitize(), c.Name, c.Inherited}
}

// disableAutovacuum keeps autovacuum's ANALYZE from replacing restored
// statistics. Partitioned tables take no storage parameters (their
// partitions do).
func disableAutovacuum(ctx context.Context, conn *pgx.Conn, name, relkind string) error {
	switch relkind {
	case "r":
		_, err := conn.Exec(ctx, "ALTER TABLE "+name+" SET (autovacuum_enabled = off, toast.autovacuum_enabled = off)")
		return err
	case "m":
		_, err := conn.Exec(ctx, "ALTER MATERIALIZED VIEW "+name+" SET (autovacuum_enabled = off)")
		return err
	}
	return nil
}

// applySettings makes the planner settings the database's defaults.
func applySettings(ctx context.Context, conn *pgx.Conn, settings map[string]string, warn func(table, column, format string, args ...any)) error {
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return fmt.Errorf("seed: apply stats: %w", err)
	}
	names := make([]string, 0, len(settings))
	for name := range settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var known bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = $1)", name).Scan(&known); err != nil {
			return fmt.Errorf("seed: apply stats: %w", err)
		}
		if !known {
			warn("", "", "setting %s = %s: not known to this server: skipped", name, settings[name])
			continue
		}
		sql := fmt.Sprintf("ALTER DATABASE %s SET %s = %s", pgx.Identifier{db}.Sanitize(), pgx.Identifier{name}.Sanitize(), pgsql.Literal(settings[name]))
		if _, err := conn.Exec(ctx, sql); err != nil {
			warn("", "", "setting %s = %s: %v", name, settings[name], err)
		}
	}
	return nil
}

// rescaleWarnings compares, for each restored table, the rows the planner
// now expects from a full scan with the restored reltuples. The planner
// takes reltuples/relpages as a density and multiplies it by the table's
// real size in pages, so a table much smaller or larger than production's
// gets estimates far from production's; unless the plangate_stats
// extension's hook is active in conn's session, when the planned rows are
// reltuples and nothing is said. hint ends each warning.
func rescaleWarnings(ctx context.Context, conn *pgx.Conn, tables []TableStats, hint string) ([]Warning, error) {
	var out []Warning
	for _, t := range tables {
		if t.RelTuples <= 0 {
			continue
		}
		name := pgx.Identifier{t.Schema, t.Name}.Sanitize()
		planned, pages, err := plannedRows(ctx, conn, name)
		if err != nil {
			return out, fmt.Errorf("seed: apply stats: %s: %w", name, err)
		}
		ratio := planned / float64(t.RelTuples)
		if ratio >= 0.1 && ratio <= 10 {
			continue
		}
		out = append(out, Warning{Table: name, Message: fmt.Sprintf(
			"the planner expects %.0f rows, not the restored %.0f: it scales reltuples to the table's real size (%d pages here, %d in production); %s",
			planned, t.RelTuples, pages, t.RelPages, hint)})
	}
	return out, nil
}

// plannedRows is the planner's row estimate for a full scan of the table,
// and the table's size in pages.
func plannedRows(ctx context.Context, conn *pgx.Conn, name string) (float64, int64, error) {
	var raw []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT * FROM "+name).Scan(&raw); err != nil {
		return 0, 0, err
	}
	var plans []struct {
		Plan struct {
			PlanRows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) == 0 {
		return 0, 0, fmt.Errorf("EXPLAIN output: %v", err)
	}
	var pages int64
	if err := conn.QueryRow(ctx, "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int", name).Scan(&pages); err != nil {
		return 0, 0, err
	}
	return plans[0].Plan.PlanRows, pages, nil
}
