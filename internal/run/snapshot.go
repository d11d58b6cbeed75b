package run

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/seed"
)

// snapshotKey returns the key of the docker backend's seeded snapshot for
// the seeded state key describes (the local cache's key: schema, seed and
// data files, scale, seed, statistics), under cfg's image and server
// settings. The image's name stands in for the PostgreSQL version, which is
// not known before a container runs; StartDocker checks the image's ID.
func snapshotKey(cfg config.Config, key seed.CacheKey) (string, error) {
	key.PostgresVersion = "image " + cfg.Postgres.Image
	settings := ServerSettings(cfg)
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	key.Extra = append([]string{"backend docker"}, key.Extra...)
	for _, k := range names {
		key.Extra = append(key.Extra, "setting "+k+"="+settings[k])
	}
	return key.Hash()
}

// startSeededDocker starts a container from the seeded snapshot of key when
// the engine has one, and otherwise starts one from the image, creates
// database db, seeds it with seedFn and saves the snapshot for the next run.
// A snapshot that cannot be saved is a warning on warn, not a failure: the
// server is seeded all the same. restored tells which way it went.
func startSeededDocker(ctx context.Context, cfg config.Config, key seed.CacheKey, db string, env Env,
	seedFn func(connString string) error) (srv pgserver.Server, restored bool, err error) {
	hash, err := snapshotKey(cfg, key)
	if err != nil {
		return nil, false, err
	}
	// The project's configuration file, or its directory: each keeps its
	// newest few snapshots.
	scope := cfg.Dir
	if cfg.Path != "" {
		scope = filepath.Join(cfg.Dir, filepath.Base(cfg.Path))
	}
	env.progress().Stage("starting Postgres (docker backend, seeded snapshot %s)", hash[:12])
	srv, err = pgserver.StartDocker(ctx,
		pgserver.WithImage(cfg.Postgres.Image),
		pgserver.WithDockerSettings(ServerSettings(cfg)),
		pgserver.WithSnapshot(hash),
		pgserver.WithSnapshotScope(scope))
	if err != nil {
		return nil, false, err
	}
	snap, ok := srv.(pgserver.Snapshotter)
	if !ok {
		srv.Close(context.WithoutCancel(ctx))
		return nil, false, errors.New("docker: the server cannot save snapshots")
	}
	if snap.FromSnapshot() {
		return srv, true, nil
	}
	if err := pgserver.CreateDatabase(ctx, srv, db, ""); err != nil {
		srv.Close(context.WithoutCancel(ctx))
		return nil, false, fmt.Errorf("seeded database: %w", err)
	}
	if err := seedFn(srv.ConnString(db)); err != nil {
		srv.Close(context.WithoutCancel(ctx))
		return nil, false, err
	}
	env.progress().Stage("saving seeded snapshot %s", hash[:12])
	start := time.Now()
	if err := snap.SaveSnapshot(ctx, db); err != nil {
		if ctx.Err() != nil {
			srv.Close(context.WithoutCancel(ctx))
			return nil, false, ctx.Err()
		}
		env.warn("seeded snapshot not saved, the next run seeds again: %v", err)
	} else {
		env.progress().Stage("saved seeded snapshot %s in %s", hash[:12], time.Since(start).Round(100*time.Millisecond))
	}
	return srv, false, nil
}
