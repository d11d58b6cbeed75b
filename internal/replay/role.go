package replay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plangate/plangate/internal/leftover"
	"github.com/plangate/plangate/internal/pgsql"
)

// rolePrefix starts the name of every role plangate creates for a run's
// replays; its comment is the run's leftover.Marker.
const rolePrefix = "plangate_replay_"

// staleRoleAge is how old a role of another run must be, with no session
// open, before it counts as left behind by a run that was killed: a live
// run holds a session under its role from its first second on.
const staleRoleAge = 10 * time.Minute

// guardedExtensions are extensions whose functions reach other servers or
// the server's files: the run's role may not execute them, whatever the
// schema granted.
var guardedExtensions = []string{"dblink", "postgres_fdw", "file_fdw", "adminpack"}

// createRole makes the unprivileged role the replays run as, with the
// limits set on the role itself (temp_file_limit can then only be changed
// by a superuser), and gives it the rights on the seeded database its owner
// has on tables, sequences and functions. It points cfg at the role. When
// the connecting role may not create roles it warns and leaves cfg alone.
func (r *Replayer) createRole(ctx context.Context, cfg *pgx.ConnConfig) error {
	var super, createRole bool
	var current string
	err := r.admin.QueryRow(ctx, "SELECT rolsuper, rolcreaterole, current_user FROM pg_roles WHERE rolname = current_user").Scan(&super, &createRole, &current)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if !super && !createRole {
		r.warnf("replay: replays run as role %s itself: it may not create roles (CREATEROLE), so they cannot run as an unprivileged role of their own; server-wide functions are refused only as far as %s's privileges refuse them", current, current)
		return nil
	}
	r.sweepRoles(ctx)

	name, password := rolePrefix+randomHex(6), randomHex(24)
	attrs := "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT"
	if super {
		// As the superuser it replaces, the role is not subject to
		// row-level security: plans stay what they were.
		attrs += " BYPASSRLS"
	}
	ident := pgx.Identifier{name}.Sanitize()
	// The role and its marker come together (one transaction), so that no
	// run killed in between leaves a role no later run would sweep.
	stmts := []string{
		"BEGIN",
		"CREATE ROLE " + ident + " " + attrs + " PASSWORD " + pgsql.Literal(password),
		"COMMENT ON ROLE " + ident + " IS " + pgsql.Literal(leftover.Marker()),
		"COMMIT",
	}
	if err := r.execAll(ctx, stmts); err != nil {
		_, _ = r.admin.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("replay: create the run's role: %w", err)
	}
	r.role = name
	if err := r.limitRole(ctx, ident, super); err != nil {
		return err
	}
	if err := r.grant(ctx, ident); err != nil {
		return err
	}
	cfg.User, cfg.Password = name, password
	return nil
}

// limitRole sets the limits a replayed statement must not lift as the
// role's own settings. set_config() inside a replayed statement changes
// them only until the statement's transaction is rolled back, and
// temp_file_limit not at all: changing it takes a superuser.
func (r *Replayer) limitRole(ctx context.Context, ident string, super bool) error {
	timeout := strconv.FormatInt(r.opts.timeout.Milliseconds(), 10)
	var stmts []string
	for _, name := range []string{"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"} {
		stmts = append(stmts, "ALTER ROLE "+ident+" SET "+name+" = "+timeout)
	}
	if err := r.execAll(ctx, stmts); err != nil {
		return fmt.Errorf("replay: limits of the run's role: %w", err)
	}
	if r.opts.tempFileLimit == "" {
		return nil
	}
	if !super {
		r.warnf("replay: temp_file_limit not set: it needs a superuser and this role is not one; replays run without a cap on temporary files")
		return nil
	}
	if _, err := r.admin.Exec(ctx, "ALTER ROLE "+ident+" SET temp_file_limit = "+pgsql.Literal(r.opts.tempFileLimit)); err != nil {
		return fmt.Errorf("replay: setting temp_file_limit = %q: %w", r.opts.tempFileLimit, err)
	}
	r.roleTempLimit = true
	return nil
}

// grant gives the role, on every schema of the seeded database, what its
// owner can do with the data: read and write every table, use every
// sequence, execute every function. Foreign tables and the functions of
// guardedExtensions, which reach beyond this server, stay out of reach.
func (r *Replayer) grant(ctx context.Context, ident string) error {
	rows, err := r.admin.Query(ctx, `
		SELECT quote_ident(nspname) FROM pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("replay: grant the run's role: %w", err)
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("replay: grant the run's role: %w", err)
	}
	var stmts []string
	for _, s := range schemas {
		stmts = append(stmts,
			"GRANT USAGE ON SCHEMA "+s+" TO "+ident,
			"GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA "+s+" TO "+ident,
			"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA "+s+" TO "+ident,
			"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "+s+" TO "+ident)
	}
	rows, err = r.admin.Query(ctx, `
		SELECT 'REVOKE ALL ON TABLE ' || c.oid::regclass::text || ' FROM ' || $1
		FROM pg_class c WHERE c.relkind = 'f'
		UNION ALL
		SELECT 'REVOKE EXECUTE ON FUNCTION ' || p.oid::regprocedure::text || ' FROM PUBLIC, ' || $1
		FROM pg_depend d
		JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
		JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
		WHERE e.extname = ANY($2)`, ident, guardedExtensions)
	if err != nil {
		return fmt.Errorf("replay: grant the run's role: %w", err)
	}
	revokes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("replay: grant the run's role: %w", err)
	}
	if err := r.execAll(ctx, append(stmts, revokes...)); err != nil {
		return fmt.Errorf("replay: grant the run's role: %w", err)
	}
	return nil
}

// dropRole removes the run's role and the rights it was given.
func (r *Replayer) dropRole(ctx context.Context) error {
	if r.role == "" {
		return nil
	}
	ident := pgx.Identifier{r.role}.Sanitize()
	if err := r.execAll(ctx, []string{"DROP OWNED BY " + ident, "DROP ROLE " + ident}); err != nil {
		return fmt.Errorf("replay: drop the run's role %s: %w", r.role, err)
	}
	r.role = ""
	return nil
}

// sweepRoles drops the roles runs that were killed left behind: plangate's
// own (by name and comment), with no session open, and either older than
// staleRoleAge or made by a process of this machine that is gone. A role
// whose database still exists cannot be dropped yet; a later run will.
func (r *Replayer) sweepRoles(ctx context.Context) {
	roles, err := pgsql.CollectNamed(ctx, r.admin, `
		SELECT rolname, coalesce(shobj_description(oid, 'pg_authid'), '') FROM pg_roles r
		WHERE rolname LIKE 'plangate\_replay\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.usename = r.rolname)`)
	if err != nil {
		return
	}
	for _, f := range roles {
		if !leftover.Stale(f.Comment, staleRoleAge, time.Now()) {
			continue
		}
		ident := pgx.Identifier{f.Name}.Sanitize()
		_ = r.execAll(ctx, []string{"DROP OWNED BY " + ident, "DROP ROLE " + ident})
	}
}

// execAll runs stmts on the admin connection, in order, stopping at the
// first error.
func (r *Replayer) execAll(ctx context.Context, stmts []string) error {
	for _, s := range stmts {
		if _, err := r.admin.Exec(ctx, s); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return fmt.Errorf("%s: %w", firstWords(s), err)
			}
			return err
		}
	}
	return nil
}

// firstWords names a statement in an error without the values it holds
// (a password).
func firstWords(sql string) string {
	w := strings.Fields(sql)
	return strings.Join(w[:min(len(w), 3)], " ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
