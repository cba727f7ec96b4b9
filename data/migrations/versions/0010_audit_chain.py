"""audit hash chain, its head row, login throttling by address, indexes for reveal limits

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:40:00

Each audit event gets ``prev_hash`` (the hash of the event before it) and ``row_hash`` (a keyed
hash over ``prev_hash`` and its own content, see :mod:`data.audit_chain`): a deleted, changed
or inserted row breaks the chain. ``audit_chain`` holds the head (last id, last hash, rows)
and is the lock every writer takes first, so concurrent writers append one after the other
and never fork the chain. Existing events are chained here, in id order (the append-only
triggers are lifted for that and put back).

Two indexes serve per-user and per-address counts in the trail (reveals, refusals).
``login_throttle`` counts failed logins per source address; ``app_user.failed_from`` keeps the
addresses of an account's current run of failures (a lock needs two of them).
``storage_probe`` is one row that ``/healthz`` rewrites to learn whether the storage still
takes writes (:mod:`data.storage`).
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_TRIGGERS_SQLITE = ('audit_event_no_update', 'audit_event_no_delete')
_MESSAGE = "audit_event is append-only"


def _lift_triggers(dialect: str) -> None:
    if dialect == 'sqlite':
        for name in _TRIGGERS_SQLITE:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    else:
        op.execute('ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change')


def _restore_triggers(dialect: str) -> None:
    if dialect == 'sqlite':
        op.execute(f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
            BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""")
        op.execute(f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
            BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""")
    else:
        op.execute('ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change')


def upgrade() -> None:
    from data.audit_chain import GENESIS, row_hash

    bind = op.get_bind()
    dialect = bind.dialect.name
    with op.batch_alter_table('audit_event') as batch:
        batch.add_column(sa.Column('prev_hash', sa.String(64), nullable=True))
        batch.add_column(sa.Column('row_hash', sa.String(64), nullable=True))
        batch.create_index('ix_audit_event_action_addr_at', ['action', 'remote_addr', 'at'])
        batch.create_index('ix_audit_event_action_user_at', ['action', 'user', 'at'])
    op.create_table(
        'login_throttle',
        sa.Column('remote_addr', sa.String(64), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('failed_from', sa.String(400), nullable=True))
    op.create_table(
        'storage_probe',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('probed_at', sa.DateTime(), nullable=False),
    )
    op.execute("INSERT INTO storage_probe (id, probed_at) VALUES (1, CURRENT_TIMESTAMP)")
    op.create_table(
        'audit_chain',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('last_id', sa.BigInteger(), nullable=False),
        sa.Column('last_hash', sa.String(64), nullable=False),
        sa.Column('rows', sa.BigInteger(), nullable=False),
    )
    events = sa.table(
        'audit_event',
        sa.column('id', sa.Integer), sa.column('at', sa.DateTime), sa.column('user', sa.String),
        sa.column('action', sa.String), sa.column('target', sa.String),
        sa.column('detail', sa.Text), sa.column('remote_addr', sa.String),
        sa.column('prev_hash', sa.String), sa.column('row_hash', sa.String),
    )
    # batch_alter_table on SQLite rebuilt the table: its triggers went with it.
    _lift_triggers(dialect)
    prev, last_id, count = GENESIS, 0, 0
    rows = bind.execute(
        sa.select(events.c.id, events.c.at, events.c.user, events.c.action, events.c.target,
                  events.c.detail, events.c.remote_addr).order_by(events.c.id)
    ).all()
    for row in rows:
        digest = row_hash(prev, row.at, row.user, row.action, row.target, row.detail,
                          row.remote_addr)
        bind.execute(
            sa.update(events).where(events.c.id == row.id).values(prev_hash=prev, row_hash=digest)
        )
        prev, last_id, count = digest, row.id, count + 1
    _restore_triggers(dialect)
    bind.execute(
        sa.text('INSERT INTO audit_chain (id, last_id, last_hash, rows) VALUES (1, :i, :h, :n)'),
        {'i': last_id, 'h': prev, 'n': count},
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table('audit_chain')
    op.drop_table('login_throttle')
    op.drop_table('storage_probe')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('failed_from')
    _lift_triggers(dialect)
    with op.batch_alter_table('audit_event') as batch:
        batch.drop_index('ix_audit_event_action_user_at')
        batch.drop_index('ix_audit_event_action_addr_at')
        batch.drop_column('row_hash')
        batch.drop_column('prev_hash')
    _restore_triggers(dialect)
