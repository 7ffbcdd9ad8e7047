"""The patient's own record and reports: /api/v1/me."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, request
from sqlalchemy.exc import IntegrityError

from ..data.models import Alert, Patient, SymptomReport, Transfer
from ..data.session import get_session
from ..domain import covid as risk
from ..domain.clock import local_date, next_report_due, utcnow
from ..domain.states import PatientStatus
from ..http.access import access
from ..http.i18n import current_lang
from ..services.reports import find_by_key, record_report
from . import bp, documented, load_body, page_args
from .schemas import MeOut, ReportIn, ReportOut, iso_z
from .serialize import assessment_dict, report_dict, transfer_dict


def own_patient() -> Patient:
    from flask_login import current_user

    patient = get_session().scalar(sa.select(Patient).where(Patient.user_id == current_user.id))
    if patient is None:
        abort(404)
    return patient


@bp.route("/me", methods=("GET",))
@access("patient")
@documented(response=MeOut)
def me():
    """Return the caller's own record, alert state, day of treatment and transfer."""
    patient = own_patient()
    session = get_session()
    now = utcnow()
    alert = session.scalar(
        sa.select(Alert.id).where(Alert.patient_id == patient.id, Alert.state != "resolved").limit(1)
    )
    transfer = session.scalar(
        sa.select(Transfer)
        .where(Transfer.patient_id == patient.id)
        .order_by(Transfer.requested_at.desc())
        .limit(1)
    )
    body = MeOut().dump(patient)
    body.update(
        alert=alert is not None,
        day_of_treatment=risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        next_report_due=iso_z(next_report_due(patient.last_report_at, now)),
        reporting_flag=risk.reporting_flag(patient.last_report_at, patient.registered_at, now),
        transfer=transfer_dict(transfer) if transfer else None,
    )
    return jsonify(body)


@bp.route("/me/reports", methods=("POST",))
@access("patient")
@documented(body=ReportIn)
def create_own_report():
    """Send a report; a retry with the same Idempotency-Key returns the first result."""
    patient = own_patient()
    key = request.headers.get("Idempotency-Key")
    session = get_session()
    if key and (existing := find_by_key(session, patient.id, key[:64])) is not None:
        return jsonify(_result(existing)), 200
    data = load_body(ReportIn())
    if key:
        from dataclasses import replace

        data = replace(data, client_key=key[:64])
    elif data.client_key and (existing := find_by_key(session, patient.id, data.client_key)):
        return jsonify(_result(existing)), 200
    if patient.status != PatientStatus.ACTIVE:
        from flask_babel import gettext as _

        from ..http.errors import api_error

        return api_error(409, _("Home treatment has ended; reports are closed."), code="not_active")
    try:
        recorded = record_report(session, patient, data, now=utcnow(), channel="api")
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = find_by_key(session, patient.id, data.client_key)
        return jsonify(_result(existing)), 200
    return jsonify(_result(recorded.report)), 201


def _result(report: SymptomReport) -> dict:
    return {"report": report_dict(report), "assessment": assessment_dict(report.assessment, current_lang())}


@bp.route("/me/reports", methods=("GET",))
@access("patient")
def list_own_reports():
    """Return the caller's reports, newest first, paginated."""
    patient = own_patient()
    page, per_page = page_args()
    session = get_session()
    from sqlalchemy.orm import selectinload

    total = session.scalar(
        sa.select(sa.func.count()).select_from(SymptomReport).where(SymptomReport.patient_id == patient.id)
    )
    rows = session.scalars(
        sa.select(SymptomReport)
        .options(selectinload(SymptomReport.assessment))
        .where(SymptomReport.patient_id == patient.id)
        .order_by(SymptomReport.reported_at.desc(), SymptomReport.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    lang = current_lang()
    items = [
        {**report_dict(r), "assessment": assessment_dict(r.assessment, lang)} for r in rows
    ]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


__all__ = ["ReportOut"]
