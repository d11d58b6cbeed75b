package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FileNames are the configuration file names Find looks for, in each
// directory.
var FileNames = []string{"plangate.yaml", "plangate.yml"}

// Find looks for a configuration file in dir, then in each parent up to the
// repository root (the first directory holding .git) or the file system's
// root, and returns the first one found, or "" when there is none. A
// directory holding both plangate.yaml and plangate.yml is an error: which
// one was meant is not clear.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	for {
		var found []string
		for _, name := range FileNames {
			p := filepath.Join(dir, name)
			if info, err := os.Stat(p); err == nil && !info.IsDir() {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 2:
			return "", fmt.Errorf("config: both %s and %s exist: keep one, or name it with --config", found[0], found[1])
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil || !errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}
