package plan

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Shape renders the plan as one line per node, parents before children,
// indented two spaces per level. A line holds what a reviewer needs to see
// that a plan changed, and nothing that varies from run to run (no costs,
// rows, timings, buffers or sort methods):
//
//	Inner: Index Scan using orders_pkey on orders o [Index Cond: (id = u.id)]
//
// that is: how the parent uses the node (Outer, Inner, Member, or the
// InitPlan, SubPlan or CTE name), its label as in text EXPLAIN, what it scans,
// then its keys, conditions and filters in a fixed order. Lines are diffed
// one by one between a baseline and a change.
func (p *Plan) Shape() []string {
	if p == nil || p.Root == nil {
		return nil
	}
	var lines []string
	p.Root.Walk(func(n *Node, depth int) {
		lines = append(lines, strings.Repeat("  ", depth)+n.shapeLine())
	})
	return lines
}

func (n *Node) shapeLine() string {
	var b strings.Builder
	switch {
	case n.SubplanName != "":
		b.WriteString(n.SubplanName + ": ")
	case n.ParentRelationship != "":
		b.WriteString(n.ParentRelationship + ": ")
	}
	b.WriteString(n.Name())
	var props []string
	add := func(key, value string) {
		if value != "" {
			props = append(props, key+": "+value)
		}
	}
	add("Sort Key", strings.Join(n.SortKey, ", "))
	add("Presorted Key", extraText(n.Extra["Presorted Key"]))
	add("Group Key", strings.Join(n.GroupKey, ", "))
	add("Grouping Sets", extraText(n.Extra["Grouping Sets"]))
	add("Hash Cond", n.HashCond)
	add("Merge Cond", n.MergeCond)
	add("Index Cond", n.IndexCond)
	add("Recheck Cond", n.RecheckCond)
	add("TID Cond", extraText(n.Extra["TID Cond"]))
	add("Order By", extraText(n.Extra["Order By"]))
	add("Join Filter", n.JoinFilter)
	add("Filter", n.Filter)
	add("One-Time Filter", extraText(n.Extra["One-Time Filter"]))
	add("Cache Key", extraText(n.Extra["Cache Key"]))
	add("Conflict Resolution", extraText(n.Extra["Conflict Resolution"]))
	add("Conflict Arbiter Indexes", extraText(n.Extra["Conflict Arbiter Indexes"]))
	if n.SubplansRemoved > 0 {
		add("Subplans Removed", strconv.Itoa(n.SubplansRemoved))
	}
	if n.WorkersPlanned > 0 {
		add("Workers Planned", strconv.Itoa(n.WorkersPlanned))
	}
	if len(props) > 0 {
		b.WriteString(" [" + strings.Join(props, "; ") + "]")
	}
	return b.String()
}

// Label is the node's name as text EXPLAIN prints it: "HashAggregate" for an
// Aggregate with the Hashed strategy, "Hash Left Join", "Nested Loop Semi
// Join", "Index Scan Backward", "Parallel Seq Scan", "Partial
// GroupAggregate", "Update" for a ModifyTable, and so on.
func (n *Node) Label() string {
	label := n.NodeType
	switch n.NodeType {
	case "Aggregate":
		switch n.Strategy {
		case "Sorted":
			label = "GroupAggregate"
		case "Hashed":
			label = "HashAggregate"
		case "Mixed":
			label = "MixedAggregate"
		}
	case "SetOp":
		if n.Strategy == "Hashed" {
			label = "HashSetOp"
		}
		if cmd, ok := n.Extra["Command"].(string); ok && cmd != "" {
			label += " " + cmd
		}
	case "ModifyTable":
		if n.Operation != "" {
			label = n.Operation
		}
	case "Nested Loop":
		if n.JoinType != "" && n.JoinType != "Inner" {
			label += " " + n.JoinType + " Join"
		}
	case "Merge Join", "Hash Join":
		if n.JoinType != "" && n.JoinType != "Inner" {
			label = strings.TrimSuffix(label, " Join") + " " + n.JoinType + " Join"
		}
	case "Custom Scan":
		if provider, ok := n.Extra["Custom Plan Provider"].(string); ok && provider != "" {
			label += " (" + provider + ")"
		}
	case "Index Scan", "Index Only Scan":
		if n.ScanDirection == "Backward" {
			label += " Backward"
		}
	}
	if n.PartialMode == "Partial" || n.PartialMode == "Finalize" {
		label = n.PartialMode + " " + label
	}
	if n.ParallelAware {
		label = "Parallel " + label
	}
	return label
}

// target is what the node reads or writes, as text EXPLAIN shows it after
// "on": a relation (schema-qualified under VERBOSE) with its alias when it
// differs, a CTE, a function, an index for a Bitmap Index Scan, or an alias.
func (n *Node) target() string {
	name := n.RelationName
	if name != "" && n.Schema != "" {
		name = n.Schema + "." + name
	}
	if name == "" {
		name = n.CTEName
	}
	if name == "" {
		name = n.FunctionName
	}
	if name == "" {
		if s, ok := n.Extra["Tuplestore Name"].(string); ok {
			name = s
		}
	}
	if name == "" && n.NodeType == "Bitmap Index Scan" {
		return n.IndexName
	}
	switch {
	case name == "":
		return n.Alias
	case n.Alias != "" && n.Alias != n.RelationName && n.Alias != name:
		return name + " " + n.Alias
	default:
		return name
	}
}

// extraText renders an Extra value on one line: strings as they are, lists
// of strings joined with ", ", anything else as compact JSON (object keys
// sorted, so the text is deterministic).
func extraText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return jsonText(v)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	default:
		return jsonText(v)
	}
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// ShapeName reduces a shape line (see Shape) to the node's name: "  Inner: Index Scan
// using users_pkey on users u [Index Cond: (id = o.user_id)]" becomes
// "Index Scan using users_pkey on users u".
func ShapeName(line string) string {
	s := strings.TrimLeft(line, " ")
	if rel, rest, found := strings.Cut(s, ": "); found && isRelationship(rel) {
		s = rest
	}
	if i := strings.Index(s, " ["); i >= 0 {
		s = s[:i]
	}
	return s
}

// ShapeDepth is the depth of a shape line: two spaces per level.
func ShapeDepth(line string) int {
	return (len(line) - len(strings.TrimLeft(line, " "))) / 2
}

// ShapeRelationship is the parent relationship a shape line starts with
// (Outer, Inner, Member, InitPlan 1 (returns $0), CTE x, ...), or "".
func ShapeRelationship(line string) string {
	rel, _, found := strings.Cut(strings.TrimLeft(line, " "), ": ")
	if found && isRelationship(rel) {
		return rel
	}
	return ""
}

func isRelationship(s string) bool {
	switch s {
	case "Outer", "Inner", "Member", "Subquery", "InitPlan", "SubPlan":
		return true
	}
	return strings.HasPrefix(s, "InitPlan ") || strings.HasPrefix(s, "SubPlan ") || strings.HasPrefix(s, "CTE ")
}
