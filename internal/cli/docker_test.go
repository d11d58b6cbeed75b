package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/moby/moby/client"
	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"

	"github.com/plangate/plangate/internal/pgserver"
)

// dockerScripts are the end-to-end scripts that say nothing of the backend,
// run again on the docker backend by TestScriptsDocker. bad_input and
// interrupt are about the local cluster; stable has a docker version with
// fewer repetitions, since each run starts a container.
var dockerScripts = []string{
	"testdata/scripts/regressions.txtar",
	"testdata/scripts/improved.txtar",
	"testdata/scripts/failures.txtar",
	"testdata/docker/stable.txtar",
}

// TestScriptsDocker runs dockerScripts with every configuration file of the
// script's directory rewritten to use the docker backend and the test image
// (PLANGATE_TEST_IMAGE, by default the one .ci/build-images builds). Without
// an engine or that image it is skipped, or fails with
// PLANGATE_REQUIRE_DOCKER=1 (CI).
func TestScriptsDocker(t *testing.T) {
	image := dockerScriptImage(t)
	// A schema of the script's own, in this run, gives its seeded state a
	// snapshot key of its own: the script's first start seeds and saves it,
	// the later ones start from it (stable compares what both measure), and
	// the snapshots are removed when the test ends.
	run := randomHex()
	var mu sync.Mutex
	var scopes []string
	t.Cleanup(func() {
		for _, scope := range scopes {
			if _, err := pgserver.PruneSnapshots(context.Background(), scope, 0); err != nil {
				t.Errorf("remove the scenarios' snapshots: %v", err)
			}
		}
	})
	testscript.Run(t, testscript.Params{
		Files: dockerScripts,
		Setup: func(env *testscript.Env) error {
			if err := os.CopyFS(env.WorkDir, os.DirFS("testdata/project")); err != nil {
				return err
			}
			schema, err := os.OpenFile(filepath.Join(env.WorkDir, "schema.sql"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(schema, "\n-- docker scenario %s, run %s\n", filepath.Base(env.WorkDir), run)
			if cerr := schema.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			configs, err := filepath.Glob(filepath.Join(env.WorkDir, "*.yaml"))
			if err != nil {
				return err
			}
			for _, c := range configs {
				if err := useDockerBackend(c, image); err != nil {
					return fmt.Errorf("%s: %w", c, err)
				}
			}
			mu.Lock()
			scopes = append(scopes, configs...)
			mu.Unlock()
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"errline": cmdErrline,
			"jq-like": cmdQueryStatus,
		},
		RequireExplicitExec: true,
	})
}

// useDockerBackend rewrites the plangate.yaml at path to use the docker
// backend with image, keeping everything else.
func useDockerBackend(path, image string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("not a mapping")
	}
	root := doc.Content[0]
	setYAML(root, "backend", &yaml.Node{Kind: yaml.ScalarNode, Value: "docker"})
	postgres := setYAML(root, "postgres", &yaml.Node{Kind: yaml.MappingNode})
	if postgres.Kind != yaml.MappingNode {
		return fmt.Errorf("postgres: not a mapping")
	}
	setYAML(postgres, "image", &yaml.Node{Kind: yaml.ScalarNode, Value: image})
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// setYAML sets key in mapping m to value, unless value is a mapping and m
// has one under key already; it returns the node now under key.
func setYAML(m *yaml.Node, key string, value *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if value.Kind != yaml.MappingNode || m.Content[i+1].Kind != yaml.MappingNode {
				m.Content[i+1] = value
			}
			return m.Content[i+1]
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
	return value
}

// dockerScriptImage returns the image the docker scenarios run, skipping
// the test (failing it under PLANGATE_REQUIRE_DOCKER=1) when no engine
// answers or the engine lacks the image.
func dockerScriptImage(t *testing.T) string {
	t.Helper()
	image := os.Getenv("PLANGATE_TEST_IMAGE")
	if image == "" {
		image = "plangate/postgres:15"
	}
	requireDockerImage(t, image)
	return image
}

// requireDockerImage skips the test (fails it under
// PLANGATE_REQUIRE_DOCKER=1) when no Docker engine answers or the engine
// lacks image.
func requireDockerImage(t *testing.T, image string) {
	t.Helper()
	unavailable := t.Skipf
	if os.Getenv("PLANGATE_REQUIRE_DOCKER") == "1" {
		unavailable = t.Fatalf
	}
	if !pgserver.DockerAvailable(context.Background()) {
		unavailable("no Docker engine answers (DOCKER_HOST=%q)", os.Getenv("DOCKER_HOST"))
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(context.Background(), image); err != nil {
		unavailable("image %s: %v: run .ci/build-images or set PLANGATE_TEST_IMAGE", image, err)
	}
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
