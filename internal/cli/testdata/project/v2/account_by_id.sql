SELECT id, region, score FROM accounts WHERE score = 42
