-- numeric(10,2) to numeric(12,2) is binary compatible; to bigint it is not.
ALTER TABLE orders ALTER COLUMN total TYPE bigint USING (total * 100)::bigint;
