"""Consult requests: the 1022 hotline's branches as a queue that staff answer or forward.

A patient, or anyone with a phone number, asks a question in a category (medical consult,
testing / CDC, report of a violation). An emergency is never queued: the page tells the person
to call 115 at once. Staff answer (the answer shows on the patient's own page) or forward the
request to the ward health station, the CDC or 115. Answered vs forwarded is counted, as in
Hanoi's report of its first month (12,720 answered, 2,978 forwarded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import ConsultRequest, Patient, User
from ..domain.clock import VN_TZ
from . import DomainError

QUEUED_CATEGORIES = ("medical", "testing", "violation")
FORWARD_TARGETS = ("ward_station", "cdc", "115")
# The Hanoi volunteer doctors' consult slots, Vietnam time (design.md §1).
CONSULT_HOURS = ((time(9), time(11)), (time(15), time(17)), (time(19), time(21)))
MAX_QUESTION = 2000
MAX_ANSWER = 4000


class ConsultInvalid(DomainError):
    """A field is missing or wrong (`field` names it)."""

    code = "validation_error"

    def __init__(self, field: str, message: str = "") -> None:
        super().__init__(message or field, field=field)
        self.field = field


class ConsultAlreadyHandled(DomainError):
    """Someone already answered or forwarded this request."""

    code = "conflict"

    def __init__(self, state: str) -> None:
        super().__init__(state, state=state)
        self.state = state


@dataclass(frozen=True)
class ConsultInput:
    category: str
    question: str
    phone: str
    name: str | None = None
    province_code: int | None = None
    ward_code: int | None = None


def in_consult_hours(now: datetime) -> bool:
    """Say whether doctors are answering at this instant (Vietnam time)."""
    local = now.astimezone(VN_TZ).time()
    return any(start <= local < end for start, end in CONSULT_HOURS)


def next_slot_start(now: datetime) -> datetime:
    """Return the start of the current or next consult slot, as an aware Vietnam time."""
    local = now.astimezone(VN_TZ)
    for start, end in CONSULT_HOURS:
        if local.time() < end:
            if local.time() >= start:
                return local
            return local.replace(hour=start.hour, minute=0, second=0, microsecond=0)
    first = CONSULT_HOURS[0][0]
    tomorrow = local.replace(hour=first.hour, minute=0, second=0, microsecond=0)
    return tomorrow + timedelta(days=1)


def ask(
    session: Session, data: ConsultInput, *, patient: Patient | None, now: datetime
) -> ConsultRequest:
    """Queue a question. A patient's question carries their phone and area.

    :raise ConsultInvalid: unknown or emergency category, empty or too long question.
    """
    if data.category not in QUEUED_CATEGORIES:
        # "emergency" is answered on the page (call 115), never queued.
        raise ConsultInvalid("category", "not a queued category")
    question = (data.question or "").strip()
    if not question:
        raise ConsultInvalid("question", "required")
    if len(question) > MAX_QUESTION:
        raise ConsultInvalid("question", "too long")
    request = ConsultRequest(
        patient_id=patient.id if patient else None,
        name=patient.full_name if patient else ((data.name or "").strip() or None),
        phone=patient.phone if patient else data.phone,
        province_code=patient.province_code if patient else data.province_code,
        ward_code=patient.ward_code if patient else data.ward_code,
        category=data.category,
        question=question,
        created_at=now,
        state="open",
    )
    session.add(request)
    session.flush()
    return request


def consult_scope(stmt: Any, user: Any) -> Any:
    """Restrict a select over consult requests to a staff member's area."""
    province = getattr(user, "province_code", None)
    if province is None:
        return stmt if getattr(user, "role", None) == "admin" else stmt.where(sa.false())
    stmt = stmt.where(ConsultRequest.province_code == province)
    wards = list(getattr(user, "ward_codes", None) or [])
    if wards:
        stmt = stmt.where(ConsultRequest.ward_code.in_(wards))
    return stmt


