package seed

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"go.yaml.in/yaml/v3"
)

// SpecFromStatsOptions configures SpecFromStats.
type SpecFromStatsOptions struct {
	// Scale is the share of production's rows the spec asks for (0.1: a
	// tenth); 0 means 1.
	Scale float64
	// Seed is the spec's seed (0: 1).
	Seed int64
}

// SpecFromStats writes a data spec (YAML, ParseSpec reads it) whose data
// has production's shape, from production's statistics f: for a team that
// can share statistics but not data. connString names a database holding
// the schema (seeded or not), for the columns' types and the keys; every
// table of the schema that f has becomes a table of the spec:
//
//   - rows: production's reltuples times Scale (a partitioned table: its
//     partitions' sum, generated through the partitioned table);
//   - a single-column primary key or unique integer: sequence; unique
//     text: text, unique; a uuid: uuid;
//   - a single-column foreign key: reference, Zipf-skewed so that the most
//     referenced row has the share the most common value has in production;
//   - otherwise histogram: the most-common values with their frequencies
//     and the histogram bounds, sorted when the column's correlation is
//     above 0.9; without values in f (an export without --values), text of
//     production's distinct count and width, or numbers and times spread
//     over production's distinct count;
//   - null_fraction: production's.
//
// The spec names what it was made from in its comments.
func SpecFromStats(ctx context.Context, connString string, f *StatsFile, opts SpecFromStatsOptions) ([]byte, error) {
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("seed: stats spec: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	schema, err := readSchemaForSpec(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("seed: stats spec: %w", err)
	}
	stats := map[string]*TableStats{}
	for i := range f.Tables {
		t := &f.Tables[i]
		stats[qualifiedName(t.Schema, t.Name)] = t
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "# A data spec with production's shape, written by `plangate stats spec` from the\n")
	fmt.Fprintf(&b, "# statistics of PostgreSQL %s, at %g of production's rows.\n", f.ServerVersion, opts.Scale)
	if !f.Values {
		fmt.Fprintf(&b, "# The statistics carry no values (export with --values for most-common values\n# and histograms): columns follow production's distinct counts and widths only.\n")
	}
	fmt.Fprintf(&b, "version: 1\nseed: %d\ntables:\n", opts.Seed)
	rowsOf := map[string]float64{}
	for _, t := range schema {
		rowsOf[t.name] = tableRows(t, stats, schema)
	}
	for _, t := range schema {
		if t.partition {
			continue
		}
		ts := stats[t.name]
		if ts == nil {
			fmt.Fprintf(&b, "  # %s: not in the statistics file, left out\n", t.name)
			continue
		}
		rows := int64(math.Round(rowsOf[t.name] * opts.Scale))
		if rows < 1 {
			rows = 1
		}
		fmt.Fprintf(&b, "  %s:\n    rows: %d  # production: %.0f\n    columns:\n", yamlScalar(t.name), rows, rowsOf[t.name])
		inherited := t.partitioned
		for _, c := range t.columns {
			var cs *ColumnStats
			for i := range ts.Columns {
				if ts.Columns[i].Name == c.name && ts.Columns[i].Inherited == inherited {
					cs = &ts.Columns[i]
				}
			}
			line, why := columnFromStats(c, cs, rows, rowsOf, opts.Scale)
			if line == "" {
				fmt.Fprintf(&b, "      # %s: %s\n", c.name, why)
				continue
			}
			fmt.Fprintf(&b, "      %s: %s  # %s\n", yamlScalar(c.name), line, why)
		}
	}
	if _, err := ParseSpec("stats spec", b.Bytes()); err != nil {
		return nil, fmt.Errorf("seed: stats spec: the written spec does not read back: %w", err)
	}
	return b.Bytes(), nil
}

// specTable is a table of the schema as SpecFromStats needs it.
type specTable struct {
	name                   string
	partitioned, partition bool
	parent                 string
	columns                []specColumn
}

type specColumn struct {
	name, typ string
	class     class
	unique    bool
	refTable  string // a single-column foreign key's table
	refColumn string
}

