"""Schema revisions of the liquidation engine (Alembic); applied at start by shared.migrations."""
