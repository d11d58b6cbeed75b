package run

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
)

// findingRules lays the configuration's findings section over the defaults.
func findingRules(base gate.FindingRules, conf map[string]config.Finding) (gate.FindingRules, error) {
	r := base
	for kind, c := range conf {
		var (
			severity *string
			fields   = map[string]*float64{}
		)
		switch kind {
		case gate.FindingSeqScan:
			severity, fields["min_rows"] = &r.SeqScan.Severity, &r.SeqScan.MinRows
		case gate.FindingSpill:
			severity, fields["min_bytes"] = &r.Spill.Severity, &r.Spill.MinBytes
		case gate.FindingHashBatches:
			severity, fields["min_bytes"] = &r.HashBatches.Severity, &r.HashBatches.MinBytes
		case gate.FindingMisestimate:
			severity, fields["factor"], fields["min_rows"] = &r.Misestimate.Severity, &r.Misestimate.Factor, &r.Misestimate.MinRows
		case gate.FindingNestedLoop:
			severity, fields["min_loops"] = &r.NestedLoop.Severity, &r.NestedLoop.MinLoops
		case gate.FindingPartitionPruning:
			severity = &r.PartitionPruning.Severity
		case gate.FindingFilter:
			severity, fields["ratio"], fields["min_rows"] = &r.Filter.Severity, &r.Filter.Ratio, &r.Filter.MinRows
		case gate.FindingBulkWrite:
			severity, fields["rows"], fields["wal_bytes"] = &r.BulkWrite.Severity, &r.BulkWrite.Rows, &r.BulkWrite.WALBytes
		case gate.FindingNPlusOne:
			return r, fmt.Errorf("config: findings: n_plus_one is tuned by thresholds.query_count")
		default:
			return r, fmt.Errorf("config: findings: unknown kind %q: use one of %s", kind, strings.Join(gate.FindingKinds(), ", "))
		}
		if c.Severity != "" {
			if !slices.Contains([]string{gate.SeverityFail, gate.SeverityWarn, gate.SeverityInfo, gate.SeverityOff}, c.Severity) {
				return r, fmt.Errorf("config: findings: %s: severity %q: use fail, warn, info or off", kind, c.Severity)
			}
			*severity = c.Severity
		}
		given := map[string]*config.Quantity{"min_rows": c.MinRows, "min_bytes": c.MinBytes, "min_loops": c.MinLoops,
			"factor": c.Factor, "ratio": c.Ratio, "rows": c.Rows, "wal_bytes": c.WALBytes}
		for key, v := range given {
			if v == nil {
				continue
			}
			field, ok := fields[key]
			if !ok {
				return r, fmt.Errorf("config: findings: %s takes no %s (it takes severity%s)", kind, key, keyList(fields))
			}
			*field = float64(*v)
		}
	}
	return r, nil
}

func keyList(fields map[string]*float64) string {
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return ", " + strings.Join(keys, ", ")
}

// Rules lays the configuration's thresholds over the default rules.
func Rules(cfg config.Config) (gate.Rules, error) {
	rules := gate.DefaultRules()
	var err error
	if rules.Findings, err = findingRules(rules.Findings, cfg.Findings); err != nil {
		return rules, err
	}
	for metric, t := range cfg.Thresholds {
		if !gate.KnownMetric(metric) {
			return rules, fmt.Errorf("config: thresholds: unknown metric %q: use one of %v", metric, gate.MetricNames())
		}
		rules.Metrics[metric] = rules.Metrics[metric].Override(ruleOverride(t))
	}
	for metric, t := range cfg.Totals {
		if _, ok := rules.Totals[metric]; !ok {
			return rules, fmt.Errorf("config: totals: metric %q is not summed over the workload: use one of %v", metric, gate.TotalMetrics())
		}
		rules.Totals[metric] = rules.Totals[metric].Override(ruleOverride(t))
	}
	for _, p := range cfg.Match.Pin {
		rules.Pairing.Pin = append(rules.Pairing.Pin, gate.Pair{Baseline: p.Baseline, Current: p.Current})
	}
	for _, p := range cfg.Match.Forbid {
		rules.Pairing.Forbid = append(rules.Pairing.Forbid, gate.Pair{Baseline: p.Baseline, Current: p.Current})
	}
	rules.Queries = map[string]map[string]gate.Rule{}
	for name, metrics := range cfg.Overrides {
		rules.Queries[name] = map[string]gate.Rule{}
		for metric, t := range metrics {
			if !gate.KnownMetric(metric) {
				return rules, fmt.Errorf("config: overrides: %s: unknown metric %q: use one of %v", name, metric, gate.MetricNames())
			}
			rules.Queries[name][metric] = ruleOverride(t)
		}
	}
	return rules, nil
}

// Acceptances are the configuration's accepted regressions, as the gate
// takes them.
func Acceptances(cfg config.Config) []gate.Acceptance {
	out := make([]gate.Acceptance, len(cfg.Accept))
	for i, a := range cfg.Accept {
		out[i] = gate.Acceptance{Query: a.Query, Metric: a.Metric, Reason: a.Reason, Expires: a.Expires.Time}
	}
	return out
}

func ruleOverride(t config.Threshold) gate.Rule {
	var r gate.Rule
	if t.Relative != nil {
		r.Relative, r.Set = *t.Relative, r.Set|gate.SetRelative
	}
	if t.Absolute != nil {
		r.Absolute, r.Set = float64(*t.Absolute), r.Set|gate.SetAbsolute
	}
	if t.Budget != nil {
		r.Budget, r.Set = float64(*t.Budget), r.Set|gate.SetBudget
	}
	if t.Gate != nil {
		r.Gate, r.Set = *t.Gate, r.Set|gate.SetGate
	}
	return r
}

// WithSpreads widens each query's absolute thresholds to twice the spread
// that repeated runs (--repeat) observed, so that a verdict needs a change
// beyond the noise measured on this very machine.
func WithSpreads(rules gate.Rules, results ...*Result) gate.Rules {
	widest := map[string]map[string]float64{}
	for _, r := range results {
		for _, m := range r.Measurements {
			for metric, spread := range m.Spread {
				if widest[m.Name] == nil {
					widest[m.Name] = map[string]float64{}
				}
				widest[m.Name][metric] = max(widest[m.Name][metric], spread)
			}
		}
	}
	if len(widest) == 0 {
		return rules
	}
	out := rules
	out.Queries = map[string]map[string]gate.Rule{}
	for name, metrics := range rules.Queries {
		out.Queries[name] = maps.Clone(metrics)
	}
	for name, metrics := range widest {
		for metric, spread := range metrics {
			rule, ok := rules.For(name, metric)
			if !ok || rule.Absolute >= 2*spread {
				continue
			}
			rule.Absolute, rule.Set = 2*spread, 0
			if out.Queries[name] == nil {
				out.Queries[name] = map[string]gate.Rule{}
			}
			out.Queries[name][metric] = rule
		}
	}
	return out
}
