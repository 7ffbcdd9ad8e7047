"""Patients: a folded copy of the name for accent-insensitive search.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from f0monitor.domain.textfold import fold

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_search", sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f("ix_patients_name_search"), ["name_search"], unique=False)
    bind = op.get_bind()
    patients = sa.table("patients", sa.column("id", sa.Integer), sa.column("full_name", sa.String),
                        sa.column("name_search", sa.String))
    rows = bind.execute(sa.select(patients.c.id, patients.c.full_name)).all()
    if rows:
        bind.execute(
            patients.update().where(patients.c.id == sa.bindparam("b_id")).values(name_search=sa.bindparam("b_name")),
            [{"b_id": r.id, "b_name": fold(r.full_name)} for r in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_name_search"))
        batch_op.drop_column("name_search")
