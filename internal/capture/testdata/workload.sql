-- Sent by psql (simple protocol) while makelogs.sh records the server's log.
CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, name text, note text);
CREATE TABLE IF NOT EXISTS notes (customer_id int, body text, city text);
INSERT INTO customers VALUES (7, 'O''Brien', 'first') ON CONFLICT DO NOTHING;
BEGIN;
SET LOCAL work_mem = '64MB';
SELECT c.id,
       c.name
  FROM customers c
 WHERE c.name = 'Zoë 東京 🐘'
   AND c.note <> E'two\nlines';
COMMIT;
SHOW work_mem;
/* orders.list */ WITH recent AS (SELECT * FROM notes) SELECT count(*) FROM recent;
SELECT * FROM no_such_table;
CHECKPOINT;
