"""The audit trail of reads and changes of patient records (Decree 13/2023/NĐ-CP)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..data.models import AuditEvent


def record(
    session: Session,
    *,
    user_id: int | None,
    patient_id: int | None,
    action: str,
    now: datetime,
    ip: str | None = None,
    detail: str | None = None,
) -> None:
    """Add one audit event to the current transaction."""
    session.add(
        AuditEvent(
            at=now, user_id=user_id, patient_id=patient_id, action=action, detail=detail, ip=ip
        )
    )
