"""source coordinates: where a row not located said it was, apart from where layers read

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:00:00

An incident that is not ``located`` (``outside`` every jurisdiction: far away, another
province; or ``unlocated``: the ``(0, 0)`` placeholder, a point on no datum) keeps the
coordinates its source gave in ``source_lng``/``source_lat``; its ``lng``/``lat`` (what every
map and layer reads) and ``h3_cell`` stay empty. Before this revision ``outside`` rows were
stored with their converted WGS-84 point in ``lng``/``lat``: they are moved to the source
columns here (as WGS-84, the only form kept of them), so no layer reads them again. On
PostgreSQL the generated ``location`` point follows ``lng``/``lat`` and empties with them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy on SQLite): a copied table would lose the triggers
    # of revision 0006.
    op.add_column('incident', sa.Column('source_lng', sa.Float(), nullable=True))
    op.add_column('incident', sa.Column('source_lat', sa.Float(), nullable=True))
    op.execute(
        "UPDATE incident SET source_lng = lng, source_lat = lat, lng = NULL, lat = NULL, "
        "h3_cell = NULL WHERE location_state <> 'located' AND (lng IS NOT NULL OR lat IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE incident SET lng = source_lng, lat = source_lat "
        "WHERE location_state = 'outside' AND lng IS NULL"
    )
    op.drop_column('incident', 'source_lat')
    op.drop_column('incident', 'source_lng')
