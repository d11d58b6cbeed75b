package run

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/diskfull"
	"github.com/plangate/plangate/internal/leftover"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/seed"
)

// The seeded-state cache, for every backend that has one: the local
// backend keeps a cluster's data directory per key (seed.Cache), the docker
// backend a snapshot image per key (pgserver.WithSnapshot). Both keys come
// from seededStateKey.

// seededStateKey is everything the seeded state of cfg depends on, but the
// server: the schema, seed and data files, scale, seed and statistics. Each
// backend adds what its server is.
func seededStateKey(cfg config.Config, spec *seed.Spec) seed.CacheKey {
	key := seed.CacheKey{SchemaFiles: cfg.Schema, SeedFiles: cfg.Seed, Spec: spec, Scale: cfg.Scale,
		Seed: cfg.DataSeed, Extra: []string{"stats:" + fileDigest(cfg.Stats)}}
	if spec != nil && key.Seed == 0 {
		key.Seed = spec.Seed
	}
	return key
}

// openCache opens the seeded-state cache, or returns nil when there is no
// place for one (no home directory, as in some CI sandboxes).
func openCache(cfg config.Config, env Env) (*seed.Cache, error) {
	dir, err := cacheDir(cfg)
	if dir == "" || err != nil {
		return nil, err
	}
	return seed.NewCache(dir, seed.WithCacheWarnings(LineWriter(func(line string) { env.progress().Warn("%s", line) })))
}

