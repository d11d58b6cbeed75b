package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindSearchesUpwardToTheRepositoryRoot(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	deep := filepath.Join(repo, "services", "api")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	// Above the repository root: never found from inside it.
	write(t, filepath.Join(root, "plangate.yaml"))
	if got, err := Find(deep); err != nil || got != "" {
		t.Fatalf("Find above the repository root = %q, %v; want none", got, err)
	}
	write(t, filepath.Join(repo, "plangate.yml"))
	if got, err := Find(deep); err != nil || got != filepath.Join(repo, "plangate.yml") {
		t.Fatalf("Find = %q, %v; want the repository root's plangate.yml", got, err)
	}
	write(t, filepath.Join(repo, "services", "plangate.yaml"))
	if got, err := Find(deep); err != nil || got != filepath.Join(repo, "services", "plangate.yaml") {
		t.Fatalf("Find = %q, %v; want the nearest plangate.yaml", got, err)
	}
	write(t, filepath.Join(repo, "services", "plangate.yml"))
	if _, err := Find(deep); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Fatalf("Find with both names in one directory: %v; want an error", err)
	}
}

func TestLoadWithDefaultDSN(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "plangate.yaml")
	if err := os.WriteFile(p, []byte("backend: dsn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, true); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("backend dsn without a server: %v", err)
	}
	cfg, err := Load(p, true, WithDefaultDSN("postgres://localhost/app"))
	if err != nil || cfg.DSN != "postgres://localhost/app" {
		t.Fatalf("Load = %q, %v", cfg.DSN, err)
	}
	if err := os.WriteFile(p, []byte("backend: dsn\ndsn: postgres://localhost/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(p, true, WithDefaultDSN("postgres://localhost/app"))
	if err != nil || cfg.DSN != "postgres://localhost/other" {
		t.Fatalf("the file's dsn must win over the default: %q, %v", cfg.DSN, err)
	}
}
