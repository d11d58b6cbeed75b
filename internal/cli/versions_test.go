package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"

	"github.com/plangate/plangate/internal/pgserver"
)

// smokeMajors are the PostgreSQL majors the smoke set runs on; the full
// scenario suite runs on 15 (the local backend's in CI, and
// TestScriptsDocker's image). Each needs plangate/postgres:MAJOR, built by
// .ci/build-images.
var smokeMajors = []int{13, 17, 18}

// TestScriptsVersions runs testdata/versions/smoke.txtar on each of
// smokeMajors with the docker backend: a regression caught, an unchanged
// set passing with its UPDATE replayed unchanged, a baseline from 15
// compared on what is comparable. A major whose image is not on the engine
// is skipped, or fails under PLANGATE_REQUIRE_DOCKER=1 (CI), as is the
// whole test without an engine.
func TestScriptsVersions(t *testing.T) {
	requireDockerImage(t, "plangate/postgres:15") // the cross-major baseline's
	// A schema of this run's own gives it seeded snapshots of its own,
	// removed when the test ends; the one of 15, for the baseline from
	// another major, is seeded once and reused by every major.
	run := randomHex()
	var scopes []string
	t.Cleanup(func() {
		for _, scope := range scopes {
			if _, err := pgserver.PruneSnapshots(context.Background(), scope, 0); err != nil {
				t.Errorf("remove the smoke set's snapshots: %v", err)
			}
		}
	})
	for _, major := range smokeMajors {
		t.Run(strconv.Itoa(major), func(t *testing.T) {
			requireDockerImage(t, fmt.Sprintf("plangate/postgres:%d", major))
			testscript.Run(t, testscript.Params{
				Files: []string{"testdata/versions/smoke.txtar"},
				Setup: func(env *testscript.Env) error {
					env.Setenv("MAJOR", strconv.Itoa(major))
					if err := os.CopyFS(env.WorkDir, os.DirFS("testdata/project")); err != nil {
						return err
					}
					schema, err := os.OpenFile(filepath.Join(env.WorkDir, "schema.sql"), os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(schema, "\n-- smoke run %s\n", run)
					if cerr := schema.Close(); err == nil {
						err = cerr
					}
					if err != nil {
						return err
					}
					cfg := filepath.Join(env.WorkDir, "plangate.yaml")
					pg15 := filepath.Join(env.WorkDir, "pg15.yaml")
					if err := pinMajor(cfg, pg15, 15, "pg15.baseline.json"); err != nil {
						return err
					}
					if err := pinMajor(cfg, cfg, major, ""); err != nil {
						return err
					}
					scopes = append(scopes, cfg, pg15)
					return nil
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"errline": cmdErrline,
					"jq-like": cmdQueryStatus,
				},
				RequireExplicitExec: true,
			})
		})
	}
}

// pinMajor writes to dst the plangate.yaml at src set to the docker
// backend and postgres.version major, with no image named, and with
// baseline when not empty.
func pinMajor(src, dst string, major int, baseline string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a mapping", src)
	}
	root := doc.Content[0]
	setYAML(root, "backend", &yaml.Node{Kind: yaml.ScalarNode, Value: "docker"})
	if baseline != "" {
		setYAML(root, "baseline", &yaml.Node{Kind: yaml.ScalarNode, Value: baseline})
	}
	postgres := setYAML(root, "postgres", &yaml.Node{Kind: yaml.MappingNode})
	setYAML(postgres, "version", &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(major)})
	// v2's whole-table UPDATE, with images building beside it, may take
	// longer than the project's 5s: a timeout is an error, not the
	// regression the script expects.
	replay := setYAML(root, "replay", &yaml.Node{Kind: yaml.MappingNode})
	setYAML(replay, "statement_timeout", &yaml.Node{Kind: yaml.ScalarNode, Value: "60s"})
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o644)
}
