"""calls: the follow-up channel of a patient and its history, SMS check-ins, report channels
``sms`` and ``phone``, the contact outcome ``refused``.

Revision ID: 0003_calls
Revises: 0003_reach
"""

import sqlalchemy as sa
from alembic import op

import f0monitor.data.types

revision = "0003_calls"
down_revision = "0003_reach"
branch_labels = None
depends_on = None

OLD_CHANNELS = ("self", "staff", "api", "seed", "import")
NEW_CHANNELS = (*OLD_CHANNELS, "sms", "phone")
OLD_OUTCOMES = ("reached", "no_answer", "wrong_number", "visited")
NEW_OUTCOMES = (*OLD_OUTCOMES, "refused")


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def _swap(table, column, name, old, new):
    """Widen (or narrow) the CHECK constraint of a VARCHAR enum column."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            column, existing_type=_enum(old, name), type_=_enum(new, name), existing_nullable=False
        )


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follow_up_channel",
                _enum(("app", "sms", "phone"), "follow_up_channel"),
                nullable=False,
                server_default="app",
            )
        )
        batch_op.create_index("ix_patients_follow_up", ["follow_up_channel", "status", "last_report_at"], unique=False)
    _swap("symptom_reports", "channel", "channel", OLD_CHANNELS, NEW_CHANNELS)
    _swap("contact_logs", "outcome", "contact_outcome", OLD_OUTCOMES, NEW_OUTCOMES)
    op.create_table(
        "follow_up_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("at", f0monitor.data.types.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("from_channel", sa.String(length=8), nullable=True),
        sa.Column("to_channel", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_follow_up_changes_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_follow_up_changes_patient_id_patients"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_changes")),
    )
    with op.batch_alter_table("follow_up_changes", schema=None) as batch_op:
        batch_op.create_index("ix_follow_up_changes_patient_at", ["patient_id", "at"], unique=False)
    op.create_table(
        "sms_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", f0monitor.data.types.UTCDateTime(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("call_task_id", sa.Integer(), nullable=True),
        sa.Column("outcome", _enum(("stored", "unreadable", "stopped", "ended", "unknown_sender"), "sms_outcome"), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", f0monitor.data.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_task_id"], ["call_tasks.id"], name=op.f("fk_sms_checkins_call_task_id_call_tasks"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_sms_checkins_patient_id_patients"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["symptom_reports.id"], name=op.f("fk_sms_checkins_report_id_symptom_reports"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_checkins")),
        sa.UniqueConstraint("message_id", name=op.f("uq_sms_checkins_message_id")),
    )
    with op.batch_alter_table("sms_checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_checkins_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_checkins_patient_id"))
    op.drop_table("sms_checkins")
    with op.batch_alter_table("follow_up_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_up_changes_patient_at")
    op.drop_table("follow_up_changes")
    op.execute("DELETE FROM contact_logs WHERE outcome = 'refused'")
    _swap("contact_logs", "outcome", "contact_outcome", NEW_OUTCOMES, OLD_OUTCOMES)
    op.execute("UPDATE symptom_reports SET channel = 'staff' WHERE channel IN ('sms', 'phone')")
    _swap("symptom_reports", "channel", "channel", NEW_CHANNELS, OLD_CHANNELS)
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_follow_up")
        batch_op.drop_constraint(batch_op.f("ck_patients_follow_up_channel"), type_="check")
        batch_op.drop_column("follow_up_channel")
