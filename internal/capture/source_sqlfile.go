package capture

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// paramHeader matches a parameter line in a query file's leading comments:
//
//	-- $1 = 42
//	-- $2 = 'O''Reilly'
//	-- $3 = NULL
var paramHeader = regexp.MustCompile(`^--\s*\$(\d+)\s*=\s*(.*?)\s*$`)

// ReadSQLFile reads one named query from a .sql file. The query's name is the
// file's stem. Parameters for $1..$n are given in comment lines before the
// statement, one per line: `-- $1 = 42`, `-- $2 = 'text'` (SQL quoting, ”
// for a quote), `-- $3 = NULL`.
func ReadSQLFile(path string) (Statement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{
		Name:   strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		SQL:    strings.TrimSpace(string(data)),
		Source: path + ":1",
	}
	params := map[int]Param{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "--") {
			break
		}
		m := paramHeader.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		p, err := ParseParamValue(m[2])
		if err != nil {
			return Statement{}, fmt.Errorf("%s:%d: $%d: %w", path, i+1, n, err)
		}
		if n < 1 || n > 65535 {
			return Statement{}, fmt.Errorf("%s:%d: $%d: parameters are numbered from $1", path, i+1, n)
		}
		if _, dup := params[n]; dup {
			return Statement{}, fmt.Errorf("%s:%d: $%d is given twice", path, i+1, n)
		}
		params[n] = p
	}
	for n := 1; n <= len(params); n++ {
		p, ok := params[n]
		if !ok {
			return Statement{}, fmt.Errorf("%s: $%d has no value but a higher parameter does: give every parameter from $1 up", path, n)
		}
		st.Params = append(st.Params, p)
	}
	if st.SQL == "" {
		return Statement{}, fmt.Errorf("%s: empty file: put one SQL statement in it", path)
	}
	return st, nil
}

// ParseParamValue reads one parameter value as written in a query file
// header: 42, 'quoted' (SQL quoting) or NULL.
func ParseParamValue(v string) (Param, error) {
	switch {
	case strings.EqualFold(v, "NULL"):
		return Param{Null: true}, nil
	case strings.HasPrefix(v, "'"):
		if len(v) < 2 || !strings.HasSuffix(v, "'") {
			return Param{}, fmt.Errorf("unterminated quoted value %s: close it with '", v)
		}
		inner := v[1 : len(v)-1]
		if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") > 0 {
			return Param{}, fmt.Errorf("stray quote in %s: write a quote inside a value as ''", v)
		}
		return Param{Value: strings.ReplaceAll(inner, "''", "'")}, nil
	case v == "":
		return Param{}, fmt.Errorf("no value: write e.g. `-- $1 = 42` or `-- $1 = NULL`")
	}
	return Param{Value: v}, nil
}

// readSQLDir reads every *.sql file in dir, in name order.
func readSQLDir(dir string) ([]Statement, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.sql files in this directory", dir)
	}
	var out []Statement
	for _, f := range files {
		st, err := ReadSQLFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
