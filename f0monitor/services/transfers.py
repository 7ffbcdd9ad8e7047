"""Emergency transfers and the beds of the facilities they go to.

Concurrency: `Transfer` and `Facility` carry a SQLAlchemy version counter
(``version_id_col``), so every UPDATE says ``WHERE version = <the one we read>``. Two
coordinators acting on one transfer at once cannot both win: the second UPDATE matches no row
and SQLAlchemy raises ``StaleDataError`` at flush, which becomes `TransferChanged`. A form also
sends the version its user saw, so a decision taken on a stale page is refused the same way,
even when the other person's change happened minutes before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..data.models import Facility, Patient, SymptomReport, Transfer, TransferEvent, User
from ..data.types import as_id
from ..domain import transfers as lifecycle
from ..domain.states import BedType, PatientStatus, Role, values
from . import DomainError

MAX_REASON = 1000
BED_TYPES = values(BedType)
_BED_KINDS = frozenset(BED_TYPES)
# Transfers in a list: "open" (still moving), "closed" (admitted, cancelled, refused), "all".
TRANSFER_LIST_STATES = ("open", "closed", "all")
# Who may dispatch before the receiving facility has accepted (the step records it).
OVERRIDE_ROLES = (Role.COORDINATOR, Role.ADMIN)
OVERRIDE_MARK = "dispatch without acceptance"


class TransferInvalid(DomainError):
    """A field of the request is missing or wrong (`field` names it)."""

    code = "validation_error"

    def __init__(self, field: str, message: str = "") -> None:
        super().__init__(message or field, field=field)
        self.field = field


class TransferAlreadyOpen(DomainError):
    """The patient already has an open transfer."""

    code = "transfer_open"

    def __init__(self, transfer_id: int | None) -> None:
        super().__init__("an open transfer exists", transfer_id=transfer_id)
        self.transfer_id = transfer_id


class TransferNotAllowed(DomainError):
    """The action is not allowed from the transfer's current state."""

    code = "invalid_transition"

    def __init__(self, action: str, state: str) -> None:
        super().__init__(f"cannot {action} from {state}", action=action, state=state)
        self.action = action
        self.state = state


class TransferChanged(DomainError):
    """Someone else changed the transfer since it was read."""

    code = "conflict"

    def __init__(self, state: str | None = None) -> None:
        super().__init__("changed by someone else", state=state)
        self.state = state


class FacilityChanged(DomainError):
    """Someone else changed the facility's beds since they were read."""

    code = "conflict"


class TransferNeedsAcceptance(TransferNotAllowed):
    """Dispatch before the receiving facility accepted, without a coordinator's override."""

    code = "needs_acceptance"


class PatientNotActive(DomainError):
    """The patient's home treatment has ended; no transfer can be opened."""

    code = "not_active"


@dataclass(frozen=True)
class BedsInput:
    """New bed figures by type: {"general": (capacity, free), "icu": None, ...}.

    A type absent from ``beds`` keeps its figures; ``None`` removes a type the facility no
    longer has (general beds cannot be removed).
    """

    beds: dict[str, tuple[int, int] | None]

    @classmethod
    def general(cls, capacity: int, free: int) -> BedsInput:
        return cls({BedType.GENERAL: (capacity, free)})


def facilities_for(session: Session, province_code: int | None) -> list[Facility]:
    """Return the facilities of a province (all of them for None), most free beds first."""
    stmt = sa.select(Facility).order_by(Facility.general_free.desc(), Facility.name)
    if province_code is not None:
        stmt = stmt.where(Facility.province_code == province_code)
    return list(session.scalars(stmt))


def facility_for(session: Session, facility_id: Any, province_code: int | None) -> Facility:
    """Return a facility the caller may choose.

    :raise TransferInvalid: when there is none with this id in the province.
    """
    fid = as_id(facility_id)
    if fid is None:
        raise TransferInvalid("facility_id", "unknown facility")
    facility = session.get(Facility, fid)
    if facility is None or (province_code is not None and facility.province_code != province_code):
        raise TransferInvalid("facility_id", "unknown facility")
    return facility


def open_transfer_of(session: Session, patient_id: int) -> Transfer | None:
    """Return the patient's open transfer, if any."""
    return session.scalar(
        sa.select(Transfer).where(
            Transfer.patient_id == patient_id, Transfer.state.in_(lifecycle.OPEN_STATES)
        )
    )


