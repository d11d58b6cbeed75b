UPDATE orders SET status = 'archived' WHERE created_at < '2023-01-01';
