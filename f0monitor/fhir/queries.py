"""The rows behind each FHIR resource type, restricted to the caller's area (services.scope)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ..data.models import Patient, RiskAssessment, SymptomReport, Transfer, TransferEvent
from ..domain import vitals
from ..services.scope import scope_clause
from . import resources
from .search import Search, date_clauses

PATIENT_UPDATED = sa.func.coalesce(Patient.status_changed_at, Patient.registered_at)


def _scoped(stmt: Any, user: Any, patient_column: Any, search: Search) -> Any:
    stmt = stmt.join(Patient, Patient.id == patient_column).where(scope_clause(user))
    if search.patient_id is not None:
        stmt = stmt.where(patient_column == search.patient_id)
    return stmt


def _page(session: Session, stmt: Any, order: list[Any], search: Search) -> tuple[list[Any], int]:
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(*order).offset(search.offset).limit(search.count)))
    return rows, total


def patients(session: Session, user: Any, search: Search) -> tuple[list[Patient], int]:
    stmt = sa.select(Patient).where(scope_clause(user))
    if search.ids:
        stmt = stmt.where(Patient.id.in_(search.ids))
    stmt = stmt.where(*date_clauses(PATIENT_UPDATED, search.last_updated))
    return _page(session, stmt, [PATIENT_UPDATED.desc(), Patient.id.desc()], search)


def _measured(spec: vitals.VitalSpec) -> Any:
    column = getattr(SymptomReport, spec.name)
    if spec.oximeter:
        return sa.and_(column.is_not(None), SymptomReport.no_oximeter.is_(False))
    return column.is_not(None)


def _observation_presence(codes: set[str] | None) -> list[Any]:
    """Return one SQL condition per Observation a report may yield (with the code filter)."""
    conditions = []
    for spec in vitals.VITALS:
        if spec.name in resources.BP_PARTS:
            continue
        if codes is None or spec.loinc in codes:
            conditions.append(_measured(spec))
    if codes is None or resources.BP_PANEL[0] in codes:
        conditions.append(sa.or_(*(_measured(vitals.vital(n)) for n in resources.BP_PARTS)))
    return conditions


def reports(
    session: Session, user: Any, search: Search, *, observations: bool
) -> tuple[list[SymptomReport], int]:
    """Return a page of reports; for Observations, the total counts Observations, not reports."""
    stmt = _scoped(sa.select(SymptomReport), user, SymptomReport.patient_id, search)
    if search.ids:
        stmt = stmt.where(SymptomReport.id.in_(search.ids))
    stmt = stmt.where(*date_clauses(SymptomReport.reported_at, search.dates))
    order = [SymptomReport.reported_at.desc(), SymptomReport.id.desc()]
    if not observations:
        return _page(session, stmt, order, search)
    conditions = _observation_presence(search.codes)
    if not conditions:
        return [], 0
    stmt = stmt.where(sa.or_(*conditions))
    per_report = sum((sa.case((c, 1), else_=0) for c in conditions), sa.literal(0))
    counted = stmt.with_only_columns(per_report.label("n")).subquery()
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(counted.c.n), 0)))
    rows = list(session.scalars(stmt.order_by(*order).offset(search.offset).limit(search.count)))
    return rows, int(total or 0)


def assessments(session: Session, user: Any, search: Search) -> tuple[list[RiskAssessment], int]:
    stmt = _scoped(sa.select(RiskAssessment), user, RiskAssessment.patient_id, search)
    if search.ids:
        stmt = stmt.where(RiskAssessment.id.in_(search.ids))
    stmt = stmt.where(*date_clauses(RiskAssessment.assessed_at, search.dates))
    return _page(session, stmt, [RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()], search)


def transfers(session: Session, user: Any, search: Search) -> tuple[list[Transfer], int]:
    stmt = _scoped(sa.select(Transfer), user, Transfer.patient_id, search).options(
        selectinload(Transfer.events).selectinload(TransferEvent.by), selectinload(Transfer.facility)
    )
    if search.ids:
        stmt = stmt.where(Transfer.id.in_(search.ids))
    stmt = stmt.where(*date_clauses(Transfer.requested_at, search.dates))
    return _page(session, stmt, [Transfer.requested_at.desc(), Transfer.id.desc()], search)
