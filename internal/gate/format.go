package gate

import (
	"math"
	"strconv"
	"strings"
)

// FormatValue renders a metric's value for people: sizes in binary units
// labelled as PostgreSQL does (8.0 kB, 184 MB), costs, blocks and rows as
// grouped integers (12,345), misestimates as factors (150x), times in
// milliseconds.
func FormatValue(metric string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	switch metric {
	case MetricTempWrittenBytes, MetricTempReadBytes, MetricWALBytes:
		return formatBytes(v)
	case MetricTotalCost, MetricSharedBlocks, MetricRows, MetricQueryCount:
		return formatInt(v)
	case MetricMaxRowMisestimate:
		return formatShort(v) + "x"
	case MetricExecutionMS, MetricPlanningMS:
		return formatShort(v) + " ms"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// FormatDelta renders the change from baseline to current: the signed
// difference in the metric's unit, then the relative change when the
// baseline is not zero, e.g. "+8,600, +717%" or "+184 MB". An unchanged
// value renders as "±0".
func FormatDelta(metric string, baseline, current float64) string {
	d := current - baseline
	if d == 0 || FormatValue(metric, baseline) == FormatValue(metric, current) {
		return "±0"
	}
	s := sign(d) + FormatValue(metric, math.Abs(d))
	if baseline != 0 {
		s += ", " + FormatPercent(d/math.Abs(baseline))
	}
	return s
}

// FormatPercent renders a fraction as a signed percentage: 7.17 is "+717%",
// -0.054 is "-5.4%".
func FormatPercent(f float64) string {
	return sign(f) + formatShort(math.Abs(f)*100) + "%"
}

func sign(v float64) string {
	if v < 0 {
		return "-"
	}
	return "+"
}

// formatShort keeps one decimal below 10 and none above: 2.5, 150.
func formatShort(v float64) string {
	if math.Abs(v) < 9.95 {
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	}
	return formatInt(v)
}

// formatInt rounds to an integer and groups thousands with commas.
func formatInt(v float64) string {
	r := math.Round(v)
	if math.Abs(r) >= 1e18 {
		return strconv.FormatFloat(r, 'g', 6, 64)
	}
	n := int64(r)
	neg := n < 0
	if neg {
		n = -n
	}
	digits := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatBytes uses 1024-based units with PostgreSQL's labels, as
// pg_size_pretty and EXPLAIN do, and as the plan package words spills:
// "512 B", "8.0 kB", "184 MB".
func formatBytes(v float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	neg := v < 0
	v = math.Abs(v)
	i := 0
	for i < len(units)-1 && math.Round(v) >= 1024 {
		v /= 1024
		i++
	}
	var s string
	switch {
	case i == 0:
		s = formatInt(v) + " B"
	case v < 9.95:
		s = strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
	default:
		s = formatInt(v) + " " + units[i]
	}
	if neg {
		s = "-" + s
	}
	return s
}
