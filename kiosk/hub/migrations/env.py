"""Alembic environment: the connection comes from ``kiosk.hub.migrate.upgrade``."""

from alembic import context

from kiosk.hub.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
