"""Decree 13 lifecycle: consent withdrawal and anonymisation of patients; an append-only audit.

Revision ID: 0003_hardening
Revises: 0003_workspaces
"""

import sqlalchemy as sa
from alembic import op

import f0monitor.data.types
from f0monitor.data import append_only

revision = "0003_hardening"
down_revision = "0003_workspaces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_withdrawn_at", f0monitor.data.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", f0monitor.data.types.UTCDateTime(), nullable=True))
    append_only.execute(op.get_bind(), create=True)


def downgrade() -> None:
    append_only.execute(op.get_bind(), create=False)
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("consent_withdrawn_at")
