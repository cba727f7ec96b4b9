"""places: communities, compounds, urban villages, landmarks and roads, to name cells by

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:10:00

A ``place`` table (issue 11): what ``python app.py places FILE`` loads and the demo ships.
Geometry is GeoJSON text in WGS-84, as the stations' boundaries are; small enough to be read
whole by every worker.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'place',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('name_zh', sa.String(100), nullable=False),
        sa.Column('name_en', sa.String(100), nullable=True),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('geometry_geojson', sa.Text(), nullable=False),
        sa.Column('station_code', sa.String(32), nullable=True),
        sa.Column('source', sa.String(200), nullable=False),
    )
    op.create_index('ix_place_kind', 'place', ['kind'])
    op.create_index('ix_place_source', 'place', ['source'])


def downgrade() -> None:
    op.drop_index('ix_place_source', table_name='place')
    op.drop_index('ix_place_kind', table_name='place')
    op.drop_table('place')
