"""Where the database is, and the sessions the request handlers use."""

import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


class NoDatabase(Exception):
    """Neither DATABASE_URL nor PGHOST/PGDATABASE says where the database is."""


def database_url():
    """The SQLAlchemy URL of the database: DATABASE_URL, else libpq's PG* variables."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):
        # Hosting platforms and tools hand out postgres:// URLs; SQLAlchemy
        # 1.4 only accepts the postgresql:// scheme.
        url = "postgresql://" + url[len("postgres://"):]
    if url:
        return url
    if os.environ.get("PGHOST") or os.environ.get("PGDATABASE"):
        # An empty URL lets libpq read PGHOST, PGPORT, PGUSER, ... itself.
        return "postgresql+psycopg2://"
    raise NoDatabase("set DATABASE_URL (or PGHOST and friends) to a PostgreSQL database")


def make_engine(url=None, **kwargs):
    """An engine for url, by default the configured database."""
    return create_engine(url or database_url(), future=True, **kwargs)


def make_sessionmaker(engine):
    """Sessions bound to engine, one per request."""
    return sessionmaker(bind=engine, future=True)
