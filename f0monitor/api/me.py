"""The patient's own record and reports: /api/v1/me."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, request

from ..data.models import Patient, SymptomReport
from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import access
from ..http.i18n import current_lang
from ..services import preferences
from ..services.reports import submit_report
from ..services.summary import patient_summary
from . import bp, documented, page_args
from .schemas import (
    MeOut,
    ReportIn,
    ReportOut,
    ReportWithAssessmentOut,
    SubmissionOut,
    iso_z,
    report_in,
)
from .serialize import assessment_dict, report_dict, transfer_dict
from .submission import report_body_or_retry, submission_response


def own_patient() -> Patient:
    from flask_login import current_user

    patient = current_user.patient  # loaded with the token (services.credentials.live_token)
    if patient is None:
        abort(404)
    return patient


@bp.route("/me", methods=("GET",))
@access("patient")
@documented(response=MeOut, errors=(404,))
def me():
    """Return the caller's own record, alert state, day of treatment and transfer."""
    patient = own_patient()
    summary = patient_summary(get_session(), patient, now=utcnow())
    body = MeOut().dump(patient)
    body.update(
        alert=summary.open_alert is not None,
        day_of_treatment=summary.day_of_treatment,
        next_report_due=iso_z(summary.next_report_due),
        reporting_flag=summary.reporting_flag,
        transfer=transfer_dict(summary.latest_transfer) if summary.latest_transfer else None,
        reminders=preferences.get(get_session(), patient).as_dict(),
        follow_up=patient.follow_up_channel,
    )
    return jsonify(body)


@bp.route("/me/reports", methods=("POST",))
@access("patient")
@documented(ReportIn, SubmissionOut, status=201, also=(200,), errors=(404, 409))
def create_own_report():
    """Send a report; a retry with the same Idempotency-Key returns the first result."""
    patient = own_patient()
    session = get_session()
    key = request.headers.get("Idempotency-Key")
    now = utcnow()
    schema = report_in(patient.date_of_birth, now)  # §1's window for this patient
    data, answered = report_body_or_retry(session, patient, key, schema)
    if answered is None:
        answered = submit_report(session, patient, data, now=now, channel="api", key=key)
        session.commit()
    return submission_response(answered)


@bp.route("/me/reports", methods=("GET",))
@access("patient")
@documented(response=ReportWithAssessmentOut, paginated=True, errors=(404,))
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
