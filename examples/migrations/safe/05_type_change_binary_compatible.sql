-- Widening numeric's precision keeps every stored value as it is: no rewrite.
SET lock_timeout = '3s';
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);
