"""Persistence: SQLAlchemy mappings, engine and Alembic migrations."""
