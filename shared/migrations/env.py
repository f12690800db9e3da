"""Alembic's environment, the same for every service: online, on the connection `upgrade` hands over."""

from shared.migrations import run_env

run_env()
