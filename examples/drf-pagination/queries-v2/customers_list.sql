-- GET /api/customers/?page=3: CustomerViewSet.list now annotates each customer
-- with order_count=Count("orders") and total_spent=Sum("orders__amount").
SELECT "customers"."id", "customers"."name", "customers"."email", "customers"."country", "customers"."created_at",
       COUNT("orders"."id") AS "order_count", SUM("orders"."amount") AS "total_spent"
FROM "customers"
LEFT OUTER JOIN "orders" ON ("customers"."id" = "orders"."customer_id")
GROUP BY "customers"."id"
ORDER BY "customers"."id" ASC
LIMIT 25 OFFSET 50
