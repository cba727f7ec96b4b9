"""incident_no on the incident's children (for Citus co-location)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:30:00

``status_event`` and ``follow_up_visit`` carry the ``incident_no`` of their incident beside its
id. On a Citus cluster (docs/scaling.md) ``incident`` is distributed by ``incident_no`` and its
children are co-located with it, which needs the distribution column in every child row and in
their foreign key; on SQLite and plain PostgreSQL the column is simply there, filled by the
writers in the same transaction. Existing rows get the number of their incident.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_CHILDREN = ('status_event', 'follow_up_visit')


def upgrade() -> None:
    for table in _CHILDREN:
        op.add_column(table, sa.Column('incident_no', sa.String(64), nullable=True))
        op.execute(
            f'UPDATE {table} SET incident_no = '
            f'(SELECT incident_no FROM incident WHERE incident.id = {table}.incident_id)'
        )
        with op.batch_alter_table(table) as batch:
            batch.alter_column('incident_no', existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    for table in _CHILDREN:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('incident_no')
