package run

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
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
			bin, err := localBinaries(ctx, cfg)
			if err != nil {
				return cfg, fmt.Errorf("backend local: %w", err)
			}
			cfg.Postgres.BinDir = bin.Dir
		}
	}
	return cfg, nil
}

// localBinaries finds the local backend's binaries: postgres.version's
// when it names one, else the newest installed.
func localBinaries(ctx context.Context, cfg config.Config) (pgserver.Binaries, error) {
	if cfg.Postgres.Version != 0 {
		return pgserver.FindMajor(ctx, cfg.Postgres.BinDir, cfg.Postgres.Version)
	}
	return pgserver.FindBinaries(ctx, cfg.Postgres.BinDir)
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

// acrossMajors reports whether a baseline recorded on server version
// baseline is compared with a run on another major: Check then compares
// with gate.AcrossMajors's rules.
func acrossMajors(baseline, current string) bool {
	return baseline != "" && majorOf(baseline) != majorOf(current)
}

// majorOf returns the major of a version string such as "15.8" or "18.1",
// 0 when there is none (a baseline recorded before versions were kept).
func majorOf(version string) int {
	major, _, _ := strings.Cut(version, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// VersionNote is the one line check prints when the baseline was recorded
// on another server version than this run's, or "" when it was not (or
// does not say). Across majors it names what is still compared.
func VersionNote(baseline, current string) string {
	switch {
	case baseline == "" || baseline == current:
		return ""
	case majorOf(baseline) != majorOf(current):
		return fmt.Sprintf("plangate: warning: baseline was recorded on PostgreSQL %s, this run is on %s: comparing rows and statement counts, and temp bytes where the plan is unchanged; %s are reported, not gated, and plan findings only warn (docs/versions.md)",
			baseline, current, strings.Join(gate.VersionDependentMetrics(), ", "))
	}
	return fmt.Sprintf("plangate: warning: baseline was recorded on PostgreSQL %s, this run is on %s: plans may differ for that reason alone", baseline, current)
}
