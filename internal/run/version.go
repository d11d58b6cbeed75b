package run

import (
	"context"
	"fmt"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
)

// pinVersion returns cfg with its backend's server pinned to
// postgres.version: the docker backend's image (unless one is named) and
// the local backend's binaries. A dsn server is checked once connected
// (checkVersion).
func pinVersion(ctx context.Context, cfg config.Config) (config.Config, error) {
	switch cfg.Backend {
	case "docker":
		if cfg.Postgres.Image == "" {
			major := cfg.Postgres.Version
			if major == 0 {
				major = pgserver.DefaultMajor
			}
			cfg.Postgres.Image = pgserver.DockerImageFor(ctx, major)
		}
	case "local":
		if cfg.Postgres.Version != 0 {
			bin, err := pgserver.FindMajor(ctx, cfg.Postgres.BinDir, cfg.Postgres.Version)
			if err != nil {
				return cfg, fmt.Errorf("backend local: %w", err)
			}
			cfg.Postgres.BinDir = bin.Dir
		}
	}
	return cfg, nil
}

// checkVersion checks that srv runs the major postgres.version names (any,
// when it names none): a dsn server is the user's, and a named image may
// hold another major than the configuration says.
func checkVersion(ctx context.Context, cfg config.Config, srv pgserver.Server) error {
	if err := pgserver.CheckMajor(ctx, srv, cfg.Postgres.Version); err != nil {
		return fmt.Errorf("backend %s: %w", cfg.Backend, err)
	}
	return nil
}
