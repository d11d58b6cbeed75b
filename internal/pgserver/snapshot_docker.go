package pgserver

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// SnapshotRepository is the image repository seeded snapshots are tagged
// in: localhost/plangate-snapshot:<key>. The localhost domain marks them as
// images of this engine alone, which no registry prefix is applied to and
// nothing tries to pull.
const SnapshotRepository = "localhost/plangate-snapshot"

// DefaultSnapshotKeep is how many snapshots of a scope SaveSnapshot keeps:
// the newest ones, the one it just saved included.
const DefaultSnapshotKeep = 3

// snapshotPGDATA is where a container that may be snapshotted keeps its
// data directory. docker commit leaves out volumes, and postgres images
// declare one for their data (/var/lib/postgresql/data up to PostgreSQL 17,
// /var/lib/postgresql from 18), so the data must live elsewhere.
const snapshotPGDATA = "/var/lib/plangate/pgdata"

// snapshotFormat changes whenever what a snapshot holds or how it is
// started changes, so that older snapshots are not mistaken for current ones.
const snapshotFormat = "plangate-docker-snapshot 1"

// Labels on snapshot images.
const (
	snapshotLabel            = "org.plangate.snapshot" // the key
	snapshotScopeLabel       = "org.plangate.snapshot.scope"
	snapshotFingerprintLabel = "org.plangate.snapshot.fingerprint"
	snapshotCreatedLabel     = "org.plangate.snapshot.created"
	snapshotDatabaseLabel    = "org.plangate.snapshot.database"
	snapshotBaseLabel        = "org.plangate.snapshot.base"
	// The superuser's password is the one the snapshotted server was
	// initialized with: a server started from the snapshot keeps it. The
	// label tells nothing to whoever could read it, who commands the engine
	// and so every container on it.
	snapshotPasswordLabel = "org.plangate.snapshot.password"
)

// Snapshotter is a server that can save its seeded state and start from a
// saved one: StartDocker's server does when given WithSnapshot.
type Snapshotter interface {
	// FromSnapshot reports whether the server started from a saved
	// snapshot, whose databases are seeded already.
	FromSnapshot() bool
	// SaveSnapshot saves the server's current state, database seeded, for
	// later starts with the same key, and removes the scope's older
	// snapshots beyond DefaultSnapshotKeep. The server keeps running.
	SaveSnapshot(ctx context.Context, database string) error
}

// SnapshotKey returns a snapshot key (32 hex digits) for the given parts:
// everything the seeded state depends on, such as the contents of the
// schema and seed files, the image and the server settings. Each part counts
// with its length, so parts never run into each other.
func SnapshotKey(parts ...[]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// WithSnapshot makes StartDocker start from the snapshot saved under key
// when there is one made from the same image with the same settings, and
// lets SaveSnapshot save one under key otherwise. The key must change
// whenever the seeded state would (SnapshotKey). The image is checked by its
// ID, so a rebuilt image is never started from an older image's snapshot.
func WithSnapshot(key string) DockerOption {
	return func(c *dockerConfig) { c.snapshotKey = key }
}

// WithSnapshotScope groups snapshots for pruning: SaveSnapshot keeps the
// newest DefaultSnapshotKeep of its scope, so that a project whose schema
// changes from commit to commit keeps a few snapshots, not one per commit.
// A project's configuration file is a natural scope.
func WithSnapshotScope(scope string) DockerOption {
	return func(c *dockerConfig) { c.snapshotScope = scope }
}

// snapshotKeyRE is what a Docker tag allows, lowercase.
var snapshotKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)

// dockerSnapshot is what a docker server knows of its snapshot.
type dockerSnapshot struct {
	key, scope  string
	ref         string // the snapshot image's reference
	fingerprint string // the base image ID, settings and layout it was made with
	restored    bool   // the server started from the snapshot
}

// snapshotRef returns the image reference a snapshot of key is tagged with.
func snapshotRef(key string) string { return SnapshotRepository + ":" + key }

