// Package atomicfile replaces files so that a reader, or a crash, sees
// either the old file or the new one, never a half-written one.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/plangate/plangate/internal/diskfull"
)

// maxLinks is how many symbolic links Resolve follows, as the kernel's
// limit (ELOOP) does.
const maxLinks = 40

// Write replaces path with data: a temporary file in the same directory is
// written, synced and renamed over path. An existing file keeps its
// permissions; a new one gets 0644. A path that is a symbolic link has its
// target replaced, and stays a link. On any error path is left as it was;
// a full disk is a *diskfull.Error.
func Write(path string, data []byte) error {
	path, err := Resolve(path)
	if err != nil {
		return err
	}
	return diskfull.Wrap(write(path, data), path)
}

func write(path string, data []byte) error {
	perm := fs.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		perm = info.Mode().Perm()
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	// Sync the directory so the rename itself survives a crash; some file
	// systems cannot sync directories, and the file is complete either way.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Resolve returns the file path names once every symbolic link on the way
// (in its directories and the file itself) is followed, as an absolute
// path. The file itself need not exist, nor need a link's target (a
// dangling link names the file it would create).
func Resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	for range maxLinks {
		dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
		if err != nil {
			return "", err
		}
		abs = filepath.Join(dir, filepath.Base(abs))
		info, err := os.Lstat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			return abs, nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return abs, nil
		}
		target, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		abs = filepath.Clean(target)
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}
