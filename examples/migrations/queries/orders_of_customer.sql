SELECT id, status, total FROM orders WHERE customer_id = 4242 ORDER BY created_at DESC LIMIT 20;
