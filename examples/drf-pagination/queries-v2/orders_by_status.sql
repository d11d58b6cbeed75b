-- GET /api/orders/?status=pending: OrderViewSet.list, newest first.
-- $1 = 'pending'
SELECT "orders"."id", "orders"."customer_id", "orders"."status", "orders"."amount", "orders"."created_at"
FROM "orders"
WHERE "orders"."status" = $1
ORDER BY "orders"."created_at" DESC
LIMIT 25
