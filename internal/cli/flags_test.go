package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfigFileOrder(t *testing.T) {
	repo := t.TempDir()
	sub := filepath.Join(repo, "app", "db")
	for _, d := range []string{filepath.Join(repo, ".git"), sub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	found := filepath.Join(repo, "app", "plangate.yml")
	if err := os.WriteFile(found, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv("PLANGATE_CONFIG", "")
	if p, req, err := configFile(""); err != nil || p != found || !req {
		t.Errorf("discovered = %q, %v, %v; want %q", p, req, err, found)
	}
	t.Setenv("PLANGATE_CONFIG", "/etc/plangate.yaml")
	if p, req, err := configFile(""); err != nil || p != "/etc/plangate.yaml" || !req {
		t.Errorf("PLANGATE_CONFIG = %q, %v, %v", p, req, err)
	}
	if p, _, _ := configFile("mine.yaml"); p != "mine.yaml" {
		t.Errorf("--config = %q, want it to win", p)
	}
}
