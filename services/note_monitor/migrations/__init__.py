"""Schema revisions of the note monitor (Alembic); applied at start by shared.migrations."""