// cacheDir returns the seeded-state cache's directory, made if need be:
// cache.dir, else $PLANGATE_CACHE_DIR, else the user's cache directory; ""
// when there is no place for one (no home directory, as in some CI
// sandboxes).
func cacheDir(cfg config.Config) (string, error) {
	dir := cfg.Cache.Dir
	if dir == "" {
		dir = os.Getenv("PLANGATE_CACHE_DIR")
	}
	if dir == "" {
		d, err := seed.DefaultCacheDir()
		if err != nil {
			return "", nil
		}
		dir = d
		// Under root the server runs as another user, who cannot reach
		// root's home.
		if os.Geteuid() == 0 && !pgserver.ServerUserCanReach(dir, cfg.Postgres.RunAs) {
			dir = "/var/cache/plangate"
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cache: %w: set cache.dir in plangate.yaml or PLANGATE_CACHE_DIR", err)
	}
	if !pgserver.ServerUserCanReach(dir, cfg.Postgres.RunAs) {
		return "", fmt.Errorf("cache: %s: the server's user cannot reach it: pick a cache.dir it can (e.g. under /var/cache)", dir)
	}
	return dir, nil
}

// localStateKey returns the local backend's cache key for the seeded state
// of cfg (pinned by pinVersion): seededStateKey and the version of the
// PostgreSQL binaries the cluster would run.
func localStateKey(ctx context.Context, cfg config.Config, spec *seed.Spec) (string, error) {
	bin, err := pgserver.FindBinaries(ctx, cfg.Postgres.BinDir)
	if err != nil {
		return "", fmt.Errorf("backend local: %w", err)
	}
	key := seededStateKey(cfg, spec)
	key.PostgresVersion = bin.Version
	return key.Hash()
}

// SeededState names the seeded-state cache entry a run would start from:
// what a CI cache (actions/cache) keeps between jobs.
type SeededState struct {
	// Backend is the backend the run would use, auto resolved as Provision
	// resolves it: docker when an engine answers, else local.
	Backend string
	// Key is the entry's key, and Path its directory: the cluster's data
	// directory and its manifest, which restored whole is a cache hit. Both
	// are "" when the run keeps no entry in a directory of this machine:
	// a backend other than local, or the cache disabled or without a place.
	Key, Path string
}

// LocateSeededState returns the seeded-state cache entry a check or
// baseline of cfg would use, without starting a server or seeding: the key
// is computed from the same inputs as Provision's (schema, seed and data
// files, scale, seed, statistics, the local PostgreSQL's version).
func LocateSeededState(ctx context.Context, cfg config.Config) (SeededState, error) {
	var spec *seed.Spec
	if cfg.Data != "" {
		var err error
		if spec, err = seed.LoadSpec(cfg.Data); err != nil {
			return SeededState{}, err
		}
	}
	cfg = resolveAuto(ctx, cfg)
	st := SeededState{Backend: cfg.Backend}
	if cfg.Backend != "local" || cfg.Cache.Disabled {
		return st, nil
	}
	cfg, err := pinVersion(ctx, cfg)
	if err != nil {
		return st, err
	}
	dir, err := cacheDir(cfg)
	if dir == "" || err != nil {
		return st, err
	}
	hash, err := localStateKey(ctx, cfg, spec)
	if err != nil {
		return st, err
	}
	cache, err := seed.NewCache(dir)
	if err != nil {
		return st, err
	}
	st.Key, st.Path = hash, cache.EntryDir(hash)
	return st, nil
}

// provisionCached starts a local cluster on a copy of the cached seeded
// state, building it first on a miss.
func provisionCached(ctx context.Context, cfg config.Config, spec *seed.Spec, cache *seed.Cache, env Env) (*Seeded, error) {
	hash, err := localStateKey(ctx, cfg, spec)
	if err != nil {
		return nil, err
	}
	env.progress().Stage("seeded state %s", hash)
	build := func(dataDir string) error {
		srv, err := startLocal(ctx, cfg, pgserver.WithDataDir(dataDir))
		if err != nil {
			return err
		}
		err = pgserver.CreateDatabase(ctx, srv, seededDB, "")
		if err == nil {
			err = seedDatabase(ctx, cfg, spec, srv.ConnString(seededDB), env)
		}
		return failure(err, srv.Close(context.WithoutCancel(ctx)))
	}
	for attempt := 0; ; attempt++ {
		dir, hit, err := cache.DataDir(ctx, hash, build)
		if err != nil {
			return nil, err
		}
		srv, err := startLocal(ctx, cfg, pgserver.WithDataDir(dir))
		if err == nil {
			if err = pgserver.CheckDatabase(ctx, srv, seededDB); err != nil {
				srv.Close(context.WithoutCancel(ctx))
			}
		}
		if err != nil {
			leftover.Remove(dir)
			var full *diskfull.Error
			if !hit || attempt > 0 || ctx.Err() != nil || errors.As(err, &full) {
				return nil, err
			}
			// The entry passed the cache's checks, yet no server with the
			// seeded database runs on it: it is corrupt all the same.
			env.progress().Warn("seeded state %s is corrupt (%s): removed, seeding it again", hash, strings.Join(strings.Fields(err.Error()), " "))
			if err := cache.Discard(ctx, hash); err != nil {
				return nil, err
			}
			continue
		}
		// CI caches (actions/cache) keep this path between runs.
		how := "built"
		if hit {
			how = "reused"
		}
		env.progress().Note("seeded state %s %s: %s", hash, how, cache.EntryDir(hash))
		return &Seeded{Server: srv, DB: seededDB, CacheKey: hash, CachePath: cache.EntryDir(hash),
			Close: func(ctx context.Context) error {
				return errors.Join(srv.Close(ctx), leftover.Remove(dir))
			}}, nil
	}
}

func fileDigest(path string) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return path
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return path
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// provisionSnapshot starts a container from the seeded snapshot of the
// configuration's state, seeding and saving one when there is none.
func provisionSnapshot(ctx context.Context, cfg config.Config, spec *seed.Spec, env Env) (*Seeded, error) {
	key := seededStateKey(cfg, spec)
	env.progress().Stage("starting Postgres (docker backend)")
	srv, restored, err := startSeededDocker(ctx, cfg, key, seededDB, env, func(conn string) error {
		return seedDatabase(ctx, cfg, spec, conn, env)
	})
	if err != nil {
		return nil, err
	}
	if restored {
		env.progress().Note("seeded snapshot reused: %s", srv.Describe())
	}
	return &Seeded{Server: srv, DB: seededDB, Close: srv.Close}, nil
}

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

// projectScope names the project a seeded state belongs to: its
// configuration file, or its directory. Each project keeps its newest few
// snapshots (docker) and templates (dsn).
func projectScope(cfg config.Config) string {
	if cfg.Path != "" {
		return filepath.Join(cfg.Dir, filepath.Base(cfg.Path))
	}
	return cfg.Dir
}

// resolveAuto resolves backend auto as far as it can be without a server:
// docker when an engine answers, else local. (Provision also falls back
// to local when the image is missing.)
func resolveAuto(ctx context.Context, cfg config.Config) config.Config {
	if cfg.Backend == "auto" {
		cfg.Backend = "local"
		if pgserver.DockerAvailable(ctx) {
			cfg.Backend = "docker"
		}
	}
	return cfg
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
	scope := projectScope(cfg)
	env.progress().Stage("starting Postgres (docker backend, seeded snapshot %s)", hash[:12])
	srv, err = pgserver.StartDocker(ctx,
		pgserver.WithImage(cfg.Postgres.Image),
		pgserver.WithDockerSettings(ServerSettings(cfg)),
		pgserver.WithSnapshot(hash),
		pgserver.WithSnapshotScope(scope))
	if err != nil {
		return nil, false, err
	}
	// Before seeding: a named image may hold another major.
	if err := checkVersion(ctx, cfg, srv); err != nil {
		return nil, false, failure(err, srv.Close(context.WithoutCancel(ctx)))
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
