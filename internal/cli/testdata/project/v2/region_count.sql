-- $1 = 3
SELECT count(*) FROM accounts WHERE region = $1
