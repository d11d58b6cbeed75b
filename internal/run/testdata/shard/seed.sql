INSERT INTO accounts (id, region, score)
SELECT g, (ARRAY['eu', 'us', 'ap'])[1 + g % 3], (g::bigint * 7919) % 1000
FROM generate_series(1, 20000) AS g;

INSERT INTO events (id, account_id, kind, at)
SELECT g, 1 + (g::bigint * 104729) % 20000, (ARRAY['click', 'view', 'view', 'buy'])[1 + g % 4],
       timestamptz '2024-01-01' + (g % 50000) * interval '1 minute'
FROM generate_series(1, 100000) AS g;