def transfers_of(session: Session, patient_id: int) -> list[Transfer]:
    """Return the patient's transfers, newest first, with their events."""
    return list(
        session.scalars(
            sa.select(Transfer)
            .where(Transfer.patient_id == patient_id)
            .options(selectinload(Transfer.events).selectinload(TransferEvent.by))
            .order_by(Transfer.requested_at.desc(), Transfer.id.desc())
        )
    )


def open_transfer(
    session: Session,
    patient: Patient,
    *,
    reason: str,
    facility_id: Any = None,
    bed_type: str | None = None,
    by: User | None,
    now: datetime,
) -> Transfer:
    """Open an emergency transfer for a patient (one open transfer per patient).

    `bed_type` is the kind of bed needed (general, oxygen, icu, ventilator); the receiving
    facility accepts or refuses the request before an ambulance is dispatched.

    :raise TransferInvalid: no reason, or an unknown facility.
    :raise TransferAlreadyOpen: the patient already has an open transfer.
    :raise PatientNotActive: the patient is no longer followed at home.
    """
    reason = (reason or "").strip()
    if not reason:
        raise TransferInvalid("reason", "required")
    if len(reason) > MAX_REASON:
        raise TransferInvalid("reason", "too long")
    bed_type = (bed_type or "").strip() or None
    if bed_type is not None and bed_type not in BED_TYPES:
        raise TransferInvalid("bed_type", "unknown bed type")
    facility = None
    if facility_id not in (None, ""):
        facility = facility_for(session, facility_id, patient.province_code)
    if patient.status != PatientStatus.ACTIVE:
        raise PatientNotActive("not active")
    existing = open_transfer_of(session, patient.id)
    if existing is not None:
        raise TransferAlreadyOpen(existing.id)
    transfer = Transfer(
        patient=patient,
        state=lifecycle.INITIAL_STATE,
        reason=reason,
        facility=facility,
        bed_type=bed_type,
        requested_at=now,
        requested_by_id=by.id if by else None,
        updated_at=now,
    )
    transfer.events.append(
        TransferEvent(
            action="request",
            from_state=None,
            to_state=lifecycle.INITIAL_STATE,
            at=now,
            by_id=by.id if by else None,
            note=reason,
        )
    )
    session.add(transfer)
    try:
        # The partial unique index is the safety net when two requests race past the check;
        # the caller rolls the session back, as after any failed flush.
        session.flush()
    except IntegrityError:
        raise TransferAlreadyOpen(None) from None
    return transfer


def apply_event(
    session: Session,
    transfer: Transfer,
    action: str,
    *,
    by: User | None,
    now: datetime,
    ambulance_ref: str | None = None,
    facility_id: Any = None,
    note: str | None = None,
    expected_version: int | None = None,
    override: bool = False,
) -> Transfer:
    """Move a transfer one step, recording who, when, from and to.

    Acceptance is the receiving facility's: a ``facility`` user may accept or refuse only
    transfers to their own facility, and nothing else. Dispatch waits for acceptance unless a
    coordinator (or admin) overrides, which is recorded on the step ("dispatch without
    acceptance") for the audit trail.

    On admission the patient's status becomes "transferred", one free bed of the destination
    is taken (never below 0) and the patient's open alerts are resolved with outcome
    "transfer".

    :raise TransferInvalid: unknown action, missing or bad detail.
    :raise TransferChanged: `expected_version` is not the stored one, or another request
        changed the transfer between our read and our write.
    :raise TransferNotAllowed: the action is not allowed from the current state.
    """
    if action not in lifecycle.ACTIONS:
        raise TransferInvalid("action", "unknown action")
    if expected_version is not None and expected_version != transfer.version:
        raise TransferChanged(transfer.state)
    ambulance_ref = (ambulance_ref or "").strip() or None
    note = (note or "").strip() or None
    if ambulance_ref and len(ambulance_ref) > lifecycle.MAX_AMBULANCE_REF:
        raise TransferInvalid("ambulance_ref", "too long")
    if note and len(note) > lifecycle.MAX_NOTE:
        raise TransferInvalid("note", "too long")
    role = getattr(by, "role", None)
    if role == Role.FACILITY:
        if action not in ("accept", "refuse") or by.facility_id is None or transfer.facility_id != by.facility_id:
            raise TransferNotAllowed(action, transfer.state)
    if override and role not in OVERRIDE_ROLES:
        override = False
    facility = transfer.facility
    if action in ("admit", "accept") and facility_id not in (None, ""):
        facility = facility_for(session, facility_id, transfer.patient.province_code)
    try:
        step = lifecycle.apply(
            transfer.state,
            action,
            ambulance_ref=ambulance_ref,
            has_facility=facility is not None,
            note=note,
            override=override,
        )
    except lifecycle.NeedsAcceptance:
        raise TransferNeedsAcceptance(action, transfer.state) from None
    except lifecycle.TransitionRefused as exc:
        raise TransferNotAllowed(exc.action, exc.state) from None
    except lifecycle.MissingDetail as exc:
        raise TransferInvalid(exc.field, "required") from None
    transfer.state = step.to_state
    transfer.updated_at = now
    if action == "dispatch":
        transfer.ambulance_ref = ambulance_ref
    if facility is not None and facility is not transfer.facility:
        transfer.facility = facility
    if action == "dispatch" and step.from_state == lifecycle.INITIAL_STATE:
        note = f"[{OVERRIDE_MARK}] {note}" if note else f"[{OVERRIDE_MARK}]"
    session.add(
        TransferEvent(
            transfer=transfer,
            action=action,
            from_state=step.from_state,
            to_state=step.to_state,
            at=now,
            by_id=by.id if by else None,
            note=note,
        )
    )
    try:
        session.flush()
    except StaleDataError:
        raise TransferChanged(None) from None
    if action == "admit":
        _admit(session, transfer, by=by, now=now)
    return transfer


