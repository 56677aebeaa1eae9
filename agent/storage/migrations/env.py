"""Alembic environment: migrations run on the connection the store hands over (see
agent.storage.database.migrate); there is no alembic.ini."""

from __future__ import annotations

from alembic import context

from agent.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
