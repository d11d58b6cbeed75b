package seed

// sequenceGenerator is the sequence generator: start, start+step, ...
func sequenceGenerator() columnGenerator {
	return columnGenerator{settings: []string{"start", "step"}, parse: parseSequence, compile: compileSequence}
}

func parseSequence(s *columnSettings) error {
	pr := s.params
	pr.start, pr.step = 1, 1
	if _, ok := s.set["start"]; ok {
		pr.start = s.yaml.Start
	}
	if _, ok := s.set["step"]; ok {
		pr.step = s.yaml.Step
	}
	if pr.step == 0 {
		return s.errf("step", "step must not be 0")
	}
	return nil
}

func compileSequence(c *compiler, col genColumn) (compiled, error) {
	p := col.p
	return compiled{gen: sequenceGen{start: p.start, step: p.step}, kind: kInt}, nil
}

// sequenceGen gives start, start+step, ...
type sequenceGen struct{ start, step int64 }

func (g sequenceGen) gen(row int64, v *val) {
	v.kind, v.i = kInt, g.start+(row-1)*g.step
}
