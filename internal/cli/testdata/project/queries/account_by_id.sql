SELECT id, region, score FROM accounts WHERE id = 42