def list_for(
    session: Session, user: Any, *, state: str | None = "open", page: int = 1, per_page: int = 50
) -> tuple[list[ConsultRequest], int]:
    """Return a page of the requests in the user's area (oldest open first) and the total."""
    stmt = consult_scope(sa.select(ConsultRequest), user)
    if state:
        stmt = stmt.where(ConsultRequest.state == state)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    order = (
        ConsultRequest.created_at.asc() if state == "open" else ConsultRequest.created_at.desc()
    )
    rows = session.scalars(
        stmt.order_by(order, ConsultRequest.id).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def get_for(session: Session, user: Any, consult_id: int) -> ConsultRequest | None:
    """Return one request if it lies in the user's area."""
    stmt = consult_scope(sa.select(ConsultRequest).where(ConsultRequest.id == consult_id), user)
    return session.scalar(stmt)


def _handle(request: ConsultRequest, by: User | None, now: datetime) -> None:
    if request.state != "open":
        raise ConsultAlreadyHandled(request.state)
    request.handled_by_id = by.id if by else None
    request.handled_at = now


def answer(
    session: Session, request: ConsultRequest, text: str, *, by: User | None, now: datetime
) -> ConsultRequest:
    """Answer a request; a patient sees the answer on their page.

    :raise ConsultInvalid: empty or too long answer.
    :raise ConsultAlreadyHandled: it was answered or forwarded already.
    """
    text = (text or "").strip()
    if not text:
        raise ConsultInvalid("answer", "required")
    if len(text) > MAX_ANSWER:
        raise ConsultInvalid("answer", "too long")
    _handle(request, by, now)
    request.state = "answered"
    request.answer = text
    session.flush()
    return request


def forward(
    session: Session,
    request: ConsultRequest,
    target: str,
    note: str | None,
    *,
    by: User | None,
    now: datetime,
) -> ConsultRequest:
    """Forward a request to the ward health station, the CDC or 115.

    :raise ConsultInvalid: unknown target, note too long.
    :raise ConsultAlreadyHandled: it was answered or forwarded already.
    """
    if target not in FORWARD_TARGETS:
        raise ConsultInvalid("forwarded_to", "unknown target")
    note = (note or "").strip() or None
    if note and len(note) > MAX_ANSWER:
        raise ConsultInvalid("answer", "too long")
    _handle(request, by, now)
    request.state = "forwarded"
    request.forwarded_to = target
    request.answer = note
    session.flush()
    return request


def counts(
    session: Session, user: Any, *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Return answered / forwarded / open counts in the user's area, by category and target."""
    stmt = consult_scope(
        sa.select(
            ConsultRequest.category,
            ConsultRequest.state,
            ConsultRequest.forwarded_to,
            sa.func.count(),
        ),
        user,
    )
    if since is not None:
        stmt = stmt.where(ConsultRequest.created_at >= since)
    if until is not None:
        stmt = stmt.where(ConsultRequest.created_at < until)
    stmt = stmt.group_by(
        ConsultRequest.category, ConsultRequest.state, ConsultRequest.forwarded_to
    )
    by_category = {
        c: {"open": 0, "answered": 0, "forwarded": 0, "total": 0} for c in QUEUED_CATEGORIES
    }
    by_target = {t: 0 for t in FORWARD_TARGETS}
    totals = {"open": 0, "answered": 0, "forwarded": 0, "total": 0}
    for category, state, target, n in session.execute(stmt):
        row = by_category.setdefault(category, {"open": 0, "answered": 0, "forwarded": 0, "total": 0})
        row[state] += n
        row["total"] += n
        totals[state] += n
        totals["total"] += n
        if state == "forwarded" and target:
            by_target[target] = by_target.get(target, 0) + n
    return {"totals": totals, "by_category": by_category, "by_target": by_target}


def of_patient(session: Session, patient_id: int, limit: int = 10) -> list[ConsultRequest]:
    """Return a patient's own questions, newest first."""
    return list(
        session.scalars(
            sa.select(ConsultRequest)
            .where(ConsultRequest.patient_id == patient_id)
            .order_by(ConsultRequest.created_at.desc(), ConsultRequest.id.desc())
            .limit(limit)
        )
    )
