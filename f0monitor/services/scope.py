"""The one place that says which patients a member of staff may see.

Staff see the patients of their province, and only of their wards when ``ward_codes`` is set;
an integration (FHIR) account reads its province the same way.
An admin without a province sees every province. The health department sees aggregates only,
never an individual patient; patients see no one here. Anything outside the scope is reported
as "not found" (a 404), never as "forbidden", so that a record's existence does not leak.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import STAFF_ROLES, Patient, User
from ..domain.states import Role
from . import DomainError

# Who reads individual records of an area: staff, and the FHIR service accounts of a province.
READER_ROLES: tuple[str, ...] = (*STAFF_ROLES, Role.INTEGRATION)

S = TypeVar("S")


class OutOfScope(DomainError):
    """No such patient, or not one this user may see (answered as 404)."""

    code = "not_found"


def scope_clause(user: Any, patient: Any = Patient) -> sa.ColumnElement[bool]:
    """Return the WHERE clause restricting `patient` (the entity or an alias) to `user`'s area."""
    role = getattr(user, "role", None)
    if role not in READER_ROLES:
        return sa.false()
    province = getattr(user, "province_code", None)
    if province is None:
        return sa.true() if role == "admin" else sa.false()
    clause: sa.ColumnElement[bool] = patient.province_code == province
    wards = list(getattr(user, "ward_codes", None) or [])
    if wards:
        clause = sa.and_(clause, patient.ward_code.in_(wards))
    return clause


def patients_in_scope(stmt: S, user: Any, patient: Any = Patient) -> S:
    """Add the WHERE clauses of `user`'s area to a select statement over patients."""
    return stmt.where(scope_clause(user, patient))  # type: ignore[attr-defined]


def may_see(user: Any, patient: Patient) -> bool:
    """Say whether `user` may see this (already loaded) patient."""
    role = getattr(user, "role", None)
    if role not in READER_ROLES:
        return False
    province = getattr(user, "province_code", None)
    if province is None:
        return role == "admin"
    if patient.province_code != province:
        return False
    wards = list(getattr(user, "ward_codes", None) or [])
    return not wards or patient.ward_code in wards


def get_patient_in_scope(session: Session, user: User | Any, patient_id: int) -> Patient:
    """Return the patient if `user` may see them.

    :raise OutOfScope: when there is no such patient or it lies outside the user's area
        (views turn it into a 404).
    """
    try:
        pid = int(patient_id)
    except (TypeError, ValueError):
        raise OutOfScope("not found") from None
    patient = session.get(Patient, pid)
    if patient is None or not may_see(user, patient):
        raise OutOfScope("not found")
    return patient
