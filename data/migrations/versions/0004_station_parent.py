"""stations nest: a station's parent area

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00

Adds ``station.parent_code`` (nullable, a station code): a Chicago beat names its district.
Stations that are some station's parent are areas; the others are leaves. Existing stations
keep no parent, so a flat set of stations stays flat.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # Not batch mode: it would drop and rebuild ``station``, which incidents refer to, and
        # SQLite refuses that with foreign keys on (they cannot be turned off inside the
        # migration's transaction). SQLite adds a nullable REFERENCES column in place.
        op.execute(
            'ALTER TABLE station ADD COLUMN parent_code VARCHAR(32) REFERENCES station (code)'
        )
        return
    op.add_column('station', sa.Column('parent_code', sa.String(length=32), nullable=True))
    op.create_foreign_key(
        'fk_station_parent_code_station', 'station', 'station', ['parent_code'], ['code']
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE station DROP COLUMN parent_code')
        return
    op.drop_constraint('fk_station_parent_code_station', 'station', type_='foreignkey')
    op.drop_column('station', 'parent_code')
