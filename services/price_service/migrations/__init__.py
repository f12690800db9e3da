"""Schema revisions of the price service (Alembic); applied at start by shared.migrations."""
