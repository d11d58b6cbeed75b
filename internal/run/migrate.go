package run

import (
	"context"
	"os"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/migrate"
	"github.com/plangate/plangate/internal/queryid"
)

// Migrated is what running a pull request's migrations did.
type Migrated struct {
	// Result is each statement as it ran.
	Result *migrate.Result
	// Findings are each statement's findings, Findings[i] of
	// Result.Statements[i].
	Findings [][]migrate.Finding
	// Postgres is the server's version.
	Postgres string
}

// Migrate provisions the seeded database as check does (a copy of the
// seeded state: never the baseline's data), runs the migrations at path (a
// .sql file, or a directory of them applied in name order) on it and judges
// each statement. The configured queries, when there are any, name who
// would wait behind each lock.
func Migrate(ctx context.Context, cfg config.Config, env Env, path string) (*Migrated, error) {
	files := []string{path}
	if info, err := os.Stat(path); err != nil {
		return nil, err
	} else if info.IsDir() {
		if files, err = migrate.Files(path); err != nil {
			return nil, err
		}
	}
	var queries []migrate.Query
	if len(cfg.Queries) > 0 {
		qs, err := LoadQueries(cfg)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			queries = append(queries, migrate.Query{Name: q.Name, Relation: q.ID.Structure.Relation,
				Writes: q.ID.Kind.Writes() || q.ID.Kind == queryid.KindSelect && q.ID.SelectForUpdate})
		}
	}
	var res *migrate.Result
	err := onSeeded(ctx, cfg, env, func(sd *Seeded) (err error) {
		env.progress().Stage("running %d migration files", len(files))
		res, err = migrate.Run(ctx, sd.Server.ConnString(sd.DB), files)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Migrated{Result: res, Findings: migrate.Judge(res, migrate.DefaultRules(), queries)}, nil
}
