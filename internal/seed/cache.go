package seed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plangate/plangate/internal/diskfull"
	"github.com/plangate/plangate/internal/leftover"
	"github.com/plangate/plangate/internal/pgserver"
)

// Cache keeps seeded clusters' data directories, so that a rerun with the
// same schema, spec, scale, seed and PostgreSQL version starts a server on
// a copy in seconds instead of seeding again. Entries are never modified:
// DataDir hands out copies.
//
// Layout: <dir>/<key>/data is a cleanly stopped cluster's data directory
// and <dir>/<key>/manifest lists its files and sizes; the entry is complete
// once it is there (it is built in <dir>/.build-<key>-*, synced, and renamed
// into place); <dir>/<key>.lock serializes the runs that use one key.
type Cache struct {
	dir     string
	copyDir string
	log     io.Writer
	warn    io.Writer
}

// CacheOption configures NewCache.
type CacheOption func(*Cache)

// WithCopyDir makes DataDir put its copies under dir instead of the
// system's temporary directory. Copies are as big as the entry: put them on
// the cache's file system where copies are cheap (reflinks).
func WithCopyDir(dir string) CacheOption { return func(c *Cache) { c.copyDir = dir } }

// WithCacheLog makes DataDir say on w whether the key was a hit, the key
// and the entry's path (for CI caches such as actions/cache to keep).
func WithCacheLog(w io.Writer) CacheOption { return func(c *Cache) { c.log = w } }

// WithCacheWarnings makes DataDir say on w, one line each, what the user
// should know: an entry found corrupt and rebuilt.
func WithCacheWarnings(w io.Writer) CacheOption { return func(c *Cache) { c.warn = w } }

// DefaultCacheDir is where seeded states are kept unless told otherwise:
// $XDG_CACHE_HOME/plangate, else ~/.cache/plangate.
func DefaultCacheDir() (string, error) {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "plangate"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", errors.New("seed: cache: no home directory to keep the cache in: set XDG_CACHE_HOME or give a cache directory")
	}
	return filepath.Join(home, ".cache", "plangate"), nil
}

// NewCache opens (creating it if needed) the cache in dir, or in
// DefaultCacheDir when dir is empty.
func NewCache(dir string, opts ...CacheOption) (*Cache, error) {
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("seed: cache: %w", err)
	}
	// Readable by all: the server's unprivileged user reads copies' sources.
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("seed: cache: %w", err)
	}
	c := &Cache{dir: abs}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Dir returns the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// EntryPath returns where the data directory for key is kept.
func (c *Cache) EntryPath(key string) string { return filepath.Join(c.dir, key, "data") }

// EntryDir returns the directory of key's entry: its data directory and the
// manifest it is checked against. Copied whole into another cache's
// directory, as a CI cache restores it, it is a hit there.
func (c *Cache) EntryDir(key string) string { return filepath.Join(c.dir, key) }

