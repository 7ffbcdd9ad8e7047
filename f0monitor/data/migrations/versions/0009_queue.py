"""Indexes in the triage queue's order, and trigram search of names on PostgreSQL.

The queue reads each tier segment "longest without a report first" (services.queue): with
``(status, province_code, current_tier, last_report_at, id)`` for a province-wide view and
``(status, ward_code, current_tier, last_report_at, id)`` for staff of some wards, each
segment is an index range scan that stops after the page's rows, and the per-tier count an
index-only scan. They replace ``ix_patients_queue`` (status, province, ward, tier), whose
every use they cover. ``consent_withdrawn_at`` gets one for the queue's notice of recent
withdrawals, which scanned every patient.

On PostgreSQL a GIN trigram index (pg_trgm) serves the name search ``name_search LIKE
'%word%'``; where the extension cannot be created (no privilege), the search still works by
scanning. SQLite has no such index (a ward's or a laptop's caseload scans fast).

Revision ID: 0003_queue
Revises: 0003_api
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_queue"
down_revision = "0003_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("ix_patients_province_segment",
                              ["status", "province_code", "current_tier", "last_report_at", "id"], unique=False)
        batch_op.create_index("ix_patients_ward_segment",
                              ["status", "ward_code", "current_tier", "last_report_at", "id"], unique=False)
        batch_op.drop_index("ix_patients_queue")
        batch_op.create_index("ix_patients_consent_withdrawn", ["consent_withdrawn_at"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        available = bind.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"))
        if available:
            try:
                with bind.begin_nested():  # a savepoint: a refusal leaves the migration going
                    bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            except sa.exc.DBAPIError:  # a role without the privilege: the search scans
                return
            op.execute("CREATE INDEX IF NOT EXISTS ix_patients_name_trgm ON patients "
                       "USING gin (name_search gin_trgm_ops)")

def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_patients_name_trgm")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("ix_patients_queue", ["status", "province_code", "ward_code", "current_tier"],
                              unique=False)
        batch_op.drop_index("ix_patients_consent_withdrawn")
        batch_op.drop_index("ix_patients_ward_segment")
        batch_op.drop_index("ix_patients_province_segment")
