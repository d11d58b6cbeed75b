package run

import (
	"fmt"
	"maps"
	"slices"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
)

// findingRules lays the configuration's findings section over the defaults.
func findingRules(base gate.FindingRules, conf map[string]config.Finding) (gate.FindingRules, error) {
	r := base
	for _, kind := range slices.Sorted(maps.Keys(conf)) {
		c := conf[kind]
		options := make(map[string]float64, len(c.Options))
		for key, v := range c.Options {
			options[key] = float64(v)
		}
		if err := r.Configure(kind, c.Severity, options); err != nil {
			return r, fmt.Errorf("config: findings: %w", err)
		}
	}
	return r, nil
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
	return withSpreads(rules, widestSpreads(results...))
}

// widestSpreads is each query's widest spread of each metric over the
// results, by query name and metric; nil without repeated runs.
func widestSpreads(results ...*Result) map[string]map[string]float64 {
	var widest map[string]map[string]float64
	for _, r := range results {
		for _, m := range r.Measurements {
			for metric, spread := range m.Spread {
				if widest == nil {
					widest = map[string]map[string]float64{}
				}
				if widest[m.Name] == nil {
					widest[m.Name] = map[string]float64{}
				}
				widest[m.Name][metric] = max(widest[m.Name][metric], spread)
			}
		}
	}
	return widest
}

// withSpreads is WithSpreads given the spreads, by query name and metric.
func withSpreads(rules gate.Rules, widest map[string]map[string]float64) gate.Rules {
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
