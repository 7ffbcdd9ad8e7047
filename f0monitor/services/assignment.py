"""Who follows which patient: claim, assign, reassign, automatic allocation, workload.

A staff member's load is the number of *active* patients assigned to them; ``User.max_patients``
caps it (no cap when empty). New patients are allocated automatically to the least-loaded
available volunteer or doctor of their ward (staff whose ward list names the ward first, then
staff covering the whole province), so that nobody is left without a named person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Alert, Patient, User
from ..domain import alerts as lc
from ..domain import covid as risk
from ..domain.states import PatientStatus
from . import DomainError, NotAllowed
from .scope import may_see, scope_clause

# Who can be given patients to follow, automatically or by hand.
FOLLOWER_ROLES = ("volunteer", "doctor")
ASSIGNABLE_ROLES = ("volunteer", "doctor", "coordinator")
# Who may assign patients to someone else (anyone may claim a patient for themselves).
ASSIGNER_ROLES = ("coordinator", "admin")


class CapReached(DomainError):
    """The staff member already follows as many patients as their cap allows."""

    code = "cap_reached"


class BadAssignee(DomainError):
    """No such staff member in the patient's area, or not one who follows patients."""

    code = "bad_assignee"


def load_of(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Return the number of active patients assigned to each of these users."""
    if not user_ids:
        return {}
    rows = session.execute(
        sa.select(Patient.assigned_to_id, sa.func.count(Patient.id))
        .where(Patient.assigned_to_id.in_(user_ids), Patient.status == PatientStatus.ACTIVE)
        .group_by(Patient.assigned_to_id)
    )
    counts = {uid: 0 for uid in user_ids}
    counts.update({uid: n for uid, n in rows})
    return counts


def covers(staff: User, patient: Patient) -> bool:
    """Tell whether a staff member's area includes the patient."""
    return may_see(staff, patient)


def _check_cap(session: Session, staff: User, patient: Patient) -> None:
    if staff.max_patients is None or patient.assigned_to_id == staff.id:
        return
    if load_of(session, [staff.id])[staff.id] >= staff.max_patients:
        raise CapReached("cap reached", name=staff.full_name, cap=staff.max_patients)


def assign(
    session: Session, patient: Patient, staff: User, *, by: User, now: datetime
) -> Patient:
    """Assign (or reassign) a patient to a staff member.

    :raise NotAllowed: when `by` may not assign to others.
    :raise BadAssignee: when `staff` is inactive, not a follower role or outside the area.
    :raise CapReached: when `staff` is at their cap.
    """
    if staff.id != by.id and by.role not in ASSIGNER_ROLES:
        raise NotAllowed("only coordinators assign patients to others")
    if (
        staff.role not in ASSIGNABLE_ROLES
        or not staff.is_active_account
        or not covers(staff, patient)
    ):
        raise BadAssignee("not a staff member of this area", staff_id=staff.id)
    _check_cap(session, staff, patient)
    patient.assigned_to_id = staff.id
    patient.assigned_to = staff
    session.flush()
    return patient


def claim(session: Session, patient: Patient, user: User, *, now: datetime) -> Patient:
    """Take a patient for oneself. :raise CapReached: at one's cap."""
    return assign(session, patient, user, by=user, now=now)


def unassign(session: Session, patient: Patient, *, by: User, now: datetime) -> Patient:
    """Leave a patient unassigned (coordinators, or the assignee themselves)."""
    if by.role not in ASSIGNER_ROLES and patient.assigned_to_id != by.id:
        raise NotAllowed("only coordinators or the assignee may unassign")
    patient.assigned_to_id = None
    patient.assigned_to = None
    session.flush()
    return patient


def candidates(session: Session, patient: Patient) -> list[User]:
    """Return the available followers whose area includes the patient."""
    staff = session.scalars(
        sa.select(User).where(
            User.role.in_(FOLLOWER_ROLES),
            User.is_active_account.is_(True),
            User.is_available.is_(True),
            User.province_code == patient.province_code,
        )
    )
    # ward_codes is JSON: filtered here (a province has tens of staff, not thousands).
    return [u for u in staff if covers(u, patient)]


def auto_assign(session: Session, patient: Patient, *, now: datetime) -> User | None:
    """Give a new patient to the least-loaded available staff member of their ward.

    Staff who name the patient's ward come before staff covering the whole province; among
    them, the lowest load wins (then the lowest id, so the choice is repeatable). Staff at
    their cap are skipped; if nobody is free the patient stays unassigned (the queue shows it).
    """
    if patient.assigned_to_id is not None or patient.status != PatientStatus.ACTIVE:
        return None
    pool = candidates(session, patient)
    if not pool:
        return None
    loads = load_of(session, [u.id for u in pool])
    free = [u for u in pool if u.max_patients is None or loads[u.id] < u.max_patients]
    if not free:
        return None
    chosen = min(free, key=lambda u: (0 if u.ward_codes else 1, loads[u.id], u.id))
    patient.assigned_to_id = chosen.id
    patient.assigned_to = chosen
    session.flush()
    return chosen


def assignable_staff(session: Session, patient: Patient, counts: Any = None) -> list[tuple[Any, int]]:
    """Return the active staff who may follow the patient, with their current load.

    Each member is a row with ``id``, ``full_name``, ``role``, ``max_patients``, ``province_code``
    and ``ward_codes`` (a province's hundreds of staff are read as rows, not accounts). The
    loads only label the choices (a cap is checked afresh when assigning, `_check_cap`):
    ``counts`` (services.queue.CountCache) may keep them a few seconds.
    """
    rows = session.execute(
        sa.select(User.id, User.full_name, User.role, User.max_patients, User.province_code, User.ward_codes)
        .where(
            User.role.in_(ASSIGNABLE_ROLES),
            User.is_active_account.is_(True),
            User.province_code == patient.province_code,
        )
        .order_by(User.full_name)
    ).all()
    staff = [u for u in rows if covers(u, patient)]
    ids = [u.id for u in staff]
    def count() -> dict[int, int]:
        return load_of(session, ids)

    loads = counts.get(("loads", *ids), count) if counts is not None else count()
    return [(u, loads.get(u.id, 0)) for u in staff]


@dataclass
class Workload:
    """One staff member's load, for the coordinator's view."""

    user: User
    patients: int
    open_alerts: int
    overdue: int

    @property
    def at_cap(self) -> bool:
        return self.user.max_patients is not None and self.patients >= self.user.max_patients


def workload(session: Session, viewer: Any, *, now: datetime) -> list[Workload]:
    """Return patients, open alerts and overdue patients per staff member of the area.

    Three grouped queries, whatever the number of staff or patients.
    """
    staff = list(
        session.scalars(
            sa.select(User)
            .where(User.role.in_(ASSIGNABLE_ROLES), User.is_active_account.is_(True))
            .order_by(User.full_name)
        )
    )
    staff = [u for u in staff if _staff_in_area(viewer, u)]
    ids = [u.id for u in staff]
    if not ids:
        return []
    base = [Patient.assigned_to_id.in_(ids), Patient.status == PatientStatus.ACTIVE, scope_clause(viewer)]
    patients = dict(
        session.execute(
            sa.select(Patient.assigned_to_id, sa.func.count(Patient.id))
            .where(*base)
            .group_by(Patient.assigned_to_id)
        ).all()
    )
    alerts = dict(
        session.execute(
            sa.select(Patient.assigned_to_id, sa.func.count(Alert.id))
            .join(Alert, Alert.patient_id == Patient.id)
            .where(*base, Alert.state != lc.RESOLVED)
            .group_by(Patient.assigned_to_id)
        ).all()
    )
    since = sa.func.coalesce(Patient.last_report_at, Patient.registered_at)
    overdue = dict(
        session.execute(
            sa.select(Patient.assigned_to_id, sa.func.count(Patient.id))
            .where(*base, since <= now - risk.OVERDUE_AFTER)
            .group_by(Patient.assigned_to_id)
        ).all()
    )
    return [
        Workload(u, patients.get(u.id, 0), alerts.get(u.id, 0), overdue.get(u.id, 0)) for u in staff
    ]


def unassigned_count(session: Session, viewer: Any) -> int:
    """Return how many active patients of the area nobody follows."""
    return session.scalar(
        sa.select(sa.func.count(Patient.id)).where(
            Patient.status == PatientStatus.ACTIVE, Patient.assigned_to_id.is_(None), scope_clause(viewer)
        )
    ) or 0


def _staff_in_area(viewer: Any, staff: User) -> bool:
    """Tell whether a staff member works in (part of) the viewer's area."""
    province = getattr(viewer, "province_code", None)
    if province is None:
        return getattr(viewer, "role", None) == "admin"
    if staff.province_code != province:
        return False
    wards = set(getattr(viewer, "ward_codes", None) or [])
    return not wards or not staff.ward_codes or bool(wards & set(staff.ward_codes))


@dataclass
class BulkResult:
    """What a bulk assignment did: who got how many, and who was left and why."""

    assigned: dict[int, int]  # staff id -> patients given
    names: dict[int, str]
    left_at_cap: int = 0  # the chosen person (or everyone in the ward) was full
    left_no_staff: int = 0  # automatic: nobody available covers the ward
    skipped: int = 0  # not found in the area, not active, or already assigned

    @property
    def total(self) -> int:
        return sum(self.assigned.values())


def unassigned_patients(session: Session, viewer: Any, *, limit: int = 200) -> list[Patient]:
    """Return the area's active patients nobody follows: the most severe first, then the oldest."""
    severity = sa.case({"red": 0, "orange": 1, "yellow": 2, "green": 3}, value=Patient.current_tier, else_=4)
    return list(session.scalars(
        sa.select(Patient)
        .where(Patient.status == PatientStatus.ACTIVE, Patient.assigned_to_id.is_(None), scope_clause(viewer))
        .order_by(Patient.has_open_alert.desc(), severity, Patient.registered_at, Patient.id)
        .limit(limit)
    ))


def bulk_assign(session: Session, patient_ids: list[int], *, to: User | None, by: User,
                now: datetime) -> BulkResult:
    """Assign many unassigned patients at once, to one person or automatically by ward.

    Caps are respected patient by patient: once the chosen person is full the rest stay
    unassigned (counted in ``left_at_cap``). Automatic assignment gives each patient to the
    least-loaded available follower of their ward, as a new registration would be.

    :raise NotAllowed: when `by` is not a coordinator or admin.
    :raise BadAssignee: when `to` is not an active staff member who follows patients.
    """
    if by.role not in ASSIGNER_ROLES:
        raise NotAllowed("only coordinators assign patients to others")
    if to is not None and (to.role not in ASSIGNABLE_ROLES or not to.is_active_account):
        raise BadAssignee("not a staff member who follows patients", staff_id=to.id)
    wanted = sorted(set(patient_ids))
    patients = list(session.scalars(
        sa.select(Patient).where(Patient.id.in_(wanted), scope_clause(by)).order_by(Patient.id)
    )) if wanted else []
    result = BulkResult(assigned={}, names={}, skipped=len(wanted) - len(patients))
    load = load_of(session, [to.id])[to.id] if to is not None else 0
    for patient in patients:
        if patient.status != PatientStatus.ACTIVE or patient.assigned_to_id is not None:
            result.skipped += 1
            continue
        if to is not None:
            if not covers(to, patient):
                result.skipped += 1
                continue
            if to.max_patients is not None and load >= to.max_patients:
                result.left_at_cap += 1
                continue
            patient.assigned_to_id = to.id
            patient.assigned_to = to
            load += 1
            chosen: User | None = to
        else:
            chosen = auto_assign(session, patient, now=now)
            if chosen is None:
                if candidates(session, patient):
                    result.left_at_cap += 1
                else:
                    result.left_no_staff += 1
                continue
        result.assigned[chosen.id] = result.assigned.get(chosen.id, 0) + 1
        result.names[chosen.id] = chosen.full_name
    session.flush()
    return result
