-- A shop: regions, customers, products, orders and their items, and an
-- events table partitioned by month whose default partition holds the
-- months before the partitioned range.
CREATE TABLE regions (
    id int PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE customers (
    id bigint PRIMARY KEY,
    region_id int NOT NULL REFERENCES regions,
    tier text NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX customers_region_id ON customers (region_id);
CREATE INDEX customers_created_at ON customers (created_at);
CREATE INDEX customers_tier ON customers (tier);

CREATE TABLE products (
    id int PRIMARY KEY,
    category text NOT NULL,
    price numeric(10, 2) NOT NULL
);
CREATE INDEX products_category ON products (category);

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    status text NOT NULL,
    total numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL,
    shipped_at timestamptz
);
CREATE INDEX orders_customer_id ON orders (customer_id);
CREATE INDEX orders_status ON orders (status);
CREATE INDEX orders_created_at ON orders (created_at);

CREATE TABLE order_items (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders,
    product_id int NOT NULL REFERENCES products,
    qty int NOT NULL
);
CREATE INDEX order_items_order_id ON order_items (order_id);
CREATE INDEX order_items_product_id ON order_items (product_id);

CREATE TABLE events (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL
) PARTITION BY RANGE (created_at);
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
CREATE TABLE events_2025_03 PARTITION OF events FOR VALUES FROM ('2025-03-01') TO ('2025-04-01');
CREATE TABLE events_2025_04 PARTITION OF events FOR VALUES FROM ('2025-04-01') TO ('2025-05-01');
CREATE TABLE events_2025_05 PARTITION OF events FOR VALUES FROM ('2025-05-01') TO ('2025-06-01');
CREATE TABLE events_2025_06 PARTITION OF events FOR VALUES FROM ('2025-06-01') TO ('2025-07-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_customer_id ON events (customer_id);
CREATE INDEX events_created_at ON events (created_at);
