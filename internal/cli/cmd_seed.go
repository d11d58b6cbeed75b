package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/run"
)

func newSeedCmd(s *streams) *cobra.Command {
	var (
		f       commonFlags
		keyOnly bool
	)
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Build the seeded state ahead of time (schema, seed files, data spec)",
		Long: `seed builds the seeded database a check runs on, as check would, and keeps it
in the seeded-state cache of the local backend, so that later runs start in
seconds. It prints the backend, the cache key and the path: keep that path
(the entry's directory) in a CI cache, for example actions/cache keyed by the
same key, between runs.

With --key-only it builds nothing and starts no server: it prints the backend
a check with the same flags would use (auto: docker when an engine answers,
else local) and, for the local backend with its cache on, the key and path of
the entry that check would start from; the key is computed from the schema,
seed and data files, scale, seed, statistics and the version of the local
PostgreSQL. seed takes check's and baseline's flags, so that the same
arguments can be passed; those that do not change the seeded state are
ignored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if keyOnly {
				st, err := run.LocateSeededState(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "backend %s\n", st.Backend)
				if st.Key != "" {
					fmt.Fprintf(s.out, "key %s\npath %s\n", st.Key, st.Path)
				}
				return nil
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
			fmt.Fprintf(s.out, "backend local\nkey %s\npath %s\n", sd.CacheKey, sd.CachePath)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&keyOnly, "key-only", false, "print the backend, key and path of the seeded state a check would use, without building it")
	// check's and baseline's other flags, accepted and ignored: they do not
	// change the seeded state.
	var (
		mf       migrationFlags
		ignored  bool
		ignoredS []string
	)
	mf.register(cmd.Flags())
	cmd.Flags().BoolVar(&ignored, "remeasure-baseline", false, "")
	cmd.Flags().StringArrayVar(&ignoredS, "baseline-queries", nil, "")
	cmd.Flags().StringArrayVar(&ignoredS, "only", nil, "")
	for _, name := range []string{"migrations", "migrate-command", "remeasure-baseline", "baseline-queries", "only"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	return cmd
}
