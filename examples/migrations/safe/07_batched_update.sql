UPDATE orders SET status = 'archived' WHERE created_at < '2021-01-20' AND id BETWEEN 1 AND 25000;
UPDATE orders SET status = 'archived' WHERE created_at < '2021-01-20' AND id BETWEEN 25001 AND 50000;
