-- The tables behind the example blog API: authors, their articles, and the
-- comments on them.
CREATE TABLE authors (
    id         bigint PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE articles (
    id           bigint PRIMARY KEY,
    author_id    bigint NOT NULL REFERENCES authors (id),
    title        text NOT NULL,
    status       text NOT NULL,
    published_at timestamptz NOT NULL,
    body         text NOT NULL
);

CREATE INDEX articles_status_published_at_idx ON articles (status, published_at DESC, id DESC);

CREATE TABLE comments (
    id         bigint PRIMARY KEY,
    article_id bigint NOT NULL REFERENCES articles (id),
    author_id  bigint NOT NULL REFERENCES authors (id),
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX comments_article_id_idx ON comments (article_id);