var keyRE = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// DataDir returns a fresh copy of the data directory kept for key, building
// it first with build if the cache lacks it. build gets an empty directory,
// owned by the current user, and must leave a cleanly stopped cluster in it
// (initdb, start, seed, fast shutdown): an entry is kept only once its
// cluster state says "shut down" and its files are synced. An entry that
// does not match its manifest, or whose cluster was not shut down cleanly,
// is corrupt: it is rebuilt, and DataDir says so (WithCacheWarnings). The
// copy belongs to the caller, who starts a server on it and removes it
// (leftover.Remove, which a killed run's next run can finish) when done.
//
// What runs that were killed left (build directories, copies, lock files
// of keys without an entry) is removed on the way.
func (c *Cache) DataDir(ctx context.Context, key string, build func(dataDir string) error) (dir string, hit bool, err error) {
	if !keyRE.MatchString(key) {
		return "", false, fmt.Errorf("seed: cache: key %q: want 8 to 64 lowercase hex digits (CacheKey.Hash)", key)
	}
	c.Sweep()
	unlock, err := c.lock(ctx, key)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	c.sweepBuilds(key)

	entry := c.EntryPath(key)
	_, statErr := os.Stat(filepath.Join(entry, "PG_VERSION"))
	hit = statErr == nil
	if hit {
		if bad := c.verify(key); bad != nil {
			c.warnf("seed: cache: the entry for key %s is corrupt (%v): removed, seeding it again", key, bad)
			if err := c.remove(key); err != nil {
				return "", false, err
			}
			hit = false
		}
	}
	if hit {
		c.logf("seed: cache hit: key %s at %s", key, entry)
	} else {
		c.logf("seed: cache miss: key %s: seeding, to keep at %s", key, entry)
		start := time.Now()
		if err := c.build(key, build); err != nil {
			return "", false, err
		}
		c.logf("seed: cache: key %s built in %s", key, humanDuration(time.Since(start)))
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(c.dir, key), now, now) // last use, for Prune

	start := time.Now()
	dir, err = os.MkdirTemp(c.copyBase(), "plangate-data-")
	if err != nil {
		return "", false, fmt.Errorf("seed: cache: %w", diskfull.Wrap(err, c.copyBase()))
	}
	// A copy outlives a run that is killed, even half made: the marker,
	// first in, lets the next run tell it from a copy a run still uses.
	// (The server ignores the file.)
	if err := leftover.Mark(dir); err != nil {
		os.RemoveAll(dir)
		return "", false, fmt.Errorf("seed: cache: %w", diskfull.Wrap(err, dir))
	}
	if err := copyTree(ctx, entry, dir); err != nil {
		leftover.Remove(dir)
		return "", false, fmt.Errorf("seed: cache: copy %s: %w", entry, diskfull.Wrap(err, dir))
	}
	c.logf("seed: cache: copied key %s to %s in %s", key, dir, humanDuration(time.Since(start)))
	return dir, hit, nil
}

func (c *Cache) build(key string, build func(string) error) error {
	tmp, err := os.MkdirTemp(c.dir, ".build-"+key+"-")
	if err != nil {
		return fmt.Errorf("seed: cache: %w", diskfull.Wrap(err, c.dir))
	}
	published := false
	defer func() {
		if !published {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("seed: cache: %w", err)
	}
	data := filepath.Join(tmp, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return fmt.Errorf("seed: cache: %w", diskfull.Wrap(err, tmp))
	}
	if err := build(data); err != nil {
		return fmt.Errorf("seed: cache: build key %s: %w", key, err)
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		return fmt.Errorf("seed: cache: build key %s left no cluster in %s (no PG_VERSION)", key, data)
	}
	if pid, err := os.ReadFile(filepath.Join(data, "postmaster.pid")); err == nil {
		return fmt.Errorf("seed: cache: build key %s left its server running (postmaster.pid: pid %s): stop it before returning", key, firstLine(pid))
	}
	// A cluster whose shutdown checkpoint failed (a full disk) starts
	// only through crash recovery, and not always: never keep one.
	if state, err := pgserver.ControlFileState(data); err != nil || state != pgserver.StateShutDown {
		return fmt.Errorf("seed: cache: build key %s left a cluster that was not shut down cleanly (%s): not kept", key, stateOrErr(state, err))
	}
	// The build ran with fsync off: get every file to disk before the
	// entry becomes visible, so that a crash cannot leave a torn entry.
	manifest, err := syncTree(data)
	if err != nil {
		return fmt.Errorf("seed: cache: build key %s: sync: %w", key, diskfull.Wrap(err, tmp))
	}
	if err := writeSynced(filepath.Join(tmp, manifestName), manifest); err != nil {
		return fmt.Errorf("seed: cache: build key %s: %w", key, diskfull.Wrap(err, tmp))
	}
	if err := syncDir(tmp); err != nil {
		return fmt.Errorf("seed: cache: build key %s: sync: %w", key, diskfull.Wrap(err, tmp))
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, key)); err != nil {
		return fmt.Errorf("seed: cache: %w", err)
	}
	published = true
	if err := syncDir(c.dir); err != nil {
		return fmt.Errorf("seed: cache: sync %s: %w", c.dir, diskfull.Wrap(err, c.dir))
	}
	return nil
}

func stateOrErr(state string, err error) string {
	if err != nil {
		return err.Error()
	}
	return "database cluster state: " + state
}

