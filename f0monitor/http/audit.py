"""The audit trail written from a request: who (the current user) and from where (the address).

Pages and API views both call these; the trail itself is ``services.audit``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from ..data.models import Patient
from ..domain.clock import utcnow
from ..services import audit


def _ip() -> str | None:
    return (request.remote_addr or "")[:45] or None


def client_ip() -> str | None:
    """Return the request's address as the audit trail stores it."""
    return _ip()


def audit_patient(
    session: Session, patient: Patient | int, action: str, detail: str | None = None
) -> None:
    """Record that the current user read or changed a patient's record, and from where.

    The one way pages and API views write the audit trail (a patient or a patient id).
    """
    audit.record(
        session,
        user_id=current_user.id,
        patient_id=patient if isinstance(patient, int) else patient.id,
        action=action,
        now=utcnow(),
        ip=_ip(),
        detail=(detail or "")[:255] or None,
    )


def audit_export(session: Session, first: date, last: date, area: Any, *, publication: bool = False,
                 action: str = "export_caseload", fmt: str = "csv") -> None:
    """Record that the current user exported the caseload (no patient: aggregates)."""
    detail = f"{first.isoformat()}..{last.isoformat()} province={area.province_code} wards={','.join(map(str, area.ward_codes))}"
    if publication:
        detail += " publication"
    if fmt != "csv":
        detail += f" format={fmt}"
    _record_download(session, action, detail)


def audit_line_list(session: Session, action: str, filters: str, fmt: str) -> None:
    """Record that the current user began downloading a line list (personal data).

    Recorded once, when the download starts: how many rows it holds is not known then. The
    detail names the filters and the format, never a patient.
    """
    _record_download(session, action, f"{filters} format={fmt}")


def _record_download(session: Session, action: str, detail: str) -> None:
    """An audit row of the current user's download, naming no patient."""
    audit.record(session, user_id=current_user.id, patient_id=None, action=action, now=utcnow(), ip=_ip(),
                 detail=detail[:255])
