-- A shop at production scale: customers, their orders, and an events table
-- partitioned by month whose default partition still holds rows.
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    status text,
    total numeric(10, 2) NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE events (
    id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL
) PARTITION BY RANGE (created_at);

CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
