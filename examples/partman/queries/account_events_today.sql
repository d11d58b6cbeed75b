SELECT kind, count(*) FROM events WHERE account_id = 42 AND created_at >= date_trunc('month', now()) GROUP BY kind;
