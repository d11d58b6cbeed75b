INSERT INTO accounts SELECT g, g % 50, (g * 7919) % 100000, md5(g::text) || md5((-g)::text) FROM generate_series(1, 120000) g;
INSERT INTO events SELECT g, 1 + (g * 31) % 120000, g % 300, g % 300 FROM generate_series(1, 100000) g;
