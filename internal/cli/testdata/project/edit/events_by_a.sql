SELECT id FROM events WHERE a = 7
