package run

import (
	"context"
	"fmt"
	"strconv"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
)

// ServerSettings are the settings a server plangate starts runs with: the
// user's, plus the parallel-worker count the replay is pinned to.
func ServerSettings(cfg config.Config) pgserver.Settings {
	s := pgserver.Settings{}
	for k, v := range cfg.Postgres.Settings {
		s[k] = v
	}
	if _, ok := s["max_parallel_workers_per_gather"]; !ok {
		s["max_parallel_workers_per_gather"] = strconv.Itoa(cfg.Replay.ParallelWorkers)
	}
	return s
}

// startServer provides the Postgres server the configuration asks for.
func startServer(ctx context.Context, cfg config.Config) (pgserver.Server, error) {
	switch cfg.Backend {
	case "dsn":
		return pgserver.OpenDSN(ctx, cfg.DSN, cfg.AllowRemote)
	case "local":
		return startLocal(ctx, cfg)
	case "docker":
		return startDocker(ctx, cfg)
	}
	return nil, fmt.Errorf("backend %q: choose docker, local or dsn", cfg.Backend)
}

func startLocal(ctx context.Context, cfg config.Config, extra ...pgserver.LocalOption) (pgserver.Server, error) {
	srv, err := pgserver.StartLocal(ctx, append([]pgserver.LocalOption{
		pgserver.WithBinDir(cfg.Postgres.BinDir),
		pgserver.WithPort(cfg.Postgres.Port),
		pgserver.WithRunAs(cfg.Postgres.RunAs),
		pgserver.WithSettings(ServerSettings(cfg))}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("backend local: %w", err)
	}
	return srv, nil
}

func startDocker(ctx context.Context, cfg config.Config) (pgserver.Server, error) {
	srv, err := pgserver.StartDocker(ctx,
		pgserver.WithImage(cfg.Postgres.Image),
		pgserver.WithDockerSettings(ServerSettings(cfg)))
	if err != nil {
		return nil, err
	}
	return srv, nil
}
