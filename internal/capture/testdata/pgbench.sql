-- Sent by pgbench -M extended and -M prepared while makelogs.sh records the
-- server's log; :name, :note and :city come from pgbench -D.
\set id 7
SELECT id, name FROM customers WHERE id = :id AND name <> :name;
INSERT INTO notes (customer_id, body, city) VALUES (:id, :note, :city);
