SELECT id, kind, created_at FROM events WHERE account_id = 42 ORDER BY created_at DESC LIMIT 50;