// readSchemaForSpec reads the user's tables, their columns in order, and
// their single-column keys.
func readSchemaForSpec(ctx context.Context, conn *pgx.Conn) ([]specTable, error) {
	rows, err := conn.Query(ctx, `
		SELECT CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE n.nspname || '.' || c.relname END,
		       c.relkind = 'p', c.relispartition,
		       coalesce((SELECT CASE WHEN pn.nspname = 'public' THEN pc.relname::text ELSE pn.nspname || '.' || pc.relname END
		                 FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
		                 WHERE i.inhrelid = c.oid), ''),
		       a.attname, format_type(a.atttypid, a.atttypmod), coalesce(bt.oid, t.oid),
		       EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisunique AND x.indnkeyatts = 1
		               AND x.indkey[0] = a.attnum AND x.indpred IS NULL),
		       coalesce((SELECT CASE WHEN fn.nspname = 'public' THEN fc.relname::text ELSE fn.nspname || '.' || fc.relname END
		                 || '.' || fa.attname
		                 FROM pg_constraint k JOIN pg_class fc ON fc.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
		                 JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1]
		                 WHERE k.conrelid = c.oid AND k.contype = 'f' AND cardinality(k.conkey) = 1 AND k.conkey[1] = a.attnum
		                 LIMIT 1), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		ORDER BY n.nspname, c.relname, a.attnum`)
	if err != nil {
		return nil, err
	}
	var out []specTable
	var (
		name, parent, col, typ, ref  string
		partitioned, partition, uniq bool
		typOID                       uint32
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &partitioned, &partition, &parent, &col, &typ, &typOID, &uniq, &ref}, func() error {
		if len(out) == 0 || out[len(out)-1].name != name {
			out = append(out, specTable{name: name, partitioned: partitioned, partition: partition, parent: parent})
		}
		c := specColumn{name: col, typ: typ, class: classOf(typOID), unique: uniq}
		if ref != "" {
			i := strings.LastIndex(ref, ".")
			c.refTable, c.refColumn = ref[:i], ref[i+1:]
		}
		t := &out[len(out)-1]
		t.columns = append(t.columns, c)
		return nil
	})
	return out, err
}

// tableRows is production's row count of t: a partitioned table's is its
// partitions' sum.
func tableRows(t specTable, stats map[string]*TableStats, schema []specTable) float64 {
	if !t.partitioned {
		if s := stats[t.name]; s != nil {
			return math.Max(float64(s.RelTuples), 0)
		}
		return 0
	}
	sum := 0.0
	for _, p := range schema {
		if p.parent == t.name {
			sum += tableRows(p, stats, schema)
		}
	}
	return sum
}

