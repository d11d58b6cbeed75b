-- April's partition attached while the default partition holds rows (March's,
-- not yet moved out): PostgreSQL scans the default partition under an ACCESS
-- EXCLUSIVE lock to prove none of them belongs to April.
CREATE TABLE events_2025_04 (LIKE events INCLUDING ALL);
ALTER TABLE events ATTACH PARTITION events_2025_04 FOR VALUES FROM ('2025-04-01') TO ('2025-05-01');
