"""Transfers accepted by the receiving facility, the bed type a transfer needs, facility staff.

Revision ID: 0003_workspaces
Revises: 0003_auth
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_workspaces"
down_revision = "0003_auth"
branch_labels = None
depends_on = None

OLD_STATES = ("requested", "dispatched", "arrived", "admitted", "cancelled", "refused")
NEW_STATES = ("requested", "accepted", "dispatched", "arrived", "admitted", "cancelled", "refused")
OLD_OPEN = "state IN ('requested', 'dispatched', 'arrived')"
NEW_OPEN = "state IN ('requested', 'accepted', 'dispatched', 'arrived')"
OLD_ROLES = ("patient", "volunteer", "doctor", "coordinator", "department", "admin")
NEW_ROLES = (*OLD_ROLES, "facility")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap(states: tuple[str, ...], open_where: str, old_where: str, roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index("uq_transfers_one_open", sqlite_where=sa.text(old_where),
                            postgresql_where=sa.text(old_where))
        batch_op.drop_constraint(op.f("ck_transfers_transfer_state"), type_="check")
        batch_op.create_check_constraint(op.f("ck_transfers_transfer_state"), _in("state", states))
        batch_op.create_index("uq_transfers_one_open", ["patient_id"], unique=True,
                              sqlite_where=sa.text(open_where), postgresql_where=sa.text(open_where))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), _in("role", roles))


def upgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bed_type", sa.String(length=16), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facility_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_users_facility_id_facilities"), "facilities",
                                    ["facility_id"], ["id"], ondelete="SET NULL")
    _swap(NEW_STATES, NEW_OPEN, OLD_OPEN, NEW_ROLES)


def downgrade() -> None:
    _swap(OLD_STATES, OLD_OPEN, NEW_OPEN, OLD_ROLES)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_facility_id_facilities"), type_="foreignkey")
        batch_op.drop_column("facility_id")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_column("bed_type")
