package seed

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/pgserver"
)

// manifestName is the file beside an entry's data directory that lists the
// entry's files and their sizes, written when the entry is kept.
const manifestName = "manifest"

// syncTree syncs every file and directory under dir to disk and returns
// the manifest of dir: one "<size> <path>" line per regular file, its path
// relative to dir, in lexical order.
func syncTree(dir string) ([]byte, error) {
	var b bytes.Buffer
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := syncPath(path); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%d %s\n", info.Size(), filepath.ToSlash(rel))
		}
		return nil
	})
	return b.Bytes(), err
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir syncs a directory, so that the names in it (a rename) survive a
// crash.
func syncDir(dir string) error { return syncPath(dir) }

// writeSynced writes a new file and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// verify checks the entry for key against its manifest (every file there,
// at its size, and no other) and checks that its cluster was shut down
// cleanly. It returns what is wrong, or nil.
func (c *Cache) verify(key string) error {
	data := c.EntryPath(key)
	want, err := os.ReadFile(filepath.Join(c.dir, key, manifestName))
	if err != nil {
		return fmt.Errorf("no manifest: %w", err)
	}
	sizes := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(want))
	for sc.Scan() {
		size, path, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(size, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("manifest line %q is malformed", sc.Text())
		}
		sizes[path] = n
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(data, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		size, listed := sizes[rel]
		if !listed {
			return fmt.Errorf("%s is not in the manifest", rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() != size {
			return fmt.Errorf("%s has %d bytes, the manifest says %d", rel, info.Size(), size)
		}
		delete(sizes, rel)
		return nil
	})
	if err != nil {
		return err
	}
	for missing := range sizes {
		return fmt.Errorf("%s is missing", missing)
	}
	if state, err := pgserver.ControlFileState(data); err != nil || state != pgserver.StateShutDown {
		return fmt.Errorf("its cluster was not shut down cleanly (%s)", stateOrErr(state, err))
	}
	return nil
}
