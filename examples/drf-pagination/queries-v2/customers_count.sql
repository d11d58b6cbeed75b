-- GET /api/customers/?page=3: the paginator's count, which Django wraps around
-- the annotated queryset as a subquery.
SELECT COUNT(*) FROM (
    SELECT "customers"."id" AS "col1", COUNT("orders"."id") AS "order_count", SUM("orders"."amount") AS "total_spent"
    FROM "customers"
    LEFT OUTER JOIN "orders" ON ("customers"."id" = "orders"."customer_id")
    GROUP BY 1
) subquery
