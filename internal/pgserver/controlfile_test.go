package pgserver

import (
	"context"
	"path/filepath"
	"testing"
)

// TestClusterState: pg_controldata and the control file agree, for a
// running cluster and a stopped one.
func TestClusterState(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(reachableDir(t), "cluster")
	srv, err := StartLocal(ctx, WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	bin := srv.(*local).bin
	check := func(want string) {
		t.Helper()
		viaTool, err := ClusterState(ctx, bin, dir)
		if err != nil {
			t.Fatal(err)
		}
		viaFile, err := ControlFileState(dir)
		if err != nil {
			t.Fatal(err)
		}
		if viaTool != want || viaFile != want {
			t.Errorf("pg_controldata says %q, the control file %q; want %q", viaTool, viaFile, want)
		}
	}
	check("in production")
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	check(StateShutDown)
}
