UPDATE accounts SET score = score + 1 WHERE id <= 10
