package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/diskfull"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/seed"
)

// seededDB is the database a cached or snapshotted seeded server holds; a
// server the user names gets a scratch database instead.
const seededDB = "plangate"

// Seeded is a server with a seeded database, and how to let go of both.
type Seeded struct {
	Server pgserver.Server
	// DB is the seeded database's name.
	DB string
	// Close stops the server and removes what provisioning made.
	Close func(context.Context) error
	// CacheKey and CachePath name the seeded-state cache entry, if any:
	// the local backend's entry directory (seed.Cache.EntryDir), the dsn
	// backend's template database.
	CacheKey, CachePath string
}

// Provision starts the configured server and seeds a database on it, from
// the seeded-state cache where the backend has one.
func Provision(ctx context.Context, cfg config.Config, env Env) (*Seeded, error) {
	var spec *seed.Spec
	if cfg.Data != "" {
		var err error
		if spec, err = seed.LoadSpec(cfg.Data); err != nil {
			return nil, err
		}
	}
	if cfg.Backend != "auto" {
		return provisionOn(ctx, cfg, spec, env)
	}
	// auto: a container when an engine answers; a local cluster when there
	// is none, or when the image can be neither found nor pulled and
	// PostgreSQL is installed here.
	cfg.Backend = "local"
	if !pgserver.DockerAvailable(ctx) {
		return provisionOn(ctx, cfg, spec, env)
	}
	cfg.Backend = "docker"
	sd, err := provisionOn(ctx, cfg, spec, env)
	var unavailable *pgserver.ImageUnavailableError
	if err == nil || !errors.As(err, &unavailable) {
		return sd, err
	}
	if _, lerr := localBinaries(ctx, cfg); lerr != nil {
		return nil, err
	}
	env.progress().Note("image %s is not available to Docker; using the local PostgreSQL instead (--backend local says so explicitly)", unavailable.Image)
	cfg.Backend = "local"
	return provisionOn(ctx, cfg, spec, env)
}

// provisionOn provisions on the backend cfg names (docker, local or dsn),
// from its seeded-state cache where it has one.
func provisionOn(ctx context.Context, cfg config.Config, spec *seed.Spec, env Env) (*Seeded, error) {
	cfg, err := pinVersion(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Backend == "docker" && !cfg.Cache.Disabled {
		return provisionSnapshot(ctx, cfg, spec, env)
	}
	if cfg.Backend == "dsn" && !cfg.Cache.Disabled {
		return provisionTemplate(ctx, cfg, spec, env)
	}
	if cfg.Backend == "local" && !cfg.Cache.Disabled {
		cache, err := openCache(cfg, env)
		if err != nil {
			return nil, err
		}
		if cache != nil {
			return provisionCached(ctx, cfg, spec, cache, env)
		}
	}
	env.progress().Stage("starting Postgres (%s backend)", cfg.Backend)
	srv, err := startServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, cfg, srv); err != nil {
		return nil, failure(err, srv.Close(context.WithoutCancel(ctx)))
	}
	db := pgserver.ScratchName("plangate")
	out := &Seeded{Server: srv, DB: db, Close: func(ctx context.Context) error {
		return errors.Join(pgserver.DropDatabase(ctx, srv, db), srv.Close(ctx))
	}}
	if err := pgserver.CreateDatabase(ctx, srv, db, ""); err != nil {
		return nil, failure(fmt.Errorf("scratch database: %w", err), out.Close(context.WithoutCancel(ctx)))
	}
	if err := seedDatabase(ctx, cfg, spec, srv.ConnString(db), env); err != nil {
		return nil, failure(err, out.Close(context.WithoutCancel(ctx)))
	}
	return out, nil
}

// seedDatabase applies the schema and seed files, generates the data
// spec's rows and applies production statistics, in that order.
func seedDatabase(ctx context.Context, cfg config.Config, spec *seed.Spec, connString string, env Env) error {
	env.progress().Stage("seeding")
	start := time.Now()
	applyOpts := []seed.Option{seed.WithProgress(env.lines())}
	if cfg.DeferIndexes {
		applyOpts = append(applyOpts, seed.WithDeferredIndexes())
	}
	if _, err := seed.Apply(ctx, connString, cfg.Schema, cfg.Seed, applyOpts...); err != nil {
		return err
	}
	if spec != nil {
		opts := []seed.GenOption{seed.WithScale(cfg.Scale), seed.WithProgressTo(env.stderr(), env.Terminal)}
		if cfg.DataSeed != 0 {
			opts = append(opts, seed.WithSeed(cfg.DataSeed))
		}
		if _, err := seed.Generate(ctx, connString, spec, opts...); err != nil {
			return err
		}
	}
	if cfg.Stats != "" {
		stats, err := seed.LoadStats(cfg.Stats)
		if err != nil {
			return err
		}
		warnings, err := seed.ApplyStats(ctx, connString, stats)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			env.progress().Warn("stats: %s", w.Message)
		}
	}
	env.progress().Stage("seeded in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// failure is err, a step of provisioning that failed, joined with the error
// of closing what the step used. A full disk found on closing is why the
// step failed (a seed that fills the disk loses its connection): it comes
// first.
func failure(err, closeErr error) error {
	var full *diskfull.Error
	switch {
	case errors.As(closeErr, &full) && !errors.As(err, &full):
		return fmt.Errorf("%w (%v)", full, err)
	case err == nil || closeErr == nil:
		return errors.Join(err, closeErr)
	}
	return fmt.Errorf("%w (then, cleaning up: %w)", err, closeErr)
}

// onSeeded provisions the seeded database, hands it to f and lets go of
// it, whatever f returns.
func onSeeded(ctx context.Context, cfg config.Config, env Env, f func(*Seeded) error) (err error) {
	sd, err := Provision(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sd.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return f(sd)
}
