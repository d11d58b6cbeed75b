SELECT count(*) FROM events WHERE kind = 'buy' AND created_at >= '2025-03-01';
