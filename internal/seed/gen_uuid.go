package seed

// uuidGenerator is the uuid generator: random UUIDs.
func uuidGenerator() columnGenerator {
	return columnGenerator{settings: []string{}, parse: parseUuid, compile: compileUuid}
}

func parseUuid(s *columnSettings) error {
	return nil
}

func compileUuid(c *compiler, col genColumn) (compiled, error) {
	st := col.st
	return compiled{gen: uuidGen{s: st}, kind: kUUID}, nil
}

// uuidGen makes version 4 UUIDs.
type uuidGen struct{ s stream }

func (g uuidGen) gen(row int64, v *val) {
	hi, lo := g.s.word(row, 0), g.s.word(row, 1)
	hi = hi&^0xf000 | 0x4000               // version 4
	lo = lo&^(0xc000<<48) | (0x8000 << 48) // RFC 4122 variant
	v.kind, v.i, v.u = kUUID, int64(hi), lo
}
