-- The column nullable and without a default (a catalog change only), then a
-- backfill in batches, each its own transaction.
SET lock_timeout = '3s';
ALTER TABLE customers ADD COLUMN verified_at timestamptz;
UPDATE customers SET verified_at = created_at WHERE id BETWEEN 1 AND 50000;
UPDATE customers SET verified_at = created_at WHERE id BETWEEN 50001 AND 100000;
UPDATE customers SET verified_at = created_at WHERE id BETWEEN 100001 AND 150000;
UPDATE customers SET verified_at = created_at WHERE id BETWEEN 150001 AND 200000;
