package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"strings"
	"testing"
)

func TestFindMajor(t *testing.T) {
	ctx := context.Background()
	newest, err := FindBinaries(ctx, "")
	if err != nil {
		if os.Getenv("PLANGATE_REQUIRE_POSTGRES") == "1" {
			t.Fatal(err)
		}
		t.Skipf("no PostgreSQL installed: %v", err)
	}
	t.Run("installed", func(t *testing.T) {
		b, err := FindMajor(ctx, "", newest.Major)
		if err != nil || b.Major != newest.Major {
			t.Fatalf("FindMajor(%d) = %+v, %v", newest.Major, b, err)
		}
		if _, err := FindMajor(ctx, b.Dir, b.Major); err != nil {
			t.Errorf("FindMajor(%s, %d): %v", b.Dir, b.Major, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		// 12 is older than any plangate supports: never installed on a
		// test machine.
		_, err := FindMajor(ctx, "", 12)
		var me *MissingMajorError
		if !errors.As(err, &me) || me.Major != 12 {
			t.Fatalf("got %v, want a MissingMajorError for 12", err)
		}
		for _, want := range []string{"PostgreSQL 12 server binaries not found", "apt-get install postgresql-12", newest.Version[:strings.Index(newest.Version+".", ".")]} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})
	t.Run("bin_dir of another major", func(t *testing.T) {
		_, err := FindMajor(ctx, newest.Dir, newest.Major+1)
		if err == nil || !strings.Contains(err.Error(), "postgres.version is") {
			t.Errorf("got %v, want an error naming postgres.version", err)
		}
	})
}

func TestCheckMajor(t *testing.T) {
	ctx := context.Background()
	srv, err := StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	num, err := ServerVersionNum(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	major := num / 10000
	if err := CheckMajor(ctx, srv, major); err != nil {
		t.Errorf("CheckMajor(%d): %v", major, err)
	}
	if err := CheckMajor(ctx, srv, 0); err != nil {
		t.Errorf("CheckMajor(0): %v", err)
	}
	err = CheckMajor(ctx, srv, major+1)
	var mm *MajorMismatchError
	if !errors.As(err, &mm) || mm.Got != major || mm.Want != major+1 {
		t.Fatalf("CheckMajor(%d) = %v, want a MajorMismatchError", major+1, err)
	}
	if want := fmt.Sprintf("set postgres.version to %d", major); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestDockerImageFor(t *testing.T) {
	ctx := context.Background()
	if !DockerAvailable(ctx) {
		if os.Getenv("PLANGATE_REQUIRE_DOCKER") == "1" {
			t.Fatal("no Docker engine answers")
		}
		t.Skip("no Docker engine answers")
	}
	// No image of 99 is ever built here: the official name, to be pulled.
	if got := DockerImageFor(ctx, 99); got != "postgres:99" {
		t.Errorf("DockerImageFor(99) = %q, want postgres:99", got)
	}
	if err := osexec.Command("docker", "image", "inspect", "plangate/postgres:15").Run(); err != nil {
		t.Skipf("plangate/postgres:15 is not built: %v", err)
	}
	if got := DockerImageFor(ctx, 15); got != "plangate/postgres:15" {
		t.Errorf("DockerImageFor(15) = %q, want the image built here, plangate/postgres:15", got)
	}
}
