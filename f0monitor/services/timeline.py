"""A patient's timeline: one list, newest first, of everything that happened to them
(api.md ``GET /api/v1/patients/{id}/timeline``): reports (with their channel), assessments,
alerts, messages (reminders, escalations, confirmations, advice), call tasks, transfers and
contact notes. Items are plain dicts of codes (the edge translates labels)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ..data.models import (
    Alert,
    CallTask,
    ContactLog,
    OutboxMessage,
    SymptomReport,
    Transfer,
    User,
)
from ..domain import vitals

KINDS = ("report", "assessment", "alert", "message", "call", "transfer", "note")


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.full_name}


def _newest(session: Session, model: Any, column: Any, patient_id: int, limit: int, *options: Any) -> list[Any]:
    q = sa.select(model).where(model.patient_id == patient_id).order_by(column.desc(), model.id.desc())
    for option in options:
        q = q.options(option)
    return list(session.scalars(q.limit(limit)))


def timeline(
    session: Session, patient_id: int, *, page: int = 1, per_page: int = 50,
    reports: list[SymptomReport] | None = None, all_reports: bool = False, count: bool = True,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the patient's timeline and the total number of items.

    ``reports``: the patient's newest reports with their assessments, newest first, when the
    caller has them already (the staff page reads 60 for its charts); used when they reach
    the page or are all there are (``all_reports``). ``count=False`` skips the total (None
    then), which a page without paging does not show.
    """
    need = page * per_page
    items: list[dict[str, Any]] = []
    users: dict[int, User | None] = {}

    def user(uid: int | None) -> dict[str, Any] | None:
        if uid is None:
            return None
        if uid not in users:
            users[uid] = session.get(User, uid)
        return _person(users[uid])

    if reports is None or (len(reports) < need and not all_reports):
        reports = _newest(session, SymptomReport, SymptomReport.reported_at, patient_id, need,
                          selectinload(SymptomReport.assessment))
    for r in reports[:need]:
        items.append({"at": r.reported_at, "kind": "report", "id": r.id, "channel": r.channel,
                      "slot": r.slot, "entered_by": user(r.entered_by_id),
                      "values": {k: v for k, v in vitals.values_of(r).items() if v is not None},
                      "symptoms": list(r.symptoms or [])})
        a = r.assessment
        if a is not None:
            items.append({"at": a.assessed_at, "kind": "assessment", "id": a.id, "report_id": r.id,
                          "tier": a.tier, "alert": a.alert, "rules_version": a.rules_version,
                          "warning_signs": [w.get("code") for w in a.warning_signs or []]})
    for a in _newest(session, Alert, Alert.opened_at, patient_id, need):
        items.append({"at": a.opened_at, "kind": "alert", "id": a.id, "state": a.state,
                      "signs": list(a.reason_codes or []), "acknowledged_at": a.acknowledged_at,
                      "acknowledged_by": user(a.acknowledged_by_id), "outcome": a.outcome})
    for m in _newest(session, OutboxMessage, OutboxMessage.created_at, patient_id, need):
        items.append({"at": m.created_at, "kind": "message", "id": m.id, "purpose": m.purpose,
                      "channel": m.channel, "provider": m.provider, "status": m.status,
                      "error": m.error, "text": m.text, "attempts": m.attempts,
                      "to_staff": user(m.recipient_user_id), "sent_at": m.sent_at,
                      "delivered_at": m.delivered_at})
    for c in _newest(session, CallTask, CallTask.created_at, patient_id, need):
        items.append({"at": c.closed_at or c.created_at, "kind": "call", "id": c.id, "reason": c.reason,
                      "state": c.state, "due_at": c.due_at, "attempts": c.attempts,
                      "outcome": c.outcome, "by": user(c.claimed_by_id), "note": c.note})
    for t in _newest(session, Transfer, Transfer.requested_at, patient_id, need):
        items.append({"at": t.requested_at, "kind": "transfer", "id": t.id, "state": t.state,
                      "reason": t.reason})
    for n in _newest(session, ContactLog, ContactLog.at, patient_id, need):
        items.append({"at": n.at, "kind": "note", "id": n.id, "channel": n.channel,
                      "outcome": n.outcome, "text": n.text, "by": user(n.staff_id)})
    # Same instant: what followed from a report (its assessment, the alert, the advice) first.
    items.sort(key=lambda i: (i["at"], KINDS.index(i["kind"]), i["id"]), reverse=True)
    total = _total(session, patient_id) if count else None
    start = (page - 1) * per_page
    return items[start : start + per_page], total


def _total(session: Session, patient_id: int) -> int:
    """The number of items on the whole timeline: one statement of seven counts."""
    from ..data.models import RiskAssessment

    counts = [
        sa.select(sa.func.count()).select_from(model).where(model.patient_id == patient_id).scalar_subquery()
        for model in (SymptomReport, RiskAssessment, Alert, OutboxMessage, CallTask, Transfer, ContactLog)
    ]
    return session.scalar(sa.select(sum(counts[1:], start=counts[0]))) or 0
