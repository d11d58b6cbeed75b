package baseline

import (
	"fmt"
	"math"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// Node is the record of one plan node kept in the baseline, written on one
// line so that a change to one node is a one-line diff. The i-th node of a
// query describes the node of its i-th plan line; the node's depth and
// parent relationship are read from that line. Rows and rows removed are
// per loop, as EXPLAIN prints them; every value is deterministic on the
// same data (times are never stored). Node records were added to format
// version 1 as an optional key: a baseline without them is still read, and
// its findings are judged on the plan shape alone.
type Node struct {
	// Name names the node without its conditions, e.g.
	// "Index Scan using accounts_pkey on accounts".
	Name string `json:"name"`
	// Type is the node type as EXPLAIN prints it: "Seq Scan", "Aggregate".
	Type string `json:"type"`
	// Relation is the table the node scans or modifies.
	Relation string `json:"relation,omitempty"`
	// Index is the index the node uses.
	Index string `json:"index,omitempty"`
	// Cost is the planner's total cost of the node, per loop.
	Cost float64 `json:"cost"`
	// PlanRows is the planner's row estimate, per loop.
	PlanRows float64 `json:"plan_rows"`
	// ActualRows is the rows the node returned, per loop.
	ActualRows float64 `json:"actual_rows,omitempty"`
	// Loops is how many times the node ran; absent when it never ran.
	Loops float64 `json:"loops,omitempty"`
	// MayStopEarly is set when the parent may stop reading the node early
	// (a Limit above it), so fewer rows than planned is no misestimate.
	MayStopEarly bool `json:"may_stop_early,omitempty"`
	// SharedBlocks is the shared buffers hit plus read by the node and the
	// nodes below it.
	SharedBlocks float64 `json:"shared_blocks,omitempty"`
	// TempWrittenBytes is the temporary-file bytes the node wrote itself.
	TempWrittenBytes float64 `json:"temp_written_bytes,omitempty"`
	// WALBytes is the WAL the node and the nodes below it generated.
	WALBytes float64 `json:"wal_bytes,omitempty"`
	// RowsRemovedByFilter is the rows the node's Filter discarded, per loop.
	RowsRemovedByFilter float64 `json:"rows_removed_by_filter,omitempty"`
	// RowsRemovedByJoinFilter is the rows a join's Join Filter discarded,
	// per loop.
	RowsRemovedByJoinFilter float64 `json:"rows_removed_by_join_filter,omitempty"`
	// HashBatches is the batches of a Hash node or a hash aggregate.
	HashBatches int `json:"hash_batches,omitempty"`
	// SubplansRemoved is the partitions an Append pruned at startup.
	SubplansRemoved int `json:"subplans_removed,omitempty"`
	// Spill describes the node's spill to disk.
	Spill string `json:"spill,omitempty"`
	// SpillBytes is the size of that spill.
	SpillBytes float64 `json:"spill_bytes,omitempty"`
	// TimeMS is the time spent in the node over all loops; it is handed to
	// the gate for reports but never written to the file.
	TimeMS float64 `json:"-"`
}

// NodesFrom converts a plan's node records (plan.Plan.NodeStats) into the
// baseline's.
func NodesFrom(stats []plan.NodeStat) []Node {
	if len(stats) == 0 {
		return nil
	}
	out := make([]Node, len(stats))
	for i, s := range stats {
		out[i] = Node{
			Name:                    s.Name,
			Type:                    s.Type,
			Relation:                s.Relation,
			Index:                   s.Index,
			Cost:                    s.Cost,
			PlanRows:                s.PlanRows,
			ActualRows:              s.ActualRows,
			Loops:                   s.Loops,
			MayStopEarly:            s.MayStopEarly,
			SharedBlocks:            float64(s.SharedBlocks),
			TempWrittenBytes:        float64(s.TempWrittenBytes),
			WALBytes:                float64(s.WALBytes),
			RowsRemovedByFilter:     s.RowsRemovedByFilter,
			RowsRemovedByJoinFilter: s.RowsRemovedByJoinFilter,
			HashBatches:             s.HashBatches,
			SubplansRemoved:         s.SubplansRemoved,
			Spill:                   s.Spill,
			SpillBytes:              float64(s.SpillBytes),
			TimeMS:                  s.TimeMS,
		}
	}
	return out
}

// gateNodes converts a query's node records for the gate, reading each
// node's depth and parent relationship from its plan line. Records that do
// not line up with the plan are dropped.
func gateNodes(nodes []Node, shape []string) []gate.Node {
	if len(nodes) == 0 || len(nodes) != len(shape) {
		return nil
	}
	out := make([]gate.Node, len(nodes))
	for i, n := range nodes {
		out[i] = gate.Node{
			Name:                    n.Name,
			Type:                    n.Type,
			Relation:                n.Relation,
			Index:                   n.Index,
			Depth:                   gate.ShapeDepth(shape[i]),
			Relationship:            gate.ShapeRelationship(shape[i]),
			Cost:                    n.Cost,
			PlanRows:                n.PlanRows,
			ActualRows:              n.ActualRows,
			Loops:                   n.Loops,
			MayStopEarly:            n.MayStopEarly,
			SharedBlocks:            n.SharedBlocks,
			TempWrittenBytes:        n.TempWrittenBytes,
			WALBytes:                n.WALBytes,
			RowsRemovedByFilter:     n.RowsRemovedByFilter,
			RowsRemovedByJoinFilter: n.RowsRemovedByJoinFilter,
			HashBatches:             n.HashBatches,
			SubplansRemoved:         n.SubplansRemoved,
			Spill:                   n.Spill,
			SpillBytes:              n.SpillBytes,
			TimeMS:                  n.TimeMS,
		}
	}
	return out
}

// storedNodes returns the node records as stored: numbers rounded to two
// decimals, checked to be storable, and lined up with the plan.
func storedNodes(nodes []Node, shape []string) ([]Node, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	if len(nodes) != len(shape) {
		return nil, fmt.Errorf("%d node records for %d plan lines", len(nodes), len(shape))
	}
	out := make([]Node, len(nodes))
	for i, n := range nodes {
		for _, v := range []*float64{&n.Cost, &n.PlanRows, &n.ActualRows, &n.Loops, &n.SharedBlocks,
			&n.TempWrittenBytes, &n.WALBytes, &n.RowsRemovedByFilter, &n.RowsRemovedByJoinFilter, &n.SpillBytes} {
			if math.IsNaN(*v) || math.IsInf(*v, 0) {
				return nil, fmt.Errorf("node %d: %v is not a number that can be stored", i+1, *v)
			}
			*v = round(*v)
		}
		n.TimeMS = 0
		out[i] = n
	}
	return out, nil
}
