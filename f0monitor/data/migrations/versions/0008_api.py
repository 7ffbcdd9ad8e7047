"""Facilities count beds by type; the integration role (FHIR service accounts).

The one number of beds a facility had becomes its general beds (renamed columns, figures
kept); oxygen, ICU and ventilator beds are new and NULL where a facility has none. The role
CHECK constraint of users gains "integration".

Revision ID: 0003_api
Revises: 0003_calls
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_api"
down_revision = "0003_calls"
branch_labels = None
depends_on = None

_OLD_ROLES = ("patient", "volunteer", "doctor", "coordinator", "department", "admin", "facility")
_NEW_ROLES = (*_OLD_ROLES, "integration")
_NEW_TYPES = ("oxygen", "icu", "ventilator")


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.alter_column("bed_capacity", new_column_name="general_capacity",
                              existing_type=sa.Integer(), existing_nullable=False)
        batch_op.alter_column("free_beds", new_column_name="general_free",
                              existing_type=sa.Integer(), existing_nullable=False)
        for kind in _NEW_TYPES:
            batch_op.add_column(sa.Column(f"{kind}_capacity", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column(f"{kind}_free", sa.Integer(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role", type_=_role(_NEW_ROLES), existing_type=_role(_OLD_ROLES),
                              existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'integration'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role", type_=_role(_OLD_ROLES), existing_type=_role(_NEW_ROLES),
                              existing_nullable=False)
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        for kind in _NEW_TYPES:
            batch_op.drop_column(f"{kind}_free")
            batch_op.drop_column(f"{kind}_capacity")
        batch_op.alter_column("general_free", new_column_name="free_beds",
                              existing_type=sa.Integer(), existing_nullable=False)
        batch_op.alter_column("general_capacity", new_column_name="bed_capacity",
                              existing_type=sa.Integer(), existing_nullable=False)
