"""Alembic environment: runs on the connection handed over by `upgrade_database`."""

from alembic import context

from assistant.storage.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through upgrade_database
    raise RuntimeError("run migrations with `privacy-assistant db upgrade`")
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
