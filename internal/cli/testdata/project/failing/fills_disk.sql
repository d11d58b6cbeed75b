SELECT a.id FROM accounts a JOIN events e ON e.a = a.region ORDER BY a.note, e.id
