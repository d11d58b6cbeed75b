package run

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgsql"
	"github.com/plangate/plangate/internal/seed"
)

// The dsn backend's seeded-state cache lives on the user's server: a
// template database named by the seeded state's key, which each run clones
// (CREATE DATABASE ... TEMPLATE) and drops when done. It takes no
// connections, so that cloning it never fails on a session left open; its
// comment says whose it is and when it was used, for pruning.

// templatePrefix starts every template's name; the rest is the key.
const templatePrefix = "plangate_template_"

// templatesKept is how many templates of one project stay on the server:
// the newest, by last use.
const templatesKept = 3

// templateComment marks a template as plangate's: its key, the project it
// belongs to and when a run last used it.
func templateComment(hash, scope string, used time.Time) string {
	return fmt.Sprintf("plangate seeded state key=%s used=%s scope=%s", hash, used.UTC().Format(time.RFC3339), scope)
}

// provisionTemplate clones the seeded state's template database on the
// server cfg.DSN names, seeding the template first when it is not there.
func provisionTemplate(ctx context.Context, cfg config.Config, spec *seed.Spec, env Env) (*Seeded, error) {
	env.progress().Stage("starting Postgres (dsn backend)")
	srv, err := startServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, cfg, srv); err != nil {
		return nil, failure(err, srv.Close(context.WithoutCancel(ctx)))
	}
	sd, err := cloneTemplate(ctx, cfg, spec, srv, env)
	if err != nil {
		return nil, failure(err, srv.Close(context.WithoutCancel(ctx)))
	}
	return sd, nil
}

func cloneTemplate(ctx context.Context, cfg config.Config, spec *seed.Spec, srv pgserver.Server, env Env) (*Seeded, error) {
	num, err := pgserver.ServerVersionNum(ctx, srv.ConnString(""))
	if err != nil {
		return nil, err
	}
	key := seededStateKey(cfg, spec)
	key.PostgresVersion = "dsn " + strconv.Itoa(num)
	hash, err := key.Hash()
	if err != nil {
		return nil, err
	}
	scope := projectScope(cfg)
	template := templatePrefix + hash[:24]
	exists, err := databaseExists(ctx, srv, template)
	if err != nil {
		return nil, err
	}
	how := "reused"
	if !exists {
		how = "built"
		env.progress().Stage("seeding template database %s", template)
		if err := buildTemplate(ctx, cfg, spec, srv, template, env); err != nil {
			return nil, err
		}
	}
	db := pgserver.ScratchName("plangate")
	env.progress().Stage("cloning template database %s", template)
	if err := pgserver.CreateDatabase(ctx, srv, db, template); err != nil {
		return nil, fmt.Errorf("clone the seeded template %s: %w", template, err)
	}
	sd := &Seeded{Server: srv, DB: db, CacheKey: hash, CachePath: "database " + template + " on " + srv.Describe(),
		Close: func(ctx context.Context) error {
			return errors.Join(pgserver.DropDatabase(ctx, srv, db), srv.Close(ctx))
		}}
	err = pgserver.Admin(ctx, srv, func(conn *pgx.Conn) error {
		if err := copyDatabaseSettings(ctx, conn, template, db); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{template}.Sanitize()+" IS "+
			pgsql.Literal(templateComment(hash, scope, time.Now()))); err != nil {
			return err
		}
		pruned, err := pruneTemplates(ctx, conn, scope, templatesKept)
		for _, name := range pruned {
			env.progress().Note("dropped template database %s (older than this project's newest %d)", name, templatesKept)
		}
		return err
	})
	if err != nil {
		return nil, failure(err, pgserver.DropDatabase(context.WithoutCancel(ctx), srv, db))
	}
	env.progress().Stage("seeded template %s %s, cloned as %s", template, how, db)
	return sd, nil
}

