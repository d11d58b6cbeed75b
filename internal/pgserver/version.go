package pgserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DefaultMajor is the major version a docker backend runs when the
// configuration names none.
const DefaultMajor = 17

// LocalImageRepo is the repository of the images .ci/build-images builds
// from Debian packages, tagged by major version (plangate/postgres:17).
const LocalImageRepo = "plangate/postgres"

// DockerImageFor returns the image a docker backend runs for a major
// version: the one built from Debian packages (LocalImageRepo:MAJOR) when
// the engine has it, else the official image postgres:MAJOR, which has the
// same entrypoint contract and can be pulled from a registry.
func DockerImageFor(ctx context.Context, major int) string {
	local := fmt.Sprintf("%s:%d", LocalImageRepo, major)
	cli, err := dockerClient()
	if err == nil {
		defer cli.Close()
		if _, err := cli.ImageInspect(ctx, local); err == nil {
			return local
		}
	}
	return fmt.Sprintf("postgres:%d", major)
}

// MissingMajorError is returned when the server programs of the PostgreSQL
// major a configuration names are not installed.
type MissingMajorError struct {
	// Major is the version asked for.
	Major int
	// Installed lists the majors that are installed, oldest first.
	Installed []int
}

func (e *MissingMajorError) Error() string {
	have := "none"
	if len(e.Installed) > 0 {
		var s []string
		for _, m := range e.Installed {
			s = append(s, strconv.Itoa(m))
		}
		have = strings.Join(s, ", ")
	}
	return fmt.Sprintf("PostgreSQL %d server binaries not found in /usr/lib/postgresql/%d/bin, PATH or pg_config --bindir (installed: %s): "+
		"install them with `apt-get install postgresql-%d` (from apt.postgresql.org where your Debian or Ubuntu release does not package %d), "+
		"set postgres.bin_dir, or change postgres.version in plangate.yaml",
		e.Major, e.Major, have, e.Major, e.Major)
}

// FindMajor locates the server programs of PostgreSQL major. A non-empty
// dir is used as is and must hold that major; otherwise
// /usr/lib/postgresql/MAJOR/bin (Debian's and Ubuntu's layout), PATH and
// `pg_config --bindir` are searched. A major that is not installed is a
// *MissingMajorError.
func FindMajor(ctx context.Context, dir string, major int) (Binaries, error) {
	if dir != "" {
		b, err := FindBinaries(ctx, dir)
		if err != nil {
			return Binaries{}, err
		}
		if b.Major != major {
			return Binaries{}, fmt.Errorf("postgres.bin_dir %s holds PostgreSQL %s, but postgres.version is %d: point bin_dir at %d's binaries or change the version",
				dir, b.Version, major, major)
		}
		return b, nil
	}
	if b, err := probeBinaries(ctx, fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)); err == nil && b.Major == major {
		return b, nil
	}
	// The newest installation on PATH or pg_config may be the one asked for.
	if b, err := FindBinaries(ctx, ""); err == nil && b.Major == major {
		return b, nil
	}
	return Binaries{}, &MissingMajorError{Major: major, Installed: installedMajors(ctx)}
}

// installedMajors lists the majors under /usr/lib/postgresql.
func installedMajors(ctx context.Context) []int {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var out []int
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err != nil {
			continue
		}
		if b, err := probeBinaries(ctx, d); err == nil && !slices.Contains(out, b.Major) {
			out = append(out, b.Major)
		}
	}
	slices.Sort(out)
	return out
}

// MajorMismatchError is returned when a server runs another PostgreSQL
// major than the configuration names.
type MajorMismatchError struct {
	// Server describes the server, as Server.Describe does.
	Server string
	// Want is the configured major; Got the server's, and Version its full
	// version (e.g. "15.8").
	Want, Got int
	Version   string
}

func (e *MajorMismatchError) Error() string {
	return fmt.Sprintf("%s runs PostgreSQL %s, but postgres.version in plangate.yaml is %d: "+
		"point it at a PostgreSQL %d server, or set postgres.version to %d",
		e.Server, e.Version, e.Want, e.Want, e.Got)
}

// ServerVersionNum returns the server's server_version_num (e.g. 150008
// for 15.8), connecting with connString.
func ServerVersionNum(ctx context.Context, connString string) (int, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var s string
	if err := conn.QueryRow(ctx, "SHOW server_version_num").Scan(&s); err != nil {
		return 0, fmt.Errorf("server_version_num: %w", err)
	}
	num, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("server_version_num %q: %w", s, err)
	}
	return num, nil
}

// CheckMajor checks that srv runs PostgreSQL major; a different one is a
// *MajorMismatchError. A major of 0 accepts any server.
func CheckMajor(ctx context.Context, srv Server, major int) error {
	if major == 0 {
		return nil
	}
	num, err := ServerVersionNum(ctx, srv.ConnString(""))
	if err != nil {
		return fmt.Errorf("%s: %w", srv.Describe(), err)
	}
	if got := num / 10000; got != major {
		return &MajorMismatchError{Server: srv.Describe(), Want: major, Got: got,
			Version: fmt.Sprintf("%d.%d", got, num%10000)}
	}
	return nil
}
