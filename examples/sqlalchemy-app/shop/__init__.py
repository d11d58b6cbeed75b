"""A marketplace's product catalogue API on SQLAlchemy."""
