package capture

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkProxy runs a one-row SELECT by primary key directly and through
// the recording proxy, in each of pgx's query modes: the difference between
// the two is what the proxy adds to each statement.
func BenchmarkProxy(b *testing.B) {
	env := startProxy(b, "")
	setup := connect(b, env.config(b, true))
	mustExec(b, setup, "CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts SELECT g, g FROM generate_series(1, 10000) g")
	modes := []struct {
		name string
		mode pgx.QueryExecMode
	}{
		{"simple", pgx.QueryExecModeSimpleProtocol},
		{"prepared", pgx.QueryExecModeCacheStatement},
		{"unnamed", pgx.QueryExecModeDescribeExec},
	}
	for _, m := range modes {
		for _, via := range []string{"direct", "proxy"} {
			b.Run(m.name+"/"+via, func(b *testing.B) {
				conn := connect(b, env.config(b, via == "direct"))
				ctx := context.Background()
				var balance int
				for i := 0; b.Loop(); i++ {
					if err := conn.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = $1", m.mode, i%10000+1).Scan(&balance); err != nil {
						b.Fatal(err)
					}
				}
				env.take()
			})
		}
	}
}
