"""Alembic environment: run by storage/migrate.py on a connection it passes in."""

from alembic import context

from backchannel.storage.migrate import run_migrations_online

run_migrations_online(context)
