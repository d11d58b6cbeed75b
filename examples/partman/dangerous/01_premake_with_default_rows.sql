-- Partitions made four months ahead instead of two: pg_partman's maintenance
-- creates and attaches each new month, and PostgreSQL scans the default
-- partition (a year of history, a million rows) under an ACCESS EXCLUSIVE
-- lock for every attach, so nothing reads or writes events meanwhile.
SET lock_timeout = '5s';
UPDATE partman.part_config SET premake = 4 WHERE parent_table = 'public.events';
SELECT partman.run_maintenance('public.events');
