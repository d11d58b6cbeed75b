-- 4 million rows: 1 million customers and 3 million orders, deterministic
-- (no random()): every run seeds the same data.
INSERT INTO customers (id, name, email, country, created_at)
SELECT g,
       'customer ' || g,
       'customer' || g || '@example.com',
       (ARRAY['US', 'DE', 'FR', 'GB', 'BR', 'IN', 'JP', 'NL'])[1 + (g * 7919) % 8],
       timestamptz '2020-01-01' + (g * 97 % 1500) * interval '1 day'
FROM generate_series(1::bigint, 1000000) AS g;

INSERT INTO orders (id, customer_id, status, amount, created_at)
SELECT g,
       1 + (g * 104729) % 1000000,
       (ARRAY['shipped', 'shipped', 'shipped', 'delivered', 'delivered', 'pending', 'cancelled'])[1 + (g * 31) % 7],
       ((g * 7477) % 50000) / 100.0,
       timestamptz '2021-01-01' + (g * 13 % 1400) * interval '1 day' + (g % 86400) * interval '1 second'
FROM generate_series(1::bigint, 3000000) AS g;
