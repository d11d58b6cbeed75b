-- Production-sized data for the blog API, deterministic (no random()): every
-- run seeds the same rows. 20 000 authors, 200 000 articles (one in five a
-- draft), 1 000 000 comments, spread unevenly over the articles.
INSERT INTO authors (id, name, email, created_at)
SELECT g,
       'author ' || g,
       'author' || g || '@example.com',
       timestamptz '2018-01-01' + (g * 97 % 2000) * interval '1 day'
FROM generate_series(1::bigint, 20000) AS g;

INSERT INTO articles (id, author_id, title, status, published_at, body)
SELECT g,
       1 + (g * 7919) % 20000,
       'article ' || g,
       CASE WHEN g % 5 = 0 THEN 'draft' ELSE 'published' END,
       timestamptz '2019-01-01' + g * interval '6 minutes',
       repeat('lorem ipsum ', 10 + (g % 40)::int)
FROM generate_series(1::bigint, 200000) AS g;

INSERT INTO comments (id, article_id, author_id, body, created_at)
SELECT g,
       -- Recent articles draw most of the comments.
       200000 - ((g * 104729) % 200000) * ((g * 31) % 7 + 1) / 7,
       1 + (g * 6151) % 20000,
       'comment ' || g,
       timestamptz '2019-01-01' + g * interval '40 seconds'
FROM generate_series(1::bigint, 1000000) AS g;
