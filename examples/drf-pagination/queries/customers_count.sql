-- GET /api/customers/?page=3: the paginator's count.
SELECT COUNT(*) AS "__count" FROM "customers"
