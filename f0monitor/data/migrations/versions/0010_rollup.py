"""The caseload rollup (services.rollup): counts per local day and ward, filled from the data.

Three tables: ``caseload_acks`` (each acknowledged alert's wait and area), ``caseload_days`` (one row per day and ward: the day's counts and the net
changes of the caseload) and ``caseload_closed_days`` (the past days whose reporters were
counted); an index on ``alerts.acknowledged_at`` for the times to acknowledge; the index of
the patients' last report gains the area's columns (province, ward, registration) so that the
overdue and missing counts are index-only scans. The upgrade
fills the rollup from the patients, assessments, alerts and reports already there (the same
code as ``flask rebuild-rollup``); at 300,000 patients that takes a while (see the report).

Revision ID: 0003_rollup
Revises: 0003_queue (the brief said 0003_api, then the head; main's 0009_queue took that
place meanwhile, and two heads would stop ``upgrade head``)
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_rollup"
down_revision = "0003_queue"
branch_labels = None
depends_on = None

_COUNTERS = (
    "new", "recovered", "transferred", "deceased", "withdrawn", "alerts_opened",
    "d_active", "d_green", "d_yellow", "d_orange", "d_red", "late_new", "late_reporters",
)


def upgrade() -> None:
    op.create_table(
        "caseload_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ward_code", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default="0")
          for name in (*_COUNTERS, "reporters")),
        sa.Column("median_minutes", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("day", "ward_code", name=op.f("pk_caseload_days")),
    )
    op.create_index("ix_caseload_days_province_day", "caseload_days", ["province_code", "day"])
    op.create_table(
        "caseload_closed_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_caseload_closed_days")),
    )
    op.create_index("ix_alerts_acknowledged_at", "alerts", ["acknowledged_at"])
    op.create_table(
        "caseload_acks",
        sa.Column("alert_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_caseload_acks")),
    )
    op.create_index("ix_caseload_acks_province_at", "caseload_acks", ["province_code", "acknowledged_at"])
    _last_report_index(["status", "last_report_at", "province_code", "ward_code", "registered_at"])
    _fill()


def _fill() -> None:
    """Fill the rollup from the existing rows (the application's rebuild, in this transaction)."""
    from sqlalchemy.orm import Session

    from f0monitor.domain.clock import utcnow
    from f0monitor.services import rollup

    session = Session(bind=op.get_bind())
    rollup.rebuild(session, now=utcnow())
    session.flush()


def _last_report_index(columns: list[str]) -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_status_last_report")
        batch_op.create_index("ix_patients_status_last_report", columns, unique=False)


def downgrade() -> None:
    _last_report_index(["status", "last_report_at"])
    op.drop_index("ix_caseload_acks_province_at", table_name="caseload_acks")
    op.drop_table("caseload_acks")
    op.drop_index("ix_alerts_acknowledged_at", table_name="alerts")
    op.drop_table("caseload_closed_days")
    op.drop_index("ix_caseload_days_province_day", table_name="caseload_days")
    op.drop_table("caseload_days")
