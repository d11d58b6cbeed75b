-- A new column with a volatile default: every row gets its own value, so the
-- table is rewritten under ACCESS EXCLUSIVE.
ALTER TABLE customers ADD COLUMN verified_at timestamptz DEFAULT clock_timestamp();
