-- GET /api/customers/?page=3: CustomerViewSet.list, one page of 25.
SELECT "customers"."id", "customers"."name", "customers"."email", "customers"."country", "customers"."created_at"
FROM "customers"
ORDER BY "customers"."id" ASC
LIMIT 25 OFFSET 50
