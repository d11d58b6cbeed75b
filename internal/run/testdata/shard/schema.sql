CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    region text NOT NULL,
    score int NOT NULL
);
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    kind text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX events_account_id ON events (account_id);
CREATE INDEX events_kind_at ON events (kind, at);
