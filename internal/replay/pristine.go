package replay

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// sequenceState is a sequence's position. nextval is not transactional: a
// rolled-back INSERT still advances the sequences it used.
type sequenceState struct {
	name     string
	value    int64
	isCalled bool
}

func (r *Replayer) sequences(ctx context.Context) ([]sequenceState, error) {
	rows, err := r.admin.Query(ctx, `
		SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 0), last_value IS NOT NULL
		FROM pg_sequences ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("replay: read sequences: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (sequenceState, error) {
		var s sequenceState
		err := row.Scan(&s.name, &s.value, &s.isCalled)
		return s, err
	})
}

// restore puts sequences back where they were and vacuums away the dead row
// versions a rolled-back write left, so that the next statement reads the
// same pages it would have read before.
func (r *Replayer) restore(ctx context.Context, before []sequenceState) error {
	after, err := r.sequences(ctx)
	if err != nil {
		return err
	}
	was := make(map[string]sequenceState, len(before))
	for _, s := range before {
		was[s.name] = s
	}
	for _, s := range after {
		b, ok := was[s.name]
		if !ok || b == s {
			continue
		}
		// A never-called sequence reports no last_value; its start is its
		// minimum, and setval(..., false) makes the next nextval return it.
		sql := "SELECT setval($1::regclass, $2, $3)"
		args := []any{s.name, b.value, b.isCalled}
		if !b.isCalled {
			sql = "SELECT setval($1::regclass, (SELECT seqstart FROM pg_sequence WHERE seqrelid = $1::regclass), false)"
			args = []any{s.name}
		}
		if _, err := r.admin.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("replay: restore sequence %s: %w", s.name, err)
		}
	}
	// The vacuum is plangate's own housekeeping, on its own connection:
	// the run's role could not vacuum tables it does not own.
	if _, err := r.admin.Exec(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("replay: vacuum after write: %w", err)
	}
	return nil
}