def _admit(session: Session, transfer: Transfer, *, by: User | None, now: datetime) -> None:
    patient = transfer.patient
    patient.status = "transferred"
    patient.status_changed_at = now
    patient.version = (patient.version or 1) + 1
    if transfer.facility_id is not None:
        # One atomic UPDATE: two admissions at once both count, and never below zero. The
        # version bump makes a coordinator's bed form opened before this one stale. The bed
        # taken is of the type the request named, where the facility counts that type (a
        # facility without ICU figures admits into a general bed).
        kind = transfer.bed_type if transfer.bed_type in BED_TYPES else "general"
        free = getattr(Facility, f"{kind}_free")
        if kind != "general" and (transfer.facility is None or getattr(transfer.facility, f"{kind}_free") is None):
            kind, free = "general", Facility.general_free
        session.execute(
            sa.update(Facility)
            .where(Facility.id == transfer.facility_id)
            .values(
                {f"{kind}_free": sa.case((free > 0, free - 1), else_=0),
                 "version": Facility.version + 1, "updated_at": now}
            )
            .execution_options(synchronize_session=False)
        )
        if transfer.facility is not None:
            session.expire(transfer.facility)
    from .alerts import current_alert, resolve  # the alert rules live there (issue 4, part A)

    while by is not None and (alert := current_alert(session, patient.id)) is not None:
        resolve(session, alert, by, "transfer", now=now, note="admitted to a facility")
    session.flush()


def update_beds(
    session: Session,
    facility: Facility,
    data: BedsInput,
    *,
    expected_version: int | None,
    by: User | None,
    now: datetime,
) -> Facility:
    """Set a facility's beds by type, capacity and free (a coordinator's update).

    :raise TransferInvalid: an unknown type, negative numbers, more free beds than beds, or
        general beds removed (`field` is e.g. "icu_free").
    :raise FacilityChanged: the beds changed since the form was opened.
    """
    for kind, figures in data.beds.items():
        if kind not in _BED_KINDS:
            raise TransferInvalid("beds", "unknown bed type")
        if figures is None:
            if kind == BedType.GENERAL:
                raise TransferInvalid(f"{kind}_capacity", "required")
            continue
        capacity, free = figures
        if capacity < 0:
            raise TransferInvalid(f"{kind}_capacity", "negative")
        if free < 0:
            raise TransferInvalid(f"{kind}_free", "negative")
        if free > capacity:
            raise TransferInvalid(f"{kind}_free", "more than capacity")
    if expected_version is not None and expected_version != facility.version:
        raise FacilityChanged("changed")
    for kind, figures in data.beds.items():
        capacity, free = figures if figures is not None else (None, None)
        setattr(facility, f"{kind}_capacity", capacity)
        setattr(facility, f"{kind}_free", free)
    facility.updated_at = now
    facility.updated_by_id = by.id if by else None
    try:
        session.flush()
    except StaleDataError:
        raise FacilityChanged("changed") from None
    return facility


@dataclass(frozen=True)
class TransferPage:
    items: list[Transfer]
    total: int
    page: int
    per_page: int


