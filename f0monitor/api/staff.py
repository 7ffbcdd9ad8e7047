"""Staff endpoints: queue, patient record, reports, notes, assignment, alerts (api.md, Staff)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy.orm.exc import StaleDataError

from ..data.models import ALERT_OUTCOMES, CONTACT_CHANNELS, CONTACT_OUTCOMES, Alert, User
from ..data.session import get_session
from ..domain import covid as risk
from ..domain.clock import local_date, utcnow
from ..http.access import STAFF, access
from ..http.audit import audit_patient
from ..http.errors import api_error
from ..http.i18n import current_lang
from ..http.labels import render_reasons
from ..http.queryargs import filters_from
from ..services import NotAllowed
from ..services.alerts import (
    AlertRefused,
    acknowledge,
    get_alert_in_scope,
    is_escalated,
    patient_alerts,
    resolve,
)
from ..services.assignment import BadAssignee, CapReached, assign, claim
from ..services.contacts import add_contact, contact_log
from ..services.queue import flags_for, triage_queue
from ..services.reports import Outcome, recent_reports, submit_report
from ..services.scope import get_patient_in_scope
from . import bp, documented, load_body, page_args
from .schemas import (
    AlertOut,
    AssignmentOut,
    ContactOut,
    Id,
    PatientOut,
    PatientRecordOut,
    QueueArgs,
    QueueItemOut,
    ReportIn,
    StrictSchema,
    SubmissionOut,
    report_in,
)
from .serialize import assessment_dict, report_dict
from .submission import report_body_or_retry, submission_response


class NoteIn(StrictSchema):
    channel = fields.String(required=True, validate=validate.OneOf(CONTACT_CHANNELS))
    outcome = fields.String(required=True, validate=validate.OneOf(CONTACT_OUTCOMES))
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AssignmentIn(StrictSchema):
    staff_id = Id(load_default=None, allow_none=True)


class ResolveIn(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(ALERT_OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.full_name} if user else None


def alert_dict(alert: Alert, now: datetime) -> dict[str, Any]:
    """Return an alert in the API's shape."""
    return {
        "id": alert.id,
        "patient_id": alert.patient_id,
        "state": alert.state,
        "reason_codes": list(alert.reason_codes or []),
        "opened_at": _iso(alert.opened_at),
        "escalated": is_escalated(alert, now=now),
        "escalated_at": _iso(alert.escalated_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": _person(alert.acknowledged_by),
        "seconds_to_acknowledge": alert.seconds_to_acknowledge,
        "resolved_at": _iso(alert.resolved_at),
        "outcome": alert.outcome,
        "note": alert.note,
    }


@bp.route("/queue", methods=("GET",))
@access(*STAFF)
@documented(response=QueueItemOut, paginated=True, query=QueueArgs,
            provides={"patient_id": "/items/0/id", "alert_id": "/items/0/open_alert/id"})
def queue():
    """Return active patients of the caller's area in triage order, paginated and filtered."""
    page, per_page = page_args()
    # The API contract (api.md) takes the search as ?q=; only the web page keeps it out of URLs.
    filters = replace(filters_from(request.args, request.args.get("q")), page=page, per_page=per_page)
    now = utcnow()
    result = triage_queue(get_session(), current_user, filters, now=now,
                          counts=current_app.extensions["f0monitor.queue_counts"])
    items = []
    for item in result.items:
        p = item.patient
        alert = item.open_alert
        items.append(
            {
                "id": p.id,
                "full_name": p.full_name,
                "phone": p.phone,
                "ward_code": str(p.ward_code),
                "tier": p.current_tier,
                "baseline_tier": p.baseline_tier,
                "flags": item.flags,
                "open_alert": (
                    {
                        "id": alert.id,
                        "opened_at": _iso(alert.opened_at),
                        "acknowledged_at": _iso(alert.acknowledged_at),
                        "acknowledged_by": (
                            {"id": alert.acknowledged_by_id, "name": item.acknowledged_name}
                            if alert.acknowledged_by_id
                            else None
                        ),
                        "signs": [r.get("code") for r in item.alert_reasons],
                        "waiting_minutes": item.waited_minutes,
                        "escalated": item.escalated,
                    }
                    if alert
                    else None
                ),
                "last_report_at": _iso(p.last_report_at),
                "assigned_to": (
                    {"id": p.assigned_to_id, "name": item.assigned_name} if p.assigned_to_id else None
                ),
            }
        )
    return jsonify({"items": items, "page": result.page, "per_page": result.per_page, "total": result.total})


@bp.route("/patients/<int:patient_id>", methods=("GET",))
@access(*STAFF)
@documented(response=PatientRecordOut, provides={"alert_id": "/alerts/0/id"})
def staff_patient(patient_id: int):
    """Return a patient's full record with recent reports, assessments, alerts, contacts (audited)."""
    session = get_session()
    patient = get_patient_in_scope(session, current_user, patient_id)  # outside the area: 404 (api errorhandler)
    now = utcnow()
    lang = current_lang()
    audit_patient(session, patient, "view", "api")
    session.commit()
    body = PatientOut().dump(patient)
    alerts = patient_alerts(session, patient.id)
    body.update(
        flags=flags_for(patient, now),
        day_of_treatment=risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        baseline_reasons=render_reasons(patient.baseline_reasons, lang),
        eligibility_reasons=render_reasons(patient.eligibility_reasons, lang),
        assigned_to=_person(session.get(User, patient.assigned_to_id) if patient.assigned_to_id else None),
        open_alert=next((alert_dict(a, now) for a in alerts if a.state != "resolved"), None),
        alerts=[alert_dict(a, now) for a in alerts],
        reports=[
            {**report_dict(r), "assessment": assessment_dict(r.assessment, lang)}
            for r in recent_reports(session, patient.id, limit=30)
        ],
        contacts=[_contact_dict(c) for c in contact_log(session, patient.id, limit=50)],
    )
    return jsonify(body)


def _contact_dict(entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": _iso(entry.at),
        "channel": entry.channel,
        "outcome": entry.outcome,
        "text": entry.text,
        "staff": _person(entry.staff),
    }


@bp.route("/patients/<int:patient_id>/reports", methods=("POST",))
@access(*STAFF)
@documented(ReportIn, SubmissionOut, status=201, also=(200,), errors=(409,))
def staff_report(patient_id: int):
    """Store a report entered by staff for the patient (Idempotency-Key honoured)."""
    session = get_session()
    patient = get_patient_in_scope(session, current_user, patient_id)  # outside the area: 404 (api errorhandler)
    key = request.headers.get("Idempotency-Key")
    now = utcnow()
    schema = report_in(patient.date_of_birth, now)  # §1's window for this patient
    data, answered = report_body_or_retry(session, patient, key, schema)
    if answered is None:
        answered = submit_report(
            session, patient, data, now=now, channel="staff", entered_by=current_user, key=key
        )
        if answered.status == Outcome.STORED:
            audit_patient(session, patient, "report", f"report {answered.report.id} (api)")
        session.commit()
    return submission_response(answered)


@bp.route("/patients/<int:patient_id>/notes", methods=("POST",))
@access(*STAFF)
@documented(NoteIn, ContactOut, status=201)
def staff_note(patient_id: int):
    """Add a contact log entry (channel, outcome, text)."""
    session = get_session()
    patient = get_patient_in_scope(session, current_user, patient_id)  # outside the area: 404 (api errorhandler)
    data = load_body(NoteIn())
    entry = add_contact(
        session, patient, current_user, channel=data["channel"], outcome=data["outcome"],
        text=data.get("text"), now=utcnow(),
    )
    audit_patient(session, patient, "contact", f"{entry.channel}/{entry.outcome} (api)")
    session.commit()
    return jsonify(_contact_dict(entry)), 201


@bp.route("/patients/<int:patient_id>/assignment", methods=("POST",))
@access(*STAFF)
@documented(AssignmentIn, AssignmentOut, errors=(403, 409))
def staff_assignment(patient_id: int):
    """Assign the patient to a staff member (`staff_id`), or to oneself when it is absent."""
    session = get_session()
    patient = get_patient_in_scope(session, current_user, patient_id)  # outside the area: 404 (api errorhandler)
    data = load_body(AssignmentIn())
    now = utcnow()
    staff_id = data.get("staff_id")
    try:
        if staff_id is None or staff_id == current_user.id:
            claim(session, patient, current_user, now=now)
        else:
            staff = session.get(User, staff_id)
            if staff is None:
                raise BadAssignee("no such staff member")
            assign(session, patient, staff, by=current_user, now=now)
    except NotAllowed:
        session.rollback()
        return api_error(403, _("Only coordinators can assign patients to others."))
    except BadAssignee:
        session.rollback()
        return api_error(422, _("Some fields are not valid."),
                         fields={"staff_id": [_("Choose a staff member of this patient's area.")]})
    except CapReached as exc:
        session.rollback()
        return api_error(409, _("%(name)s already follows %(cap)s patients (their cap).",
                                name=exc.params.get("name"), cap=exc.params.get("cap")), code="cap_reached")
    audit_patient(session, patient, "assign", f"-> {patient.assigned_to_id} (api)")
    session.commit()
    return jsonify({"patient_id": patient.id, "assigned_to": _person(patient.assigned_to)})


def _refused(alert_id: int, exc: AlertRefused | None = None):
    session = get_session()
    session.rollback()
    fresh = session.get(Alert, alert_id)
    state = fresh.state if fresh else (exc.state if exc else "unknown")
    return api_error(
        409,
        _("This alert is %(state)s; it cannot be changed this way.", state=state),
        code="invalid_transition",
        state=state,
    )


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=("POST",))
@access(*STAFF)
@documented(response=AlertOut, errors=(409,))
def alert_acknowledge(alert_id: int):
    """Acknowledge an open alert: who and when are stored, with the time it took."""
    session = get_session()
    alert = get_alert_in_scope(session, current_user, alert_id)  # outside the area: 404 (api errorhandler)
    try:
        acknowledge(session, alert, current_user, now=utcnow())
        audit_patient(session, alert.patient, "alert_ack", f"alert {alert.id} (api)")
        session.commit()
    except AlertRefused as exc:
        return _refused(alert_id, exc)
    except StaleDataError:
        return _refused(alert_id)
    return jsonify(alert_dict(alert, utcnow()))


@bp.route("/alerts/<int:alert_id>/resolve", methods=("POST",))
@access(*STAFF)
@documented(ResolveIn, AlertOut, errors=(409,))
def alert_resolve(alert_id: int):
    """Resolve an alert with its outcome (advised_at_home, transfer, false_alarm, unreachable)."""
    session = get_session()
    alert = get_alert_in_scope(session, current_user, alert_id)  # outside the area: 404 (api errorhandler)
    data = load_body(ResolveIn())
    try:
        resolve(session, alert, current_user, data["outcome"], now=utcnow(), note=data.get("note"))
        audit_patient(session, alert.patient, "alert_resolve", f"alert {alert.id}: {data['outcome']} (api)")
        session.commit()
    except AlertRefused as exc:
        return _refused(alert_id, exc)
    except StaleDataError:
        return _refused(alert_id)
    return jsonify(alert_dict(alert, utcnow()))
