"""Alembic environment: runs on the connection handed over by ``data.database.upgrade``."""

from alembic import context
from sqlalchemy import create_engine

from data.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on the given connection, or on ``sqlalchemy.url`` from the CLI."""
    connection = config.attributes.get("connection")
    if connection is None:
        from data.settings import database_url

        with create_engine(
            config.get_main_option("sqlalchemy.url") or database_url()
        ).begin() as conn:
            context.configure(
                connection=conn, target_metadata=target_metadata, render_as_batch=True
            )
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run_migrations()
