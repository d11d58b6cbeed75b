SELECT id FROM customers WHERE email = 'customer42@example.com';
