SELECT id, note AS body FROM accounts ORDER BY id LIMIT 20
