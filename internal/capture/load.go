package capture

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Load reads statements from each path in turn: a directory of *.sql files
// (one named query per file), a single .sql file, a capture .jsonl, a
// pg_stat_statements export (.csv with a calls column), or a PostgreSQL log
// (stderr, csvlog or jsonlog format, detected). Statements keep the order of
// the paths.
func Load(paths []string, opts ...LogOption) ([]Statement, error) {
	var out []Statement
	for _, p := range paths {
		sts, err := loadOne(p, opts)
		if err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		out = append(out, sts...)
	}
	return out, nil
}

func loadOne(path string, opts []LogOption) ([]Statement, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: no such file or directory: check --queries or queries in plangate.yaml", path)
	}
	if info.IsDir() {
		return readSQLDir(path)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".sql" {
		st, err := ReadSQLFile(path)
		if err != nil {
			return nil, err
		}
		return []Statement{st}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var sts []Statement
	switch {
	case ext == ".jsonl" || ext == ".ndjson":
		sts, err = ParseJSONL(r, path)
	case ext == ".csv" && isPGSSExport(r):
		sts, err = ParsePGSS(r, path)
	default:
		sts, err = ParsePGLog(r, path, opts...)
	}
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 && ext != ".jsonl" && ext != ".ndjson" {
		return nil, fmt.Errorf("%s: no statements found: a PostgreSQL log needs log_min_duration_statement = 0 or log_statement = 'all'; a capture must end in .jsonl", path)
	}
	return sts, nil
}

// isPGSSExport peeks at a CSV header: a pg_stat_statements export has
// "query" and "calls" columns, a csvlog has no header at all.
func isPGSSExport(r *bufio.Reader) bool {
	head, err := r.Peek(4096)
	if err != nil && err != io.EOF && len(head) == 0 {
		return false
	}
	first, _, _ := strings.Cut(string(head), "\n")
	cols := map[string]bool{}
	for _, c := range strings.Split(strings.TrimSpace(first), ",") {
		cols[strings.Trim(c, `"`)] = true
	}
	return cols["query"] && cols["calls"]
}
