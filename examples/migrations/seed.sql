INSERT INTO customers
SELECT g, 'customer' || g || '@example.com', timestamptz '2020-01-01' + g * interval '5 minutes'
FROM generate_series(1, 200000) g;

INSERT INTO orders
SELECT g, 1 + (g::bigint * 7919) % 200000, (ARRAY['paid', 'pending', 'shipped', 'refunded'])[1 + g % 4],
       (g % 50000) / 100.0, timestamptz '2021-01-01' + g * interval '1 minute'
FROM generate_series(1, 2000000) g;

-- Two months partitioned, and March's events still in the default partition:
-- the monthly maintenance job has not run yet.
INSERT INTO events
SELECT g, (ARRAY['view', 'click', 'buy'])[1 + g % 3], timestamptz '2025-01-01' + (g % (90 * 24 * 60)) * interval '1 minute'
FROM generate_series(1, 600000) g;
