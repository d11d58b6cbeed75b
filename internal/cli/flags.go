package cli

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plangate/plangate/internal/config"
)

// commonFlags are the flags every replaying command takes. Each one is also
// settable in plangate.yaml; a flag that was given wins.
type commonFlags struct {
	config      string
	schema      []string
	seed        []string
	queries     []string
	baseline    string
	format      string
	output      string
	backend     string
	dsn         string
	allowRemote bool
	image       string
	pgVersion   int
	repeat      int
	data        string
	scale       float64
	noCache     bool
}

func (f *commonFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration file (default plangate.yaml if present)")
	fs.StringArrayVar(&f.schema, "schema", nil, "schema SQL file or directory, applied in order (repeatable)")
	fs.StringArrayVar(&f.seed, "seed", nil, "seed SQL file or directory, applied after the schema (repeatable)")
	fs.StringArrayVar(&f.queries, "queries", nil, "query source: directory of .sql files, .sql file, capture .jsonl or Postgres log (repeatable)")
	fs.StringVar(&f.baseline, "baseline", "", "baseline file (default plangate.baseline.json)")
	fs.StringVar(&f.format, "format", "", "report format: text, markdown, json, junit, sarif, html or github (workflow commands) (default text)")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout")
	fs.StringVar(&f.backend, "backend", "", "where Postgres runs: auto, docker, local or dsn (default auto)")
	fs.StringVar(&f.dsn, "dsn", "", "server for --backend dsn (plangate works in a scratch database it creates and drops)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "let --dsn name a server on another host")
	fs.StringVar(&f.image, "image", "", "Postgres container image for --backend docker (default: postgres.version's, plangate/postgres:N when built here, else postgres:N)")
	fs.IntVar(&f.pgVersion, "pg-version", 0, "PostgreSQL major version of the server (postgres.version): the docker image, the local binaries, the dsn server's")
	fs.StringVar(&f.data, "data", "", "data spec (YAML) generating rows after the seed files")
	fs.Float64Var(&f.scale, "scale", 1, "multiply the data spec's row counts, e.g. 0.05 on a laptop")
	fs.BoolVar(&f.noCache, "no-cache", false, "seed afresh instead of reusing the cached seeded state")
	fs.IntVar(&f.repeat, "repeat", 1, "replay each statement N times after a warm-up and keep each metric's median")
}

// load reads the configuration file and lays the flags that were given over it.
func (f *commonFlags) load(cmd *cobra.Command) (config.Config, error) {
	path, required, err := configFile(f.config)
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Load(path, required, config.WithDefaultDSN(os.Getenv("DATABASE_URL")))
	if err != nil {
		return cfg, err
	}
	given := map[string]func(){
		"schema":       func() { cfg.Schema = f.schema },
		"seed":         func() { cfg.Seed = f.seed },
		"queries":      func() { cfg.Queries = f.queries },
		"baseline":     func() { cfg.Baseline = f.baseline },
		"format":       func() { cfg.Format = f.format },
		"output":       func() { cfg.Output = f.output },
		"backend":      func() { cfg.Backend = f.backend },
		"dsn":          func() { cfg.DSN = f.dsn },
		"allow-remote": func() { cfg.AllowRemote = f.allowRemote },
		"data":         func() { cfg.Data = f.data },
		"scale":        func() { cfg.Scale = f.scale },
		"no-cache":     func() { cfg.Cache.Disabled = f.noCache },
		"repeat":       func() { cfg.Replay.Repeat = f.repeat },
		"image":        func() { cfg.Postgres.Image = f.image },
		"pg-version":   func() { cfg.Postgres.Version = f.pgVersion },
	}
	changed := cmd.Flags().Changed
	for name, apply := range given {
		if changed(name) {
			apply()
		}
	}
	// A server named by --dsn is the one to use, unless --backend or the
	// file chose otherwise.
	if changed("dsn") && !changed("backend") && cfg.Backend == "auto" {
		cfg.Backend = "dsn"
	}
	return cfg, cfg.Validate()
}

// configFile is the configuration file to read and whether it must exist:
// --config, else $PLANGATE_CONFIG, else the nearest plangate.yaml or
// plangate.yml from the working directory up to the repository's root.
func configFile(flag string) (string, bool, error) {
	if flag != "" {
		return flag, true, nil
	}
	if env := os.Getenv("PLANGATE_CONFIG"); env != "" {
		return env, true, nil
	}
	found, err := config.Find(".")
	if err != nil || found == "" {
		return config.DefaultFile, false, err
	}
	return found, true, nil
}

// migrationFlags name a pull request's migrations, for check and migrate;
// each is also settable in plangate.yaml (migrations.path,
// migrations.command).
type migrationFlags struct {
	path, command string
}

func (m *migrationFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&m.path, "migrations", "", "the pull request's migrations: a directory of .sql files applied in name order, or one .sql file")
	fs.StringVar(&m.command, "migrate-command", "", `the project's migration tool, run through plangate's proxy against a copy of the seeded database (e.g. "python manage.py migrate"); it gets DATABASE_URL and PG*`)
}

// apply lays the flags that were given over cfg's migrations: either flag
// replaces both of the file's keys.
func (m *migrationFlags) apply(cmd *cobra.Command, cfg *config.Config) error {
	changed := cmd.Flags().Changed
	if changed("migrations") || changed("migrate-command") {
		cfg.Migrations.Path, cfg.Migrations.Command = m.path, m.command
	}
	return cfg.Validate()
}
