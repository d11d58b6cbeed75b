package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/run"
)

func newSeedCmd(s *streams) *cobra.Command {
	var f commonFlags
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Build the seeded state ahead of time (schema, seed files, data spec)",
		Long: `seed builds the seeded database a check runs on, as check would, and keeps it
in the seeded-state cache of the local backend, so that later runs start in
seconds. It prints the cache key and path: keep that path in a CI cache (for
example actions/cache keyed by the same key) between runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if cfg.Backend == "auto" {
				cfg.Backend = "local"
			}
			if cfg.Backend != "local" {
				return fmt.Errorf("seed: the seeded-state cache is the local backend's: use --backend local")
			}
			if cfg.Cache.Disabled {
				return fmt.Errorf("seed: the cache is disabled (--no-cache or cache.disabled): nothing to build")
			}
			progress := newProgress(s)
			defer progress.done()
			sd, err := run.Provision(cmd.Context(), cfg, s.env(progress))
			if err != nil {
				return err
			}
			if err := sd.Close(context.WithoutCancel(cmd.Context())); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "key %s\npath %s\n", sd.CacheKey, sd.CachePath)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}
