package capture

import "bytes"

// parseStderrLog reads a log in the stderr format: each entry is a line that
// starts with the log_line_prefix and a severity ("LOG:  "), continued by
// lines that start with a tab. The values bound to an execution follow it as
// a "DETAIL:  parameters: ..." entry.
//
// With prefix nil the prefix is found from the severity; otherwise lines are
// matched against it, and those it does not match fall back to detection.
func parseStderrLog(lr *lineReader, c *logCollector, prefix *linePrefix) {
	const (
		entrySkip   = iota // an entry whose continuation lines are skipped
		entrySQL           // a statement whose text is being gathered
		entryDetail        // the parameters of the pending statement
	)
	var (
		entry = entrySkip
		// text gathers the statement or the detail, over its lines.
		text      []byte
		group     []byte
		entryLine int
		// pending is the index of the statement that a "parameters:"
		// detail on the next entry belongs to, or -1.
		pending = -1
	)
	finish := func() {
		switch entry {
		case entrySQL:
			pending = c.add(text, group, entryLine)
		case entryDetail:
			c.setParams(pending, text)
			pending = -1
		}
		entry = entrySkip
	}

	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if len(line) > 0 && line[0] == '\t' {
			if entry != entrySkip {
				text = append(text, '\n')
				text = append(text, line[1:]...)
			}
			continue
		}
		finish()

		var (
			sev      severity
			msgStart int
			app      []byte
			matched  = prefix == nil
		)
		if prefix != nil {
			if m, ok := prefix.match(line); ok {
				sev, msgStart, app, matched = m.sev, m.msgStart, m.app, true
			}
		}
		if sev == sevNone {
			var sevStart int
			if sevStart, sev, msgStart = findSeverity(line); sev == sevNone {
				pending = -1
				continue
			}
			if prefix == nil {
				// The whole prefix, searched for a labeled
				// application_name on statement lines only.
				app = line[:sevStart]
			}
		}
		c.logLines++
		msg := line[msgStart:]

		switch sev {
		case sevLog:
			pending = -1
			sql, kind := loggedStatement(msg)
			if kind == notStatement {
				continue
			}
			c.stmtLines++
			if !matched {
				if c.prefixMisses == 0 {
					c.prefixMiss = lr.line
				}
				c.prefixMisses++
			}
			if kind != statementText {
				continue
			}
			if prefix == nil {
				app = labeledApp(app)
			}
			entry, entryLine = entrySQL, lr.line
			text = append(text[:0], sql...)
			group = append(group[:0], app...)
		case sevDetail:
			if pending >= 0 && bytes.HasPrefix(msg, []byte("parameters: ")) {
				entry = entryDetail
				text = append(text[:0], msg...)
			} else {
				pending = -1
			}
		default:
			pending = -1
		}
	}
	finish()
}
