-- Events partitioned by month, their partitions made ahead by pg_partman.
-- The partition set starts this month; the history from before it sits in
-- the default partition, where rows with no partition of their own land.
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;

CREATE TABLE events (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL
) PARTITION BY RANGE (created_at);
CREATE INDEX ON events (account_id, created_at);

SELECT partman.create_parent(
    p_parent_table => 'public.events',
    p_control => 'created_at',
    p_interval => '1 month',
    p_premake => 2,
    p_start_partition => to_char(date_trunc('month', now()), 'YYYY-MM-DD'));
