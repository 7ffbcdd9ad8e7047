"""The triage queue: who needs a member of staff first.

Active patients of the user's area in this order: open alerts nobody has acknowledged yet
(oldest first, so escalated ones lead), then tier (red, orange, yellow, green, unassessed), then
the longest without a report. Flags are computed at query time from ``last_report_at`` (or
registration, for someone who never reported) with the risk module's thresholds.

One query for the page (patient, its unacknowledged alert, its assigned staff member, all
joined) plus one count: no query per row. Filters and scope are plain conditions on indexed
columns (status, province, ward, tier, last report, assignee, phone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from .. import alert_lifecycle as lc
from .. import risk
from ..models import TIERS, Alert, Patient, User
from ..phones import InvalidPhone, normalize_phone
from .scope import scope_clause

FLAGS = ("alert", "overdue", "missing")
MAX_PER_PAGE = 200
# red first; an unassessed patient (no tier) after green.
TIER_RANK = {tier: rank for rank, tier in enumerate(reversed(TIERS))}


@dataclass(frozen=True)
class QueueFilters:
    """What the user asked to see."""

    tier: str | None = None
    ward: int | None = None
    flag: str | None = None
    assigned_to_me: bool = False
    q: str | None = None
    page: int = 1
    per_page: int = 50


@dataclass
class QueueItem:
    """One row of the queue."""

    patient: Patient
    open_alert: Alert | None  # the alert not resolved yet, if any (at most one per patient)
    assigned_name: str | None
    acknowledged_name: str | None
    flags: list[str]
    escalated: bool
    since_report: datetime


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int
    unacknowledged_alert_ids: list[int] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _since_report() -> sa.ColumnElement[Any]:
    return sa.func.coalesce(Patient.last_report_at, Patient.registered_at)


def _conditions(user: Any, filters: QueueFilters, now: datetime) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = [Patient.status == "active", scope_clause(user)]
    if filters.tier in TIERS:
        conds.append(Patient.current_tier == filters.tier)
    if filters.ward is not None:
        conds.append(Patient.ward_code == filters.ward)
    if filters.assigned_to_me:
        conds.append(Patient.assigned_to_id == getattr(user, "id", None))
    if filters.flag == "alert":
        conds.append(Patient.has_open_alert.is_(True))
    elif filters.flag == "overdue":
        # Overdue *or worse*: the 12-hour flag includes those missing for 24 hours.
        conds.append(_since_report() <= now - risk.OVERDUE_AFTER)
    elif filters.flag == "missing":
        conds.append(_since_report() <= now - risk.MISSING_AFTER)
    search = _search_condition(filters.q)
    if search is not None:
        conds.append(search)
    return conds


def _search_condition(q: str | None) -> sa.ColumnElement[bool] | None:
    """Search by phone (any Vietnamese format: exact, indexed) or by a part of the name."""
    q = (q or "").strip()[:100]
    if not q:
        return None
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits and len(digits) >= 9 and not any(ch.isalpha() for ch in q):
        try:
            return Patient.phone == normalize_phone(q)
        except InvalidPhone:
            pass
    if digits and not any(ch.isalpha() for ch in q):
        # A fragment of a number ("345 678"): match the stored digits anywhere.
        return Patient.phone.contains(digits, autoescape=True)
    return Patient.full_name.ilike(f"%{_escape_like(q)}%", escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def flags_for(patient: Patient, now: datetime) -> list[str]:
    """Return the flags of a patient at `now`: alert, and overdue or missing."""
    flags = []
    if patient.has_open_alert:
        flags.append("alert")
    reporting = risk.reporting_flag(patient.last_report_at, patient.registered_at, now)
    if reporting:
        flags.append(reporting)
    return flags


def triage_queue(session: Session, user: Any, filters: QueueFilters, *, now: datetime) -> QueuePage:
    """Return one page of the triage queue of `user`'s area, and the total count."""
    page = max(1, filters.page)
    per_page = min(MAX_PER_PAGE, max(1, filters.per_page))
    conds = _conditions(user, filters, now)
    total = session.scalar(sa.select(sa.func.count(Patient.id)).where(*conds)) or 0

    current = aliased(Alert)
    assignee = aliased(User)
    acknowledger = aliased(User)
    unacknowledged = current.state == lc.OPEN
    tier_rank = sa.case(
        *[(Patient.current_tier == tier, rank) for tier, rank in TIER_RANK.items()],
        else_=len(TIERS),
    )
    stmt = (
        sa.select(Patient, current, assignee.full_name, acknowledger.full_name)
        .outerjoin(current, sa.and_(current.patient_id == Patient.id, current.state != lc.RESOLVED))
        .outerjoin(assignee, assignee.id == Patient.assigned_to_id)
        .outerjoin(acknowledger, acknowledger.id == current.acknowledged_by_id)
        .where(*conds)
        .order_by(
            # Unacknowledged alerts first, the oldest (so the escalated) leading.
            sa.case((unacknowledged, 0), else_=1),
            sa.case((unacknowledged, current.opened_at), else_=None),
            tier_rank,
            _since_report(),
            Patient.id,
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = []
    for patient, alert, assigned_name, acknowledged_name in session.execute(stmt):
        escalated = alert is not None and lc.is_escalated(alert.state, alert.opened_at, now)
        items.append(
            QueueItem(
                patient=patient,
                open_alert=alert,
                assigned_name=assigned_name,
                acknowledged_name=acknowledged_name,
                flags=flags_for(patient, now),
                escalated=escalated,
                since_report=patient.last_report_at or patient.registered_at,
            )
        )
    return QueuePage(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        unacknowledged_alert_ids=unacknowledged_alert_ids(session, user),
    )


def unacknowledged_alert_ids(session: Session, user: Any, limit: int = 500) -> list[int]:
    """Return the ids of the area's open, unacknowledged alerts (for the "new alerts" count)."""
    return list(
        session.scalars(
            sa.select(Alert.id)
            .join(Patient, Patient.id == Alert.patient_id)
            .where(Alert.state == lc.OPEN, Patient.status == "active", scope_clause(user))
            .order_by(Alert.id)
            .limit(limit)
        )
    )
