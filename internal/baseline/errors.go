package baseline

import "fmt"

// rerecord is the fix that works for any damaged or outdated baseline.
const rerecord = "fix it or re-record it with `plangate baseline`"

// NotFoundError reports a baseline file that does not exist. It unwraps to
// the underlying error, so errors.Is(err, fs.ErrNotExist) holds.
type NotFoundError struct {
	Path string
	Err  error
}

// Error says the file is missing and how to create it.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("baseline: %s: no such file: record one with `plangate baseline`", e.Path)
}

// Unwrap returns the error from the file system.
func (e *NotFoundError) Unwrap() error { return e.Err }

// DecodeError reports a baseline file that is not a valid baseline: bad
// JSON, an unknown key, a wrong type, a duplicate query.
type DecodeError struct {
	Path string
	// Line is the 1-based line of the problem, or 0 when it has none.
	Line int
	// Problem says what is wrong, e.g. `unknown key "metricz" in a query`.
	Problem string
}

// Error names the file, the line and the problem, and how to fix it.
func (e *DecodeError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("baseline: %s: line %d: %s: %s", e.Path, e.Line, e.Problem, rerecord)
	}
	return fmt.Sprintf("baseline: %s: %s: %s", e.Path, e.Problem, rerecord)
}

// VersionError reports a baseline written in a format version this plangate
// does not read.
type VersionError struct {
	Path    string
	Version int
}

// Error says which version the file has and what to do about it.
func (e *VersionError) Error() string {
	if e.Version > FormatVersion {
		return fmt.Sprintf("baseline: %s: format_version %d is newer than this plangate reads (%d): upgrade plangate",
			e.Path, e.Version, FormatVersion)
	}
	return fmt.Sprintf("baseline: %s: format_version %d is not a valid version (this plangate reads %d): %s",
		e.Path, e.Version, FormatVersion, rerecord)
}
