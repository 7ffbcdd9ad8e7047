"""An index of the patients with an open alert, for the head of the triage queue.

The queue starts with the unacknowledged alerts, in the order of each patient's tier now. Each
open alert's patient was looked up among all 300,000 (12-13 ms for 1,814 open alerts on
PostgreSQL), and with fresh statistics and the tier filter PostgreSQL chose instead to read
every orange patient of the province and hash them (127,000 rows, 60 ms). The patients with an
alert (``has_open_alert``, set when an alert opens and cleared when the patient's last one is
resolved) are a few thousand: this partial index holds just them, by id, with the columns the
queue filters on, and each alert's patient is now looked up there, by id, behind a fence that
keeps the planner's statistics out of it (12-16 ms, and 10-11 ms with the tier filter:
services.queue._alerted_ids says why).

Revision ID: 0007_open_alert_index
Revises: 0006_name_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_open_alert_index"
down_revision = "0006_name_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_patients_open_alert", "patients", ["id", "status", "province_code", "ward_code", "current_tier"],
        unique=False, sqlite_where=sa.text("has_open_alert = 1"), postgresql_where=sa.text("has_open_alert"),
    )


def downgrade() -> None:
    op.drop_index("ix_patients_open_alert", table_name="patients")
