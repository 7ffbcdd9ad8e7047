"""The epidemic curve in the rollup: patients by day of positive test and ward.

``caseload_days.positive_tests`` counts the patients whose positive test fell on that day
(``patients.positive_test_date``), by ward; the rollup keeps it at registration (services.
rollup) and ``flask rebuild-rollup`` recomputes it. The department's daily report reads the
curve from there (a few rows per day and ward) instead of grouping every patient of the
province (~120 ms at 300,000 on PostgreSQL). The upgrade fills it from the patients already
there, in one grouped statement.

Revision ID: 0004_dashboard
Revises: 0003_rollup
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_dashboard"
down_revision = "0003_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("caseload_days", schema=None) as batch_op:
        batch_op.add_column(sa.Column("positive_tests", sa.Integer(), nullable=False, server_default="0"))
    # One row per (day, ward); "WHERE 1 = 1" lets SQLite parse INSERT ... SELECT ... ON CONFLICT.
    op.execute(
        "INSERT INTO caseload_days (day, ward_code, province_code, positive_tests) "
        "SELECT positive_test_date, ward_code, MIN(province_code), COUNT(*) FROM patients "
        "WHERE 1 = 1 AND positive_test_date IS NOT NULL GROUP BY positive_test_date, ward_code "
        "ON CONFLICT (day, ward_code) DO UPDATE SET positive_tests = excluded.positive_tests"
    )


def downgrade() -> None:
    with op.batch_alter_table("caseload_days", schema=None) as batch_op:
        batch_op.drop_column("positive_tests")
