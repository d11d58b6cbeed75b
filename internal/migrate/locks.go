package migrate

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pollEvery is how often the watcher reads pg_locks. A lock held for less
// than that may go unseen, and a lock that short blocks no one.
const pollEvery = 5 * time.Millisecond

// watcher reads, from a connection of its own, the table locks the
// migration's backend holds, and when each was let go.
type watcher struct {
	conn   *pgx.Conn
	pid    uint32
	cancel context.CancelFunc
	done   chan error

	mu sync.Mutex
	// last is the statement that ran last, started when it began: a lock
	// first seen now is that statement's.
	last    int
	started time.Time
	// open are the locks held now, by relation and mode; closed those let
	// go, by statement.
	open   map[lockKey]*heldLock
	closed map[int][]Lock
	// statements are the statements run so far; runOne appends to it.
	statements []*Statement
	stopped    bool
	stopErr    error
}

type lockKey struct{ relation, mode string }

type heldLock struct {
	statement int
	since     time.Time
}

// watch starts watching the locks of backend pid.
func watch(ctx context.Context, connString string, pid uint32) (*watcher, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &watcher{conn: conn, pid: pid, cancel: cancel, done: make(chan error, 1),
		open: map[lockKey]*heldLock{}, closed: map[int][]Lock{}, last: -1}
	go func() { w.done <- w.loop(wctx) }()
	return w, nil
}

// begin marks the start of statement i.
func (w *watcher) begin(i int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last, w.started = i, time.Now()
}

func (w *watcher) loop(ctx context.Context) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		if err := w.poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// poll reads the backend's granted table locks once.
func (w *watcher) poll(ctx context.Context) error {
	rows, err := w.conn.Query(ctx, `SELECT `+relName+`, l.mode
		FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE l.pid = $1 AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm') AND `+userSchemas,
		int32(w.pid))
	if err != nil {
		return err
	}
	now := map[lockKey]bool{}
	for rows.Next() {
		var k lockKey
		if err := rows.Scan(&k.relation, &k.mode); err != nil {
			return err
		}
		now[k] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	at := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range now {
		if _, ok := w.open[k]; !ok && w.last >= 0 {
			w.open[k] = &heldLock{statement: w.last, since: w.started}
		}
	}
	for k, h := range w.open {
		if !now[k] {
			w.closed[h.statement] = append(w.closed[h.statement], Lock{Relation: k.relation, Mode: k.mode, Held: at.Sub(h.since)})
			delete(w.open, k)
		}
	}
	return nil
}

// stop stops watching and returns the locks each statement took, longest
// held first; locks still held count until now. It may be called again.
func (w *watcher) stop() (map[int][]Lock, error) {
	w.mu.Lock()
	if w.stopped {
		defer w.mu.Unlock()
		return w.closed, w.stopErr
	}
	w.mu.Unlock()
	w.cancel()
	err := <-w.done
	w.conn.Close(context.Background())
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for k, h := range w.open {
		w.closed[h.statement] = append(w.closed[h.statement], Lock{Relation: k.relation, Mode: k.mode, Held: now.Sub(h.since)})
	}
	w.open = map[lockKey]*heldLock{}
	for _, ls := range w.closed {
		sort.Slice(ls, func(i, j int) bool {
			if ls[i].Held != ls[j].Held {
				return ls[i].Held > ls[j].Held
			}
			return ls[i].Relation+ls[i].Mode < ls[j].Relation+ls[j].Mode
		})
	}
	w.stopped, w.stopErr = true, err
	return w.closed, err
}
