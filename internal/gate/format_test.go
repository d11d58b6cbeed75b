package gate

import "testing"

func TestFormatValue(t *testing.T) {
	tests := []struct {
		name   string
		metric string
		v      float64
		want   string
	}{
		{name: "zero bytes", metric: MetricTempWrittenBytes, v: 0, want: "0 B"},
		{name: "bytes", metric: MetricWALBytes, v: 512, want: "512 B"},
		{name: "kilobytes", metric: MetricWALBytes, v: 8192, want: "8.0 kB"},
		{name: "fractional megabytes", metric: MetricTempReadBytes, v: 1.5 * 1024 * 1024, want: "1.5 MB"},
		{name: "megabytes", metric: MetricTempWrittenBytes, v: 184 * 1024 * 1024, want: "184 MB"},
		{name: "rounding up a unit", metric: MetricTempWrittenBytes, v: 1024*1024 - 1, want: "1.0 MB"},
		{name: "gigabytes", metric: MetricTempWrittenBytes, v: 3 * 1024 * 1024 * 1024, want: "3.0 GB"},
		{name: "cost rounded and grouped", metric: MetricTotalCost, v: 1234567.89, want: "1,234,568"},
		{name: "small cost", metric: MetricTotalCost, v: 8.31, want: "8"},
		{name: "negative rows", metric: MetricRows, v: -12000, want: "-12,000"},
		{name: "misestimate", metric: MetricMaxRowMisestimate, v: 2.54, want: "2.5x"},
		{name: "large misestimate", metric: MetricMaxRowMisestimate, v: 1500, want: "1,500x"},
		{name: "milliseconds", metric: MetricExecutionMS, v: 0.042, want: "0 ms"},
		{name: "unknown metric", metric: "custom", v: 1.23456, want: "1.23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatValue(tt.metric, tt.v); got != tt.want {
				t.Errorf("FormatValue(%q, %v) = %q, want %q", tt.metric, tt.v, got, tt.want)
			}
		})
	}
}

func TestFormatDelta(t *testing.T) {
	tests := []struct {
		name              string
		metric            string
		baseline, current float64
		want              string
	}{
		{name: "from zero", metric: MetricTempWrittenBytes, baseline: 0, current: 184 * 1024 * 1024, want: "+184 MB"},
		{name: "growth", metric: MetricTotalCost, baseline: 1200, current: 9800, want: "+8,600, +717%"},
		{name: "drop", metric: MetricRows, baseline: 200, current: 50, want: "-150, -75%"},
		{name: "small change", metric: MetricTotalCost, baseline: 1000, current: 1054, want: "+54, +5.4%"},
		{name: "unchanged", metric: MetricRows, baseline: 7, current: 7, want: "±0"},
		{name: "invisible change", metric: MetricTotalCost, baseline: 10.01, current: 10.02, want: "±0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatDelta(tt.metric, tt.baseline, tt.current); got != tt.want {
				t.Errorf("FormatDelta(%q, %v, %v) = %q, want %q", tt.metric, tt.baseline, tt.current, got, tt.want)
			}
		})
	}
}
