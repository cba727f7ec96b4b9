"""closing the loop: support requests, department tasks, warning-letter follow-ups

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-07 02:30:00

Issue 13. A station asks a unit for support (seed 003) and the request runs clocks; cases
dispatched to departments become tasks with a service level (seed 001); every warning letter
starts a visit schedule (seed 000, 告诫必访). ``app_user.unit_code`` names the unit a
``support_unit`` user answers for. Two units are configured to begin with (治安管理大队 and
指挥中心); more are rows of ``support_unit``.

Every table that refers to an incident carries ``incident_no`` (co-location on Citus).
Rows that several people change carry a ``version``: a change is written only where the
version read is still the stored one (optimistic concurrency, the same on both backends).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('app_user', sa.Column('unit_code', sa.String(32), nullable=True))
    op.create_table(
        'support_unit',
        sa.Column('code', sa.String(32), primary_key=True),
        sa.Column('name_zh', sa.String(100), nullable=False),
        sa.Column('name_en', sa.String(100), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.bulk_insert(
        sa.table('support_unit', sa.column('code', sa.String), sa.column('name_zh', sa.String),
                 sa.column('name_en', sa.String), sa.column('active', sa.Boolean)),
        [
            {'code': 'ZAGL', 'name_zh': '治安管理大队', 'name_en': 'Public Order Brigade',
             'active': True},
            {'code': 'ZHZX', 'name_zh': '指挥中心', 'name_en': 'Command Centre', 'active': True},
        ],
    )
    op.create_table(
        'support_request',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('station_code', sa.String(32), sa.ForeignKey('station.code'), nullable=False),
        sa.Column('unit_code', sa.String(32), sa.ForeignKey('support_unit.code'),
                  nullable=False),
        sa.Column('subject_kind', sa.String(16), nullable=False),
        sa.Column('incident_id', sa.Integer(),
                  sa.ForeignKey('incident.id', ondelete='SET NULL'), nullable=True),
        sa.Column('incident_no', sa.String(64), nullable=True),
        sa.Column('reason_codes', sa.String(200), nullable=False),
        sa.Column('reason_text', sa.String(500), nullable=False),
        sa.Column('urgency', sa.String(16), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('requested_by', sa.String(64), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('clock_started_at', sa.DateTime(), nullable=False),
        sa.Column('response_due_at', sa.DateTime(), nullable=False),
        sa.Column('responded_at', sa.DateTime(), nullable=True),
        sa.Column('support_started_at', sa.DateTime(), nullable=True),
        sa.Column('feedback_at', sa.DateTime(), nullable=True),
        sa.Column('feedback_text', sa.String(1000), nullable=True),
        sa.Column('decline_reason', sa.String(500), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('reopened', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
    )
    op.create_index('ix_support_request_unit_state', 'support_request', ['unit_code', 'state'])
    op.create_index('ix_support_request_station', 'support_request',
                    ['station_code', 'requested_at'])
    op.create_index('ix_support_request_incident_no', 'support_request', ['incident_no'])
    op.create_table(
        'support_request_incident',
        sa.Column('request_id', sa.Integer(),
                  sa.ForeignKey('support_request.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('incident_id', sa.Integer(),
                  sa.ForeignKey('incident.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('incident_no', sa.String(64), nullable=False),
    )
    op.create_index('ix_support_linked_incident_no', 'support_request_incident',
                    ['incident_no'])
    op.create_table(
        'support_request_event',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('request_id', sa.Integer(),
                  sa.ForeignKey('support_request.id', ondelete='CASCADE'), nullable=False),
        sa.Column('incident_no', sa.String(64), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('action', sa.String(16), nullable=False),
        sa.Column('from_state', sa.String(16), nullable=True),
        sa.Column('to_state', sa.String(16), nullable=False),
        sa.Column('note', sa.String(1000), nullable=True),
    )
    op.create_index('ix_support_request_event_request', 'support_request_event',
                    ['request_id', 'at'])
    op.create_table(
        'department_task',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('incident_id', sa.Integer(),
                  sa.ForeignKey('incident.id', ondelete='CASCADE'), nullable=False),
        sa.Column('incident_no', sa.String(64), nullable=False),
        sa.Column('station_code', sa.String(32), nullable=True),
        sa.Column('department', sa.String(32), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('last_action', sa.String(32), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
    )
    op.create_index('ix_department_task_incident_no', 'department_task', ['incident_no'])
    op.create_index('ix_department_task_station', 'department_task',
                    ['station_code', 'department', 'state'])
    op.create_table(
        'warning_follow_up',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('incident_id', sa.Integer(),
                  sa.ForeignKey('incident.id', ondelete='CASCADE'), nullable=False),
        sa.Column('incident_no', sa.String(64), nullable=False),
        sa.Column('station_code', sa.String(32), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('first_visit_days', sa.Integer(), nullable=False),
        sa.Column('interval_days', sa.Integer(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('victim_key', sa.String(64), nullable=True),
        sa.Column('offender_key', sa.String(64), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.UniqueConstraint('incident_id', name='uq_warning_follow_up_incident'),
    )
    op.create_index('ix_warning_follow_up_incident_no', 'warning_follow_up', ['incident_no'])
    op.create_index('ix_warning_follow_up_station', 'warning_follow_up',
                    ['station_code', 'issued_at'])


def downgrade() -> None:
    for table in ('warning_follow_up', 'department_task', 'support_request_event',
                  'support_request_incident', 'support_request', 'support_unit'):
        op.drop_table(table)
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('unit_code')
