-- The default partition first proves, by a validated CHECK constraint, that
-- it holds no April rows (validated under SHARE UPDATE EXCLUSIVE, which lets
-- reads and writes through), and April's table proves its range the same way:
-- the ATTACH then scans neither under its lock.
SET lock_timeout = '3s';
CREATE TABLE events_2025_04 (LIKE events INCLUDING ALL);
ALTER TABLE events_2025_04 ADD CONSTRAINT events_2025_04_range CHECK (created_at >= '2025-04-01' AND created_at < '2025-05-01');
ALTER TABLE events_default ADD CONSTRAINT events_default_not_april CHECK (created_at < '2025-04-01' OR created_at >= '2025-05-01') NOT VALID;
ALTER TABLE events_default VALIDATE CONSTRAINT events_default_not_april;
ALTER TABLE events ATTACH PARTITION events_2025_04 FOR VALUES FROM ('2025-04-01') TO ('2025-05-01');
