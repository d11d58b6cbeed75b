SELECT id FROM events WHERE a = 7 AND b = 7
