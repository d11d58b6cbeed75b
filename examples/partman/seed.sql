-- A year of history from before the partition set (in the default
-- partition), and this month's events.
INSERT INTO events
SELECT g, 1 + g % 5000, (ARRAY['view', 'click', 'buy'])[1 + g % 3],
       date_trunc('month', now()) - interval '1 year' + (g % (360 * 24 * 60)) * interval '1 minute'
FROM generate_series(1, 1000000) g;

INSERT INTO events
SELECT 1000000 + g, 1 + g % 5000, (ARRAY['view', 'click', 'buy'])[1 + g % 3],
       date_trunc('month', now()) + (g % (24 * 60)) * interval '1 minute'
FROM generate_series(1, 100000) g;
