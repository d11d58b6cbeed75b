package seed

import (
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// columnGenerator is one kind of column generator of a data spec, each in
// its own gen_<name>.go: the settings it takes, how they are checked, and
// how a column is compiled into values.
type columnGenerator struct {
	// settings are the keys it takes besides generator and null_fraction.
	settings []string
	// parse checks a column's settings into its params.
	parse func(s *columnSettings) error
	// compile makes the column's value generator.
	compile func(c *compiler, col genColumn) (compiled, error)
}

// Generators lists the column generators a data spec may name.
var Generators = []string{"sequence", "uniform", "normal", "zipf", "category", "text", "timestamp", "uuid", "reference", "correlated", "histogram"}

// columnGenerators maps each of Generators to its generator.
func columnGenerators() map[string]columnGenerator {
	return map[string]columnGenerator{
		"sequence":   sequenceGenerator(),
		"uniform":    uniformGenerator(),
		"normal":     normalGenerator(),
		"zipf":       zipfGenerator(),
		"category":   categoryGenerator(),
		"text":       textGenerator(),
		"timestamp":  timestampGenerator(),
		"uuid":       uuidGenerator(),
		"reference":  referenceGenerator(),
		"correlated": correlatedGenerator(),
		"histogram":  histogramGenerator(),
	}
}

// columnSettings is one column of a spec as its generator's parse sees it.
type columnSettings struct {
	p           *specParser
	table, name string
	// node is the column's mapping, set its settings by key.
	node *yaml.Node
	set  map[string]*yaml.Node
	// yaml is the column decoded; params receives the checked settings.
	yaml   columnYAML
	params *params
}

// errf is a SpecError about setting key of the column (the column itself
// when key is not set).
func (s *columnSettings) errf(key, format string, args ...any) error {
	node := s.set[key]
	if node == nil {
		node = s.node
	}
	return s.p.errf(node, s.table, s.name, format, args...)
}

// minMax reads min and max as numbers, and sorted, for the numeric
// generators.
func (s *columnSettings) minMax() error {
	pr := s.params
	for _, k := range []string{"min", "max"} {
		node, ok := s.set[k]
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(node.Value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return s.errf(k, "%s must be a number, not %q", k, node.Value)
		}
		if k == "min" {
			pr.min, pr.hasMin = f, true
		} else {
			pr.max, pr.hasMax = f, true
		}
	}
	pr.sorted = s.yaml.Sorted
	return nil
}

// checkMinMax refuses a min above max.
func (s *columnSettings) checkMinMax() error {
	pr := s.params
	if pr.hasMin && pr.hasMax && pr.min > pr.max {
		return s.errf("min", "min %s is above max %s", s.set["min"].Value, s.set["max"].Value)
	}
	return nil
}

// genColumn is one column of a table as its generator's compile sees it.
type genColumn struct {
	t    *tableInfo
	info *columnInfo
	name string
	p    *params
	st   stream
}
