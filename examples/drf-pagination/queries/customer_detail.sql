-- GET /api/customers/4711/
-- $1 = 4711
SELECT "customers"."id", "customers"."name", "customers"."email", "customers"."country", "customers"."created_at"
FROM "customers"
WHERE "customers"."id" = $1
