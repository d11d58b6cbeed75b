// Command plangate-noise measures how much plangate's metrics move when
// nothing changes. It records the baseline of one unchanged query set N times,
// each time on a freshly started and freshly seeded server (through the
// pipeline `plangate baseline` runs, run.Baseline), then reports per query and metric the
// minimum, median and maximum and their relative spread, and checks that
// gate.Compare under the default rules finds no failure between any two runs:
// a gate that fails when nothing changed would not be believed.
//
//	plangate-noise [-runs 20] [-config examples/drf-pagination/plangate.yaml] [-backend auto] [-keep DIR]
//
// It exits 0 when no pair of runs fails, 1 when one does, and 2 on error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
	plrun "github.com/plangate/plangate/internal/run"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, errNoisy):
		os.Exit(1)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "plangate-noise: "+err.Error())
	os.Exit(2)
}

// errNoisy reports that two runs of an unchanged query set failed the gate.
var errNoisy = errors.New("the gate fails between runs of an unchanged query set")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plangate-noise", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 20, "how many times to seed and record the baseline")
	configPath := fs.String("config", filepath.Join("examples", "drf-pagination", "plangate.yaml"), "plangate configuration of the query set")
	keep := fs.String("keep", "", "keep the recorded baselines in this directory (default: a temporary one, removed)")
	backend := fs.String("backend", "", "where Postgres runs: auto, docker, local or dsn (default: the configuration's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: see -help", fs.Arg(0))
	}
	if *runs < 2 {
		return fmt.Errorf("-runs %d: at least 2 runs are needed to compare", *runs)
	}
	dir := *keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "plangate-noise-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	cfg, err := config.Load(*configPath, true)
	if err != nil {
		return err
	}
	if *backend != "" {
		cfg.Backend = *backend
	}
	// Every run seeds afresh: the seed's own variation is part of the noise.
	cfg.Cache.Disabled = true
	if err := cfg.Validate(); err != nil {
		return err
	}
	paths, err := record(ctx, cfg, dir, *runs, stderr)
	if err != nil {
		return err
	}
	res, err := analyze(paths)
	if err != nil {
		return err
	}
	res.config = *configPath
	res.write(stdout)
	if res.failures > 0 {
		return errNoisy
	}
	return nil
}

// record records the baseline runs times, each into its own file, and
// returns the files' paths.
func record(ctx context.Context, cfg config.Config, dir string, runs int, stderr io.Writer) ([]string, error) {
	var paths []string
	for i := 1; i <= runs; i++ {
		path, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("run-%02d.baseline.json", i)))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "plangate-noise: run %d/%d\n", i, runs)
		file, _, err := plrun.Baseline(ctx, cfg, plrun.Env{}, nil)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i, err)
		}
		if err := baseline.Write(path, file); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
