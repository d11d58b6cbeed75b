UPDATE accounts SET score = score + 1