def transfers_in_scope(
    session: Session, user: Any, *, state: str = "open", page: int = 1, per_page: int = 50
) -> TransferPage:
    """Return the transfers of the patients `user` may see, newest first, with their events.

    :param state: "open" (requested, dispatched, arrived), "closed" (the others) or "all".
    """
    from .scope import scope_clause

    where = [scope_clause(user)]
    if state == "open":
        where.append(Transfer.state.in_(lifecycle.OPEN_STATES))
    elif state == "closed":
        where.append(Transfer.state.not_in(lifecycle.OPEN_STATES))
    base = sa.select(Transfer).join(Patient, Patient.id == Transfer.patient_id).where(*where)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.options(
            selectinload(Transfer.events).selectinload(TransferEvent.by),
            selectinload(Transfer.facility),
        )
        .order_by(Transfer.requested_at.desc(), Transfer.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return TransferPage(list(rows), total, page, per_page)


def milestones(transfer: Transfer) -> dict[str, datetime | None]:
    """Return when a transfer was requested, dispatched and admitted (None when not yet)."""
    first: dict[str, datetime] = {}
    for event in transfer.events:
        first.setdefault(event.action, event.at)
    return {
        "requested_at": transfer.requested_at,
        "dispatched_at": first.get("dispatch"),
        "admitted_at": first.get("admit"),
    }


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    """Return whole minutes from start to end, or None when either is missing."""
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)
def incoming_transfers(session: Session, facility_id: int) -> list[Transfer]:
    """Return the open transfers addressed to a facility: to answer first, then under way."""
    rank = sa.case({"requested": 0, "accepted": 1, "dispatched": 2, "arrived": 3}, value=Transfer.state, else_=4)
    return list(session.scalars(
        sa.select(Transfer)
        .where(Transfer.facility_id == facility_id, Transfer.state.in_(list(lifecycle.OPEN_STATES)))
        .options(selectinload(Transfer.patient), selectinload(Transfer.events))
        .order_by(rank, Transfer.requested_at)
    ))


def latest_reports(session: Session, patient_ids: list[int]) -> dict[int, SymptomReport]:
    """Return each patient's newest report (one query)."""
    if not patient_ids:
        return {}
    newest = (
        sa.select(SymptomReport.patient_id, sa.func.max(SymptomReport.reported_at).label("at"))
        .where(SymptomReport.patient_id.in_(patient_ids))
        .group_by(SymptomReport.patient_id)
        .subquery()
    )
    rows = session.scalars(
        sa.select(SymptomReport).join(
            newest, sa.and_(SymptomReport.patient_id == newest.c.patient_id, SymptomReport.reported_at == newest.c.at)
        )
    )
    return {r.patient_id: r for r in rows}


@dataclass
class TransferTimes:
    """When each step of a transfer happened, and the minutes between them."""

    requested: datetime
    accepted: datetime | None
    dispatched: datetime | None
    admitted: datetime | None
    ended: datetime | None

    @staticmethod
    def _minutes(a: datetime | None, b: datetime | None) -> int | None:
        return None if a is None or b is None else int((b - a).total_seconds() // 60)

    @property
    def to_accept(self) -> int | None:
        return self._minutes(self.requested, self.accepted)

    @property
    def to_dispatch(self) -> int | None:
        return self._minutes(self.accepted or self.requested, self.dispatched)

    @property
    def to_admit(self) -> int | None:
        return self._minutes(self.dispatched, self.admitted)

    @property
    def total(self) -> int | None:
        return self._minutes(self.requested, self.admitted)


def step_times(transfer: Transfer) -> TransferTimes:
    """Return the times of a transfer's steps, from its events."""
    at = {e.action: e.at for e in transfer.events}
    ended = at.get("admit") or at.get("cancel") or at.get("refuse")
    return TransferTimes(requested=transfer.requested_at, accepted=at.get("accept"),
                         dispatched=at.get("dispatch"), admitted=at.get("admit"), ended=ended)


def transfer_history(session: Session, province_code: int | None, *, state: str = "all",
                     facility_id: int | None = None, limit: int = 200) -> list[Transfer]:
    """Return the area's transfers, newest first: open, closed or all, optionally to one facility."""
    conds = []
    if province_code is not None:
        conds.append(Patient.province_code == province_code)
    if state == "open":
        conds.append(Transfer.state.in_(list(lifecycle.OPEN_STATES)))
    elif state == "closed":
        conds.append(Transfer.state.not_in(list(lifecycle.OPEN_STATES)))
    if facility_id is not None:
        conds.append(Transfer.facility_id == facility_id)
    return list(session.scalars(
        sa.select(Transfer).join(Patient, Patient.id == Transfer.patient_id).where(*conds)
        .options(selectinload(Transfer.patient), selectinload(Transfer.events), selectinload(Transfer.facility))
        .order_by(Transfer.requested_at.desc(), Transfer.id.desc()).limit(limit)
    ))
