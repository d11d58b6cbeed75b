package run

import (
	"context"
	"errors"
	"fmt"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/seed"
)

// StatsSpec writes a data spec with production's shape from the statistics
// file at statsPath, at cfg.Scale (a share of production's rows), for cfg's
// schema: the schema files are applied to a scratch database on the
// configured server, whose catalog gives the columns' types and keys, and
// nothing is seeded.
func StatsSpec(ctx context.Context, cfg config.Config, env Env, statsPath string) ([]byte, error) {
	stats, err := seed.LoadStats(statsPath)
	if err != nil {
		return nil, err
	}
	if len(cfg.Schema) == 0 {
		return nil, errors.New("stats spec: no schema: list the schema files under schema: in plangate.yaml")
	}
	if cfg, err = pinVersion(ctx, resolveAuto(ctx, cfg)); err != nil {
		return nil, err
	}
	env.progress().Stage("starting Postgres (%s backend) for the schema", cfg.Backend)
	srv, err := startServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer srv.Close(context.WithoutCancel(ctx))
	db := pgserver.ScratchName("plangate")
	if err := pgserver.CreateDatabase(ctx, srv, db, ""); err != nil {
		return nil, fmt.Errorf("scratch database: %w", err)
	}
	defer pgserver.DropDatabase(context.WithoutCancel(ctx), srv, db)
	if _, err := seed.Apply(ctx, srv.ConnString(db), cfg.Schema, nil); err != nil {
		return nil, err
	}
	return seed.SpecFromStats(ctx, srv.ConnString(db), stats, seed.SpecFromStatsOptions{Scale: cfg.Scale, Seed: cfg.DataSeed})
}
