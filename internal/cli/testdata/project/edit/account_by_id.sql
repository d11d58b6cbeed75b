-- the account page
select a.id, a.region, a.score
  from accounts a
 where a.id = 42
