package migrate

import (
	"slices"
	"testing"
)

func TestWaiters(t *testing.T) {
	queries := []Query{
		{Name: "orders_list", Relation: "orders"},
		{Name: "mark_shipped", Relation: "orders", Writes: true},
		{Name: "events_recent", Relation: "events"},
		{Name: "log_event", Relation: "events", Writes: true},
		{Name: "customers", Relation: "customers"},
	}
	cases := []struct {
		lock Lock
		want []string
	}{
		{Lock{Relation: "orders", Mode: "AccessExclusiveLock"}, []string{"mark_shipped", "orders_list"}},
		{Lock{Relation: "orders", Mode: "ShareLock"}, []string{"mark_shipped"}},
		{Lock{Relation: "orders", Mode: "ShareUpdateExclusiveLock"}, nil},
		// A partition's lock holds up the queries of its partitioned table.
		{Lock{Relation: "events_default", Mode: "AccessExclusiveLock", Root: "events"}, []string{"events_recent", "log_event"}},
		{Lock{Relation: "events_default", Mode: "ShareLock", Root: "events"}, []string{"log_event"}},
		{Lock{Relation: "events_default", Mode: "AccessExclusiveLock"}, nil},
	}
	for _, c := range cases {
		if got := Waiters(c.lock, queries); !slices.Equal(got, c.want) {
			t.Errorf("Waiters(%+v) = %q, want %q", c.lock, got, c.want)
		}
	}
}
