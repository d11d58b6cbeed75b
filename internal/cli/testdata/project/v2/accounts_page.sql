SELECT id, note FROM accounts ORDER BY note
