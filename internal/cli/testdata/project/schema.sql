CREATE TABLE accounts (
    id     int PRIMARY KEY,
    region int NOT NULL,
    score  int NOT NULL,
    note   text NOT NULL
);
CREATE INDEX accounts_region_idx ON accounts (region);

-- a and b are perfectly correlated, which the planner does not know.
CREATE TABLE events (
    id         int PRIMARY KEY,
    account_id int NOT NULL REFERENCES accounts (id),
    a          int NOT NULL,
    b          int NOT NULL
);
