package run

import (
	"strings"
	"testing"
)

func TestVersionNote(t *testing.T) {
	tests := []struct {
		name, baseline, current string
		want                    string // a substring; empty: no note
	}{
		{"same", "15.8", "15.8", ""},
		{"unknown baseline", "", "17.6", ""},
		{"minor", "15.7", "15.8", "plans may differ for that reason alone"},
		{"major", "15.8", "18.1", "baseline was recorded on PostgreSQL 15.8, this run is on 18.1: comparing rows and statement counts, and temp bytes where the plan is unchanged; total_cost, shared_blocks, wal_bytes, max_row_misestimate are reported, not gated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := VersionNote(tt.baseline, tt.current)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("VersionNote(%q, %q) = %q, want %q", tt.baseline, tt.current, got, tt.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("note %q is more than one line", got)
			}
		})
	}
}
