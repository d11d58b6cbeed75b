package plan

import (
	"fmt"
	"math"
	"strings"
)

// Spill is one plan node that went to disk because its data did not fit in
// work_mem.
type Spill struct {
	// Node is the node's label as in text EXPLAIN: "Sort", "HashAggregate",
	// "Hash Join", "CTE Scan", ...
	Node string
	// Bytes is the temporary-file bytes the node wrote itself (its Temp
	// Written Blocks less its children's, times the block size). For a hash
	// join it includes its Hash node's. Without BUFFERS it falls back to the
	// peak disk usage the node reports, and is 0 when it reports none.
	Bytes int64
	// PeakDiskBytes is the peak size of the node's temporary files as the
	// node itself reports it (Sort Space Used or Disk Usage), 0 when it
	// reports none. A sort that merges in several passes writes more than
	// its peak.
	PeakDiskBytes int64
	// Batches is the number of hash batches, 0 for nodes that have none.
	Batches int
	// Description says it in one line, e.g.
	// "HashAggregate spilled 13 MB to disk in 17 batches".
	Description string
}

// Spills lists the nodes that spilled to disk, parents before children:
// sorts that sorted on disk, hash joins with more than one batch, hash
// aggregates that wrote to disk, and any other node that wrote temporary
// files itself (Materialize, CTE Scan, ...). blockSize is the server's block
// size in bytes; zero or less means DefaultBlockSize.
func (p *Plan) Spills(blockSize int) []Spill {
	if p == nil || p.Root == nil {
		return nil
	}
	bs := int64(blockSizeOrDefault(blockSize))
	var out []Spill
	p.Root.Walk(func(n *Node, _ int) {
		if s, ok := spillOf(n, bs); ok {
			out = append(out, s)
		}
	})
	return out
}

func spillOf(n *Node, bs int64) (Spill, bool) {
	written := n.OwnTempWrittenBlocks() * bs
	s := Spill{Node: n.Label()}
	what := s.Node
	switch {
	case n.NodeType == "Hash" && n.HashBatches > 1:
		// Reported on the join, which writes the outer side's batches.
		return Spill{}, false
	case spilledHash(n) != nil:
		h := spilledHash(n)
		s.Bytes = written + h.OwnTempWrittenBlocks()*bs
		s.Batches = h.HashBatches
	case n.NodeType == "Sort" && n.SortSpaceType == "Disk":
		s.PeakDiskBytes = n.SortSpaceUsed * 1024
		s.Bytes = fallback(written, s.PeakDiskBytes)
		if n.SortMethod != "" {
			what += " (" + n.SortMethod + ")"
		}
	case n.NodeType == "Aggregate" && (n.DiskUsage > 0 || n.HashAggBatches > 1):
		s.PeakDiskBytes = n.DiskUsage * 1024
		s.Bytes = fallback(written, s.PeakDiskBytes)
		s.Batches = n.HashAggBatches
	case n.StorageType == "Disk" && written > 0:
		// A tuplestore (Materialize, CTE Scan, WindowAgg) that outgrew
		// work_mem; its peak size is printed from PostgreSQL 18 on. Two
		// CTE Scans of one CTE share it: the one that wrote it spilled.
		s.PeakDiskBytes = n.MaxStorage * 1024
		s.Bytes = written
		if t := n.target(); t != "" {
			what += " on " + t
		}
	case written > 0:
		s.Bytes = written
		if t := n.target(); t != "" {
			what += " on " + t
		}
	default:
		return Spill{}, false
	}
	var b strings.Builder
	b.WriteString(what)
	b.WriteString(" spilled")
	if s.Bytes > 0 {
		b.WriteString(" " + FormatBytes(s.Bytes))
	}
	b.WriteString(" to disk")
	if s.Batches > 1 {
		fmt.Fprintf(&b, " in %d batches", s.Batches)
	}
	s.Description = b.String()
	return s, true
}

// spilledHash returns n's Hash child when it has more than one batch.
func spilledHash(n *Node) *Node {
	for _, c := range n.Plans {
		if c.NodeType == "Hash" && c.HashBatches > 1 {
			return c
		}
	}
	return nil
}

func fallback(written, peak int64) int64 {
	if written > 0 {
		return written
	}
	return peak
}

// FormatBytes renders a byte count the way PostgreSQL's pg_size_pretty and
// EXPLAIN do: binary multiples (1 kB = 1024 bytes) with PostgreSQL's unit
// names B, kB, MB, GB, TB, PB. Values under 10 units keep one decimal:
// "0 B", "512 B", "8.0 kB", "1.5 MB", "184 MB".
func FormatBytes(n int64) string {
	if n < 0 {
		if n == math.MinInt64 {
			return "-8.0 EB"
		}
		return "-" + FormatBytes(-n)
	}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	// Round first, so that 1023.96 kB reads "1.0 MB" rather than "1024 kB".
	if math.Round(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 9.95 {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}
