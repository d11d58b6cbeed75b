SELECT id, note FROM accounts ORDER BY id LIMIT 20