func firstLine(b []byte) string {
	for i, ch := range b {
		if ch == '\n' {
			return string(b[:i])
		}
	}
	return string(b)
}

// lock takes the key's lock file, waiting for another run using the key.
func (c *Cache) lock(ctx context.Context, key string) (func(), error) {
	waited := false
	for {
		unlock, ok, err := c.tryLock(key)
		if err != nil {
			return nil, err
		}
		if ok {
			return unlock, nil
		}
		if !waited {
			c.logf("seed: cache: key %s is in use by another run; waiting", key)
			waited = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tryLock takes the key's lock file if no other run holds it. A lock file
// that was removed (by Sweep) while this run waited for it is no lock: the
// lock is taken again on the file now at that path.
func (c *Cache) tryLock(key string) (unlock func(), ok bool, err error) {
	path := c.lockPath(key)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, false, fmt.Errorf("seed: cache: %w", diskfull.Wrap(err, c.dir))
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, false, nil
		}
		if err != nil {
			f.Close()
			return nil, false, fmt.Errorf("seed: cache: lock %s: %w", key, err)
		}
		held, herr := f.Stat()
		now, nerr := os.Stat(path)
		if herr == nil && nerr == nil && os.SameFile(held, now) {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, true, nil
		}
		f.Close()
	}
}

func (c *Cache) lockPath(key string) string { return filepath.Join(c.dir, key+".lock") }

// copyBase is where DataDir makes copies.
func (c *Cache) copyBase() string {
	if c.copyDir != "" {
		return c.copyDir
	}
	return os.TempDir()
}

// Sweep removes what runs that were killed left: build directories and
// lock files of keys no run holds (a lock file only where its key has no
// entry), and data copies whose run is gone. It never waits for a lock.
func (c *Cache) Sweep() {
	leftover.Sweep(c.copyBase(), "plangate-data-*", 0)
	builds, _ := filepath.Glob(filepath.Join(c.dir, ".build-*"))
	locks, _ := filepath.Glob(filepath.Join(c.dir, "*.lock"))
	keys := map[string]bool{}
	for _, b := range builds {
		if k, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(b), ".build-"), "-"); ok && keyRE.MatchString(k) {
			keys[k] = true
		}
	}
	for _, l := range locks {
		if k := strings.TrimSuffix(filepath.Base(l), ".lock"); keyRE.MatchString(k) {
			keys[k] = true
		}
	}
	for k := range keys {
		unlock, ok, err := c.tryLock(k)
		if err != nil || !ok {
			continue
		}
		c.sweepBuilds(k)
		if _, err := os.Stat(filepath.Join(c.dir, k)); errors.Is(err, fs.ErrNotExist) {
			// Removed while held: a run that opened the file meanwhile
			// sees it is gone and takes a new one (tryLock).
			os.Remove(c.lockPath(k))
		}
		unlock()
	}
}

// sweepBuilds removes key's build directories; the caller holds the key's
// lock, so no run is building into them.
func (c *Cache) sweepBuilds(key string) {
	builds, _ := filepath.Glob(filepath.Join(c.dir, ".build-"+key+"-*"))
	for _, b := range builds {
		os.RemoveAll(b)
	}
}

// remove removes key's entry; the caller holds the key's lock. The entry
// is first renamed aside, so that no half-removed entry is ever at its
// path.
func (c *Cache) remove(key string) error {
	aside := filepath.Join(c.dir, ".build-"+key+"-corrupt")
	os.RemoveAll(aside)
	if err := os.Rename(filepath.Join(c.dir, key), aside); err != nil {
		return fmt.Errorf("seed: cache: %w", err)
	}
	return os.RemoveAll(aside)
}

// Discard removes the entry for key, so that the next DataDir builds it
// again: for an entry found corrupt only once a server ran on a copy of it.
func (c *Cache) Discard(ctx context.Context, key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("seed: cache: key %q: want 8 to 64 lowercase hex digits (CacheKey.Hash)", key)
	}
	unlock, err := c.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(c.dir, key)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return c.remove(key)
}

