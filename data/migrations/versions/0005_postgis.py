"""PostGIS geometry beside the coordinates (PostgreSQL only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 20:00:00

On PostgreSQL the incident's point and the station's jurisdiction also live as PostGIS
geometry (SRID 4326), generated from the columns the application writes (``lat``/``lng`` and
``boundary_geojson``), each with a GiST index. Generated columns cannot drift from their source
and need no write path of their own, so SQLite and PostgreSQL share every model and every
writer. SQLite has nothing to add: its spatial work is done in shapely and H3.

PostGIS must be installed in the database. The migration creates the extension when it may;
where the application's role may not (it is not the database owner), a DBA runs
``CREATE EXTENSION postgis;`` once and the migration finds it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _require_postgis(bind) -> None:
    installed = bind.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
    ).first()
    if installed:
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).first()
    if not available:
        raise RuntimeError(
            "PostGIS is not installed on this PostgreSQL server: install the server package "
            "(Debian: postgresql-15-postgis-3), then run the migration again"
        )
    try:
        with bind.begin_nested():
            bind.execute(sa.text('CREATE EXTENSION IF NOT EXISTS postgis'))
    except sa.exc.DBAPIError as err:
        database = bind.execute(sa.text('SELECT current_database()')).scalar_one()
        raise RuntimeError(
            f"PostGIS is not enabled in database {database!r} and this role may not enable "
            f"it: ask the DBA to run CREATE EXTENSION postgis; in it ({err.orig})"
        ) from None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    _require_postgis(bind)
    op.execute(
        'ALTER TABLE incident ADD COLUMN location geometry(Point, 4326) GENERATED ALWAYS AS '
        '(CASE WHEN lat IS NOT NULL AND lng IS NOT NULL '
        'THEN ST_SetSRID(ST_MakePoint(lng, lat), 4326) END) STORED'
    )
    op.execute('CREATE INDEX ix_incident_location ON incident USING gist (location)')
    op.execute(
        'ALTER TABLE station ADD COLUMN boundary geometry(Geometry, 4326) GENERATED ALWAYS AS '
        '(ST_SetSRID(ST_GeomFromGeoJSON(boundary_geojson), 4326)) STORED'
    )
    op.execute('CREATE INDEX ix_station_boundary ON station USING gist (boundary)')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX IF EXISTS ix_station_boundary')
    op.execute('ALTER TABLE station DROP COLUMN IF EXISTS boundary')
    op.execute('DROP INDEX IF EXISTS ix_incident_location')
    op.execute('ALTER TABLE incident DROP COLUMN IF EXISTS location')
