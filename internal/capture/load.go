package capture

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads statements from each path in turn: a directory of *.sql files
// (one named query per file), a single .sql file, a capture .jsonl, or a
// PostgreSQL log. Statements keep the order of the paths.
func Load(paths []string) ([]Statement, error) {
	var out []Statement
	for _, p := range paths {
		sts, err := loadOne(p)
		if err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		out = append(out, sts...)
	}
	return out, nil
}

func loadOne(path string) ([]Statement, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: no such file or directory: check --queries or queries in plangate.yaml", path)
	}
	if info.IsDir() {
		return readSQLDir(path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".sql":
		st, err := ReadSQLFile(path)
		if err != nil {
			return nil, err
		}
		return []Statement{st}, nil
	}
	return nil, fmt.Errorf("%s: unknown kind of query source: give a directory of .sql files, a .sql file, a capture .jsonl or a PostgreSQL log", path)
}
