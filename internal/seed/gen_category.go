package seed

import (
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// categoryGenerator is the category generator: values from a list or a
// mapping of value to weight.
func categoryGenerator() columnGenerator {
	return columnGenerator{settings: []string{"values"}, parse: parseCategory, compile: compileCategory}
}

func parseCategory(s *columnSettings) error {
	pr := s.params
	node, ok := s.set["values"]
	if !ok {
		return s.errf("", "category needs values, e.g. `values: {paid: 70, pending: 25, refunded: 5}` or `values: [a, b, c]`")
	}
	choices, err := s.p.choices(node, s.table, s.name)
	if err != nil {
		return err
	}
	pr.choices = choices
	return nil
}

func compileCategory(c *compiler, col genColumn) (compiled, error) {
	t, ci, p, st := col.t, col.info, col.p, col.st
	cat, k, err := c.category(t, ci, p.choices, st)
	if err != nil {
		return compiled{}, err
	}
	comp := compiled{gen: cat, kind: k}
	return comp, nil
}

// categoryGen picks among values with weights.
type categoryGen struct {
	values []val
	cum    []float64 // cumulative weights, the last being 1
	s      stream
}

func newCategory(values []val, weights []float64, s stream) categoryGen {
	var total float64
	for _, w := range weights {
		total += w
	}
	cum := make([]float64, len(weights))
	acc := 0.0
	for i, w := range weights {
		acc += w
		cum[i] = acc / total
	}
	cum[len(cum)-1] = 1
	return categoryGen{values: values, cum: cum, s: s}
}

func (g categoryGen) pick(u float64) *val {
	lo, hi := 0, len(g.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if u < g.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return &g.values[lo]
}

func (g categoryGen) gen(row int64, v *val) {
	*v = copyVal(*v, g.pick(g.s.unit(row, 0)))
}

// copyVal copies src into dst, keeping dst's scratch buffer.
func copyVal(dst val, src *val) val {
	b := dst.b
	dst = *src
	dst.b = b
	return dst
}

func (c *compiler) category(t *tableInfo, ci *columnInfo, choices []choice, st stream) (categoryGen, kind, error) {
	vals := make([]val, len(choices))
	weights := make([]float64, len(choices))
	for i, ch := range choices {
		v, err := literal(ci.class, ch.value)
		if err != nil {
			return categoryGen{}, 0, c.errf(t, ci.name, "value %v for a column of type %s", err, ci.typ)
		}
		vals[i], weights[i] = v, ch.weight
	}
	return newCategory(vals, weights, st), vals[0].kind, nil
}

// choices reads category values: a mapping of value to weight, or a list of
// equally likely values.
func (p *specParser) choices(n *yaml.Node, table, column string) ([]choice, error) {
	var out []choice
	switch n.Kind {
	case yaml.SequenceNode:
		for _, v := range n.Content {
			if v.Kind != yaml.ScalarNode {
				return nil, p.errf(v, table, column, "each value must be a scalar, not %s", describeNode(v))
			}
			out = append(out, choice{value: v.Value, weight: 1})
		}
	case yaml.MappingNode:
		pairs, err := p.mapping(n, table, column, "values", nil)
		if err != nil {
			return nil, err
		}
		for _, kv := range pairs {
			w, err := strconv.ParseFloat(kv[1].Value, 64)
			if err != nil || w <= 0 || math.IsInf(w, 0) || math.IsNaN(w) {
				return nil, p.errf(kv[1], table, column, "weight of %q must be a number above 0, not %q", kv[0].Value, kv[1].Value)
			}
			out = append(out, choice{value: kv[0].Value, weight: w})
		}
	default:
		return nil, p.errf(n, table, column, "values must be a list or a mapping of value to weight, not %s", describeNode(n))
	}
	if len(out) == 0 {
		return nil, p.errf(n, table, column, "values is empty")
	}
	return out, nil
}
