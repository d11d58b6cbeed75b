-- GET /api/orders/?status=pending: the paginator's count.
-- $1 = 'pending'
SELECT COUNT(*) AS "__count" FROM "orders" WHERE "orders"."status" = $1