// columnFromStats is the spec's flow mapping for a column, and a comment on
// where it came from; an empty mapping leaves the column to its default.
func columnFromStats(c specColumn, s *ColumnStats, rows int64, rowsOf map[string]float64, scale float64) (string, string) {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	nulls := ""
	if s != nil && s.NullFrac > 0 {
		nulls = fmt.Sprintf(", null_fraction: %.4g", s.NullFrac)
	}
	switch {
	case c.refTable != "":
		skew := 0.0
		why := "a foreign key"
		if s != nil && s.MostCommonFreqs != nil && rowsOf[c.refTable] > 0 {
			n := math.Max(1, math.Round(rowsOf[c.refTable]*scale))
			skew = zipfSkewFor(float64(s.MostCommonFreqs[0])/(1-float64(s.NullFrac)), n)
			why = fmt.Sprintf("a foreign key; the most referenced row holds %.2g%% of production's", 100*s.MostCommonFreqs[0])
		}
		add("generator: reference, table: %s, column: %s", yamlScalar(c.refTable), yamlScalar(c.refColumn))
		if skew > 0.01 {
			add("skew: %.2f", skew)
		}
		return "{" + strings.Join(parts, ", ") + nulls + "}", why
	case c.unique && c.class.integral():
		return "{generator: sequence}", "unique"
	case c.class == cUUID:
		return "{generator: uuid" + nulls + "}", "uuid"
	case c.unique && c.class == cText:
		width := 16
		if s != nil {
			width = int(s.AvgWidth)
		}
		return fmt.Sprintf("{generator: text, unique: true, min_length: %d, max_length: %d%s}", max(13, width-4), max(13, width+4), nulls), "unique"
	case s == nil:
		return "", "no statistics: left to the column's default"
	}

	distinct := float64(s.NDistinct)
	if distinct < 0 {
		distinct = -distinct * float64(rows)
	}
	sorted := s.Correlation != nil && *s.Correlation > 0.9
	hasValues := s.MostCommonVals != nil || s.HistogramBounds != nil
	if c.class == cText && hasValues {
		// Text takes its histogram's bounds as values: only a column whose
		// most-common values hold nearly every row is one of categories.
		common := float32(0)
		for _, f := range s.MostCommonFreqs {
			common += f
		}
		hasValues = common+s.NullFrac >= 0.9
	}
	if hasValues && (c.class.numeric() || c.class.temporal() || c.class == cText || c.class == cBool) {
		add("generator: histogram")
		why := []string{}
		if s.MostCommonVals != nil && s.MostCommonFreqs != nil {
			vals, err := parseArrayText(*s.MostCommonVals)
			if err == nil && len(vals) == len(s.MostCommonFreqs) {
				var kv []string
				for i, v := range vals {
					kv = append(kv, yamlScalar(v)+": "+strconv.FormatFloat(float64(s.MostCommonFreqs[i]), 'g', 4, 32))
				}
				add("values: {%s}", strings.Join(kv, ", "))
				why = append(why, fmt.Sprintf("%d most-common values", len(vals)))
			}
		}
		if s.HistogramBounds != nil && c.class != cText {
			bounds, err := parseArrayText(*s.HistogramBounds)
			if err == nil && len(bounds) >= 2 {
				var bs []string
				for _, v := range bounds {
					bs = append(bs, yamlScalar(v))
				}
				add("bounds: [%s]", strings.Join(bs, ", "))
				why = append(why, fmt.Sprintf("a histogram of %d buckets", len(bounds)-1))
			}
		}
		if len(parts) > 1 {
			if sorted {
				add("sorted: true")
				why = append(why, "rising with the rows")
			}
			return "{" + strings.Join(parts, ", ") + nulls + "}", strings.Join(why, ", ")
		}
		parts = nil
	}
	// No values: production's distinct count and width only.
	d := int64(math.Max(1, math.Round(distinct)))
	switch {
	case c.class == cText && float64(d) >= 0.99*float64(rows) && s.AvgWidth >= 13:
		w := int(s.AvgWidth)
		return fmt.Sprintf("{generator: text, unique: true, min_length: %d, max_length: %d%s}", max(13, w-4), w+4, nulls),
			fmt.Sprintf("distinct in every row, about %d bytes", w)
	case c.class == cText:
		w := int(s.AvgWidth)
		return fmt.Sprintf("{generator: text, distinct: %d, min_length: %d, max_length: %d%s}", d, max(1, w-4), max(1, w+4), nulls),
			fmt.Sprintf("%d distinct values of about %d bytes", d, w)
	case c.class.numeric():
		return fmt.Sprintf("{generator: uniform, min: 1, max: %d, sorted: %t%s}", d, sorted, nulls), fmt.Sprintf("%d distinct values", d)
	case c.class.temporal():
		return fmt.Sprintf("{generator: timestamp, min: 2000-01-01, max: 2000-01-01 00:%02d:00, sorted: %t%s}", min(59, d), sorted, nulls),
			"no values in the statistics: times are placeholders"
	}
	return "", fmt.Sprintf("type %s: left to the column's default", c.typ)
}

// zipfSkewFor is the Zipf exponent over n values whose most frequent value
// has share top (1/H(n, s) = top), found by bisection; 0 when even spread
// gives that share.
func zipfSkewFor(top, n float64) float64 {
	if n <= 1 || top <= 1/n {
		return 0
	}
	share := func(s float64) float64 {
		h := 0.0
		for k := 1.0; k <= math.Min(n, 1e6); k++ {
			h += math.Pow(k, -s)
		}
		return 1 / h
	}
	lo, hi := 0.0, 4.0
	for range 40 {
		mid := (lo + hi) / 2
		if share(mid) < top {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// parseArrayText reads a one-dimensional array's text form, as pg_stats
// prints most_common_vals and histogram_bounds ("{a,\"x y\"}"), into its
// elements.
func parseArrayText(s string) ([]string, error) {
	var out []string
	err := pgtype.NewMap().Scan(pgtype.TextArrayOID, pgtype.TextFormatCode, []byte(s), &out)
	return out, err
}

// yamlScalar renders s as a YAML flow scalar, quoted where YAML would read
// it as something else.
func yamlScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	v := strings.TrimSuffix(string(out), "\n")
	if strings.ContainsAny(v, ",[]{}#&*!|>%@`") && !strings.HasPrefix(v, `"`) && !strings.HasPrefix(v, "'") {
		return strconv.Quote(s)
	}
	return v
}

func qualifiedName(schema, name string) string {
	if schema == "public" {
		return name
	}
	return schema + "." + name
}
