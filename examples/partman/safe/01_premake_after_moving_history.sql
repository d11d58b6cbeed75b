-- The history moved out of the partition set first: detaching the default
-- partition reads nothing, the history stays a table of its own, and the
-- new, empty default partition is what the maintenance's attaches scan.
SET lock_timeout = '5s';
ALTER TABLE events DETACH PARTITION events_default;
ALTER TABLE events_default RENAME TO events_history;
CREATE TABLE events_default PARTITION OF events DEFAULT;
UPDATE partman.part_config SET premake = 4 WHERE parent_table = 'public.events';
SELECT partman.run_maintenance('public.events');