// buildTemplate seeds a database under a scratch name (which a killed run
// leaves for the next one to sweep) and renames it to template once whole.
// A run that finds the template made meanwhile by another keeps that one.
func buildTemplate(ctx context.Context, cfg config.Config, spec *seed.Spec, srv pgserver.Server, template string, env Env) error {
	building := pgserver.ScratchName("plangate_building")
	if err := pgserver.CreateDatabase(ctx, srv, building, ""); err != nil {
		return fmt.Errorf("template database: %w", err)
	}
	if err := seedDatabase(ctx, cfg, spec, srv.ConnString(building), env); err != nil {
		return failure(err, pgserver.DropDatabase(context.WithoutCancel(ctx), srv, building))
	}
	err := pgserver.Admin(ctx, srv, func(conn *pgx.Conn) error {
		name := pgx.Identifier{building}.Sanitize()
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false"); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "ALTER DATABASE "+name+" RENAME TO "+pgx.Identifier{template}.Sanitize())
		return err
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: another run made it first
		return pgserver.DropDatabase(ctx, srv, building)
	}
	if err != nil {
		return failure(fmt.Errorf("template database: %w", err), pgserver.DropDatabase(context.WithoutCancel(ctx), srv, building))
	}
	return nil
}

// copyDatabaseSettings gives database to the settings (ALTER DATABASE ...
// SET) of database from, which cloning does not copy: the planner settings
// restored with production statistics are among them.
func copyDatabaseSettings(ctx context.Context, conn *pgx.Conn, from, to string) error {
	var settings []string
	err := conn.QueryRow(ctx, `SELECT coalesce(s.setconfig, '{}') FROM pg_database d
		LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = $1`, from).Scan(&settings)
	if err != nil {
		return err
	}
	for _, kv := range settings {
		name, value, _ := strings.Cut(kv, "=")
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s SET %s = %s",
			pgx.Identifier{to}.Sanitize(), pgx.Identifier{name}.Sanitize(), pgsql.Literal(value))); err != nil {
			return fmt.Errorf("setting %s of %s: %w", name, from, err)
		}
	}
	return nil
}

// pruneTemplates drops the templates of scope but its keep most recently
// used, and returns their names.
func pruneTemplates(ctx context.Context, conn *pgx.Conn, scope string, keep int) ([]string, error) {
	dbs, err := pgsql.CollectNamed(ctx, conn, `
		SELECT d.datname, coalesce(shobj_description(d.oid, 'pg_database'), '') FROM pg_database d
		WHERE starts_with(d.datname, '`+templatePrefix+`')`)
	if err != nil {
		return nil, err
	}
	var used []templateUse
	for _, d := range dbs {
		if u, ok := parseTemplateComment(d.Name, d.Comment); ok && u.scope == scope {
			used = append(used, u)
		}
	}
	slices.SortFunc(used, func(a, b templateUse) int { return b.used.Compare(a.used) })
	var dropped []string
	for _, u := range used[min(keep, len(used)):] {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{u.name}.Sanitize()); err != nil {
			return dropped, fmt.Errorf("drop template database %s: %w", u.name, err)
		}
		dropped = append(dropped, u.name)
	}
	return dropped, nil
}

// templateUse is what a template's comment says.
type templateUse struct {
	name, scope string
	used        time.Time
}

// parseTemplateComment reads templateComment's text; ok is false for a
// database whose comment is not plangate's.
func parseTemplateComment(name, comment string) (templateUse, bool) {
	rest, ok := strings.CutPrefix(comment, "plangate seeded state ")
	if !ok {
		return templateUse{}, false
	}
	head, scope, ok := strings.Cut(rest, " scope=")
	if !ok {
		return templateUse{}, false
	}
	u := templateUse{name: name, scope: scope}
	for _, kv := range strings.Fields(head) {
		if v, ok := strings.CutPrefix(kv, "used="); ok {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return templateUse{}, false
			}
			u.used = t
		}
	}
	return u, !u.used.IsZero()
}

// databaseExists reports whether srv has database name.
func databaseExists(ctx context.Context, srv pgserver.Server, name string) (bool, error) {
	var exists bool
	err := pgserver.Admin(ctx, srv, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	})
	return exists, err
}
