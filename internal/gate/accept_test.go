package gate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAccept(t *testing.T) {
	regressed := Report{Verdict: VerdictFail, Queries: []Result{
		{Name: "report", Status: StatusRegressed, Findings: []Finding{
			{Metric: MetricTempWrittenBytes, Severity: SeverityFail, Message: "temp_written_bytes 0 B -> 90 MB"},
			{Metric: MetricTotalCost, Severity: SeverityFail, Message: "total_cost 10 -> 9000"},
		}},
		{Name: "other", Status: StatusPass},
	}}
	today := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		accepted []Acceptance
		verdict  Verdict
		status   Status
	}{
		{"one of two metrics", []Acceptance{{Query: "report", Metric: MetricTempWrittenBytes, Reason: "nightly export"}}, VerdictFail, StatusRegressed},
		{"both metrics", []Acceptance{{Query: "report", Metric: "*", Reason: "nightly export"}}, VerdictPass, StatusPass},
		{"expires today still holds", []Acceptance{{Query: "report", Metric: "*", Reason: "r", Expires: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}}, VerdictPass, StatusPass},
		{"another query", []Acceptance{{Query: "other", Metric: "*", Reason: "r"}}, VerdictFail, StatusRegressed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Accept(regressed, tt.accepted, today)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != tt.verdict || got.Queries[0].Status != tt.status {
				t.Errorf("verdict %s status %s, want %s %s", got.Verdict, got.Queries[0].Status, tt.verdict, tt.status)
			}
			if regressed.Queries[0].Findings[0].Severity != SeverityFail {
				t.Error("Accept changed its input")
			}
		})
	}
	got, _ := Accept(regressed, []Acceptance{{Query: "report", Metric: MetricTempWrittenBytes, Reason: "nightly export", Expires: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}, today)
	if msg := got.Queries[0].Findings[0].Message; got.Queries[0].Findings[0].Severity != SeverityWarn || !strings.Contains(msg, "accepted: nightly export, until 2026-12-01") {
		t.Errorf("finding = %+v", got.Queries[0].Findings[0])
	}
}

func TestAccept_Expired(t *testing.T) {
	_, err := Accept(Report{}, []Acceptance{{Query: "report", Metric: "rows", Reason: "migration", Expires: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}},
		time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	var ee *ExpiredError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "report rows expired on 2026-11-01 (migration)") {
		t.Errorf("got %v", err)
	}
}
