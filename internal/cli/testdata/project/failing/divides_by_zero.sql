SELECT id / (region - region) FROM accounts