func (c *Cache) warnf(format string, args ...any) {
	if c.warn != nil {
		fmt.Fprintf(c.warn, format+"\n", args...)
	}
}

func (c *Cache) logf(format string, args ...any) {
	if c.log != nil {
		fmt.Fprintf(c.log, format+"\n", args...)
	}
}

// Prune removes all but the keep most recently used entries and returns the
// keys it removed.
func (c *Cache) Prune(ctx context.Context, keep int) ([]string, error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("seed: cache: %w", err)
	}
	type used struct {
		key string
		at  time.Time
	}
	var keys []used
	for _, e := range entries {
		if !e.IsDir() || !keyRE.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		keys = append(keys, used{e.Name(), info.ModTime()})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].at.After(keys[j].at) })
	var removed []string
	for i := keep; i < len(keys); i++ {
		unlock, err := c.lock(ctx, keys[i].key)
		if err != nil {
			return removed, err
		}
		err = c.remove(keys[i].key)
		if err == nil {
			os.Remove(c.lockPath(keys[i].key))
		}
		unlock()
		if err != nil {
			return removed, err
		}
		removed = append(removed, keys[i].key)
	}
	return removed, nil
}

// copyTree copies the directory src to the existing directory dst: modes,
// and owners when running as root (the server insists on owning its data
// directory); symbolic links are recreated, not followed.
func copyTree(ctx context.Context, src, dst string) error {
	root := os.Geteuid() == 0
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
					return err
				}
			}
			if err := os.Chmod(target, info.Mode().Perm()); err != nil {
				return err
			}
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(path, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil // sockets and the like have no place in a stopped cluster
		}
		if root {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	// *os.File to *os.File: copy_file_range, which shares blocks
	// (reflinks) on file systems that can.
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// CacheKey is everything a seeded state depends on. Its Hash is the cache
// key: equal inputs give equal keys on every machine (file contents count,
// not their paths).
type CacheKey struct {
	// SchemaFiles and SeedFiles are the files (or directories of *.sql
	// files) applied before generating, in order.
	SchemaFiles []string
	SeedFiles   []string
	// Spec is the data spec, nil when there is none.
	Spec *Spec
	// Scale is Generate's WithScale value (0 counts as 1).
	Scale float64
	// Seed is the seed Generate runs with: WithSeed's value, else the
	// spec's own.
	Seed int64
	// PostgresVersion is the server's version, e.g. "15.18": a data
	// directory only starts under the version that wrote it.
	PostgresVersion string
	// Extra is anything else that changes the seeded state (initdb
	// options, server settings at seeding time, ...).
	Extra []string
}

// Hash returns the key: 32 hex digits.
func (k CacheKey) Hash() (string, error) {
	if k.PostgresVersion == "" {
		return "", errors.New("seed: cache key: the PostgreSQL version is required")
	}
	h := sha256.New()
	field := func(name, value string) {
		fmt.Fprintf(h, "%s %d:%s\n", name, len(value), value)
	}
	// Format 2: entries have a manifest and a cleanly shut down cluster.
	field("format", "plangate-seeded-state 2")
	field("generator", generatorVersion)
	field("arch", runtime.GOARCH) // data directories are not portable across architectures
	field("postgres", k.PostgresVersion)
	for _, group := range []struct {
		name  string
		paths []string
	}{{"schema", k.SchemaFiles}, {"seed", k.SeedFiles}} {
		files, err := ExpandPaths(group.paths)
		if err != nil {
			return "", fmt.Errorf("seed: cache key: %s: %w", group.name, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("seed: cache key: %w", err)
			}
			sum := sha256.Sum256(data)
			field(group.name, hex.EncodeToString(sum[:]))
		}
	}
	if k.Spec != nil {
		sum := sha256.Sum256(k.Spec.raw)
		field("spec", hex.EncodeToString(sum[:]))
		scale := k.Scale
		if scale == 0 {
			scale = 1
		}
		field("scale", strconv.FormatFloat(scale, 'g', -1, 64))
		field("seed", strconv.FormatInt(k.Seed, 10))
	}
	for _, e := range k.Extra {
		field("extra", e)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}
