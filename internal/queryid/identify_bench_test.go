package queryid

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkIdentify_LargeINList identifies an 8 MB statement, a 900,000
// element IN list as ORMs build for a bulk lookup: parsing it is the cost;
// nothing plangate does around the parse may multiply it.
//
//	go test ./internal/queryid -run '^$' -bench LargeINList -benchmem
func BenchmarkIdentify_LargeINList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("SELECT * FROM orders WHERE id IN (")
	for i := range 900_000 {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(1_000_000 + i))
	}
	sb.WriteString(")")
	sql := sb.String()
	b.SetBytes(int64(len(sql)))
	b.ReportAllocs()
	for b.Loop() {
		id, err := Identify(sql)
		if err != nil || id.Structure.Name() != "orders select where id" {
			b.Fatalf("%v %q", err, id.Structure.Name())
		}
	}
}
