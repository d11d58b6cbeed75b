-- The tables behind a Django REST Framework shop API: customers and their orders.
CREATE TABLE customers (
    id         bigint PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    country    char(2) NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status      text NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX orders_status_created_at_idx ON orders (status, created_at DESC);
-- Note: orders.customer_id has no index of its own (PostgreSQL does not create
-- one for a foreign key): harmless for the queries the API runs today.