// findSnapshot prepares the snapshot state of a start with key: whether a
// usable snapshot exists, and with which password its server runs.
func findSnapshot(ctx context.Context, cli *client.Client, cfg dockerConfig, args []string) (*dockerSnapshot, string, error) {
	if !snapshotKeyRE.MatchString(cfg.snapshotKey) {
		return nil, "", fmt.Errorf("docker: snapshot key %q: want lowercase letters, digits, '.', '_' or '-', at most 128 (SnapshotKey makes one)", cfg.snapshotKey)
	}
	base, err := cli.ImageInspect(ctx, cfg.image)
	if err != nil {
		return nil, "", fmt.Errorf("docker: inspect %s: %w", cfg.image, err)
	}
	if base.Config != nil {
		for v := range base.Config.Volumes {
			if v = path.Clean(v); snapshotPGDATA == v || strings.HasPrefix(snapshotPGDATA, v+"/") {
				return nil, "", fmt.Errorf("docker: image %s declares a volume at %s, which would keep the data out of snapshots", cfg.image, v)
			}
		}
	}
	h := sha256.New()
	for _, s := range append([]string{snapshotFormat, base.ID, snapshotPGDATA}, args...) {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	snap := &dockerSnapshot{key: cfg.snapshotKey, scope: cfg.snapshotScope, ref: snapshotRef(cfg.snapshotKey),
		fingerprint: hex.EncodeToString(h.Sum(nil))}
	img, err := cli.ImageInspect(ctx, snap.ref)
	switch {
	case cerrdefs.IsNotFound(err):
		return snap, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("docker: inspect %s: %w", snap.ref, err)
	}
	var labels map[string]string
	if img.Config != nil {
		labels = img.Config.Labels
	}
	if labels[snapshotFingerprintLabel] != snap.fingerprint || labels[snapshotPasswordLabel] == "" {
		// Made from another build of the image or with other settings:
		// seed afresh; SaveSnapshot replaces it.
		return snap, "", nil
	}
	snap.restored = true
	return snap, labels[snapshotPasswordLabel], nil
}

// FromSnapshot reports whether the server started from a saved snapshot.
func (d *docker) FromSnapshot() bool { return d.snapshot != nil && d.snapshot.restored }

// SaveSnapshot checkpoints the server and commits its container as the
// snapshot image of the key given to StartDocker, tagged with
// SnapshotRepository:key. It is for a server just seeded, before anything
// else runs on it: the container is paused while its files are copied, and
// a server started from the snapshot recovers from that checkpoint, as after
// a crash, in well under a second. It does nothing on a server that started
// from the snapshot.
func (d *docker) SaveSnapshot(ctx context.Context, database string) error {
	if d.snapshot == nil {
		return errors.New("docker: save snapshot: the server was started without a snapshot key (WithSnapshot)")
	}
	if d.snapshot.restored {
		return nil
	}
	if err := d.checkpoint(ctx, database); err != nil {
		return fmt.Errorf("docker: save snapshot: %w", err)
	}
	cli, err := dockerClient()
	if err != nil {
		return err
	}
	defer cli.Close()
	id := d.ctr.GetContainerID()
	inspect, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("docker: save snapshot: %w", err)
	}
	labels := map[string]string{
		snapshotLabel:            d.snapshot.key,
		snapshotScopeLabel:       d.snapshot.scope,
		snapshotFingerprintLabel: d.snapshot.fingerprint,
		snapshotCreatedLabel:     time.Now().UTC().Format(time.RFC3339Nano),
		snapshotDatabaseLabel:    database,
		snapshotBaseLabel:        d.image,
		snapshotPasswordLabel:    d.password,
	}
	// The image would inherit the container's labels: blank those naming
	// this run, testcontainers' session among them, whose reaper removes
	// what carries it when the session ends.
	if inspect.Container.Config != nil {
		for k := range inspect.Container.Config.Labels {
			if _, ours := labels[k]; !ours && (k == dockerInstanceLabel || strings.HasPrefix(k, "org.testcontainers")) {
				labels[k] = ""
			}
		}
	}
	if _, err := cli.ContainerCommit(ctx, id, client.ContainerCommitOptions{
		Reference: d.snapshot.ref,
		Comment:   "plangate: seeded database " + database,
		Config:    &container.Config{Labels: labels},
	}); err != nil {
		return fmt.Errorf("docker: save snapshot %s: %w", d.snapshot.ref, err)
	}
	if _, err := pruneSnapshots(ctx, cli, DefaultSnapshotKeep, []string{d.snapshot.scope}); err != nil {
		return fmt.Errorf("docker: save snapshot: %w", err)
	}
	return nil
}

// checkpoint makes sure database exists and writes every dirty page out, so
// that a server started from a copy of the files has little WAL to replay.
func (d *docker) checkpoint(ctx context.Context, database string) error {
	conn, err := pgx.Connect(ctx, d.ConnString(database))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CHECKPOINT")
	return err
}

// PruneSnapshots removes the seeded snapshots of scope (WithSnapshotScope)
// but the keep newest, and those of the scope no longer tagged (replaced by
// a newer one of their key). Snapshots a container still uses are kept. It
// returns the references (or IDs, for untagged ones) of those removed.
func PruneSnapshots(ctx context.Context, scope string, keep int) ([]string, error) {
	cli, err := dockerClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	return pruneSnapshots(ctx, cli, keep, []string{scope})
}

// PruneAllSnapshots is PruneSnapshots for every scope on the engine.
func PruneAllSnapshots(ctx context.Context, keep int) ([]string, error) {
	cli, err := dockerClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	return pruneSnapshots(ctx, cli, keep, nil)
}

// pruneSnapshots prunes the snapshots of scopes, or of every scope when
// scopes is nil.
func pruneSnapshots(ctx context.Context, cli *client.Client, keep int, scopes []string) ([]string, error) {
	list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("label", snapshotLabel)})
	if err != nil {
		return nil, fmt.Errorf("prune snapshots: %w", err)
	}
	type snapshot struct {
		id, ref, created string
	}
	byScope := map[string][]snapshot{}
	for _, img := range list.Items {
		scope := img.Labels[snapshotScopeLabel]
		if scopes != nil && !slices.Contains(scopes, scope) {
			continue
		}
		s := snapshot{id: img.ID, created: img.Labels[snapshotCreatedLabel]}
		for _, t := range img.RepoTags {
			if t != "<none>:<none>" {
				s.ref = t
			}
		}
		byScope[scope] = append(byScope[scope], s)
	}
	var removed []string
	var errs []error
	for _, snaps := range byScope {
		sort.Slice(snaps, func(i, j int) bool { return snaps[i].created > snaps[j].created })
		kept := 0
		for _, s := range snaps {
			if s.ref != "" && kept < keep {
				kept++
				continue
			}
			target := s.ref
			if target == "" {
				target = s.id
			}
			_, err := cli.ImageRemove(ctx, target, client.ImageRemoveOptions{PruneChildren: true})
			switch {
			case err == nil:
				removed = append(removed, target)
			case cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err):
				// In use by a container, or removed meanwhile.
			default:
				errs = append(errs, fmt.Errorf("remove %s: %w", target, err))
			}
		}
	}
	sort.Strings(removed)
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("prune snapshots: %w", err)
	}
	return removed, nil
}
