// Package capture turns the places SQL is found (query files, capture JSONL,
// PostgreSQL logs, the recording proxy) into Statements.
package capture

import "encoding/json"

// Statement is one SQL statement to replay, as captured from an application
// or written by hand.
type Statement struct {
	// Name is the explicit name of the query (a file stem, a "-- name:"
	// comment, a JSONL name); empty when the source gives none.
	Name string `json:"name,omitempty"`
	// SQL is the statement text, exactly as captured.
	SQL string `json:"sql"`
	// Params are the bound values for $1..$n, in order.
	Params []Param `json:"params,omitempty"`
	// Group is the test or endpoint that issued the statement, if known.
	Group string `json:"group,omitempty"`
	// Source says where the statement came from, as "path:line".
	Source string `json:"source,omitempty"`
	// Count is how many times the statement was seen; zero means once.
	Count int `json:"count,omitempty"`
}

// Param is one bound parameter in PostgreSQL's text format.
type Param struct {
	// Value is the text form of the value; ignored when Null is set.
	Value string
	// Null marks an SQL NULL.
	Null bool
}

// MarshalJSON writes a parameter as the capture format does: a string, or
// null.
func (p Param) MarshalJSON() ([]byte, error) {
	if p.Null {
		return []byte("null"), nil
	}
	return json.Marshal(p.Value)
}
