"""Call rounds and follow-up channels (api.md, "Follow-up channels"): staff only, own area.

``GET /calls`` lists the area's call tasks in the order to call them, ``POST /calls/next``
claims the next one (404 when there is none; two callers never get the same patient),
``POST /calls/{id}/outcome`` records a call — with the answers stored like any report
(channel ``phone``) — and ``PATCH /patients/{id}/follow-up`` switches a patient's channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..data.models import CallTask, Patient
from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import STAFF, access
from ..http.audit import audit_patient
from ..http.errors import api_error
from ..http.i18n import current_lang
from ..services import callrounds, followup
from ..services.reports import Outcome
from ..services.scope import get_patient_in_scope
from . import bp, documented, load_body, page_args
from .schemas import (
    CallOutcomeIn,
    CallOutcomeOut,
    CallPageOut,
    CallTaskOut,
    FollowUpIn,
    FollowUpOut,
    iso_z,
)
from .serialize import assessment_dict, report_dict


def task_dict(task: CallTask, patient: Patient, now: datetime, claimed_name: str | None = None) -> dict[str, Any]:
    """Return a call task in the API's shape (with what a caller needs to ring the patient)."""
    claimer = task.claimed_by_id
    return {
        "id": task.id,
        "patient_id": task.patient_id,
        "reason": task.reason,
        "state": task.state,
        "due_at": iso_z(task.due_at),
        "attempts": task.attempts,
        "claimed_by": (
            {"id": claimer, "name": claimed_name or (task.claimed_by.full_name if task.claimed_by else None)}
            if claimer
            else None
        ),
        "claimed_at": iso_z(task.claimed_at),
        "outcome": task.outcome,
        "full_name": patient.full_name,
        "phone": patient.phone,
        "tier": patient.current_tier,
        "alert": bool(patient.has_open_alert),
        "overdue_minutes": max(0, int((now - task.due_at).total_seconds() // 60)),
    }


@bp.route("/calls", methods=("GET",))
@access(*STAFF)
@documented(response=CallPageOut)
def calls():
    """Return the area's call tasks (?state=due|claimed|done|later) in the order to call them."""
    state = request.args.get("state", "due")
    if state not in callrounds.STATES:
        return api_error(422, _("Some fields are not valid."),
                         fields={"state": [_("must be one of: %(values)s", values=", ".join(callrounds.STATES))]})
    page, per_page = page_args()
    session = get_session()
    now = utcnow()
    callrounds.refresh(session, now=now, user=current_user)
    session.commit()
    result = callrounds.worklist(session, current_user, now=now, state=state, page=page, per_page=per_page)
    items = [task_dict(i.task, i.patient, now, i.claimed_name) for i in result.items]
    return jsonify({"items": items, "page": result.page, "per_page": result.per_page, "total": result.total})


@bp.route("/calls/next", methods=("POST",))
@access(*STAFF)
@documented(response=CallTaskOut, errors=(404,))
def next_call():
    """Claim the next patient to call (404 when nobody is due); the same call while one is held."""
    session = get_session()
    now = utcnow()
    task = callrounds.claim_next(session, current_user, now=now)
    if task is None:
        session.commit()  # the phone rounds just opened stay open
        return api_error(404, _("Nobody is due for a call in your area right now."), code="no_call_due")
    patient = session.get(Patient, task.patient_id)
    audit_patient(session, patient, "call_claim", f"call task {task.id} (api)")
    session.commit()
    return jsonify(task_dict(task, patient, now)), 200


@bp.route("/calls/<int:task_id>/outcome", methods=("POST",))
@access(*STAFF)
@documented(body=CallOutcomeIn, response=CallOutcomeOut, errors=(409,))
def call_outcome(task_id: int):
    """Record a call: reached (with the answers, stored as a phone report), no answer, wrong number, refused."""
    session = get_session()
    task = callrounds.get_task_in_scope(session, current_user, task_id)  # outside the area: 404
    data = load_body(CallOutcomeIn())
    now = utcnow()
    try:
        result = callrounds.record_outcome(
            session, task, by=current_user, outcome=data["outcome"], now=now,
            report=data.get("report"), note=data.get("note"),
        )
    except callrounds.CallRefused as exc:
        session.rollback()
        return api_error(409, _("This call is %(state)s: someone else has it, or it is closed.",
                                state=exc.state), code="invalid_transition", state=exc.state)
    patient = session.get(Patient, result.task.patient_id)
    audit_patient(session, patient, "call", f"call task {task.id}: {data['outcome']} (api)")
    session.commit()
    submitted = result.submitted
    body = {
        "task": task_dict(result.task, patient, now),
        "retry_at": iso_z(result.retry_at),
        "ward_told": result.ward_told,
        "report": report_dict(submitted.report) if submitted and submitted.report else None,
        "assessment": (
            assessment_dict(submitted.assessment, current_lang())
            if submitted and submitted.status != Outcome.ENDED
            else None
        ),
    }
    if submitted is not None and submitted.status == Outcome.ENDED:
        body["report_refused"] = "not_active"
    return jsonify(body), 200


def follow_up_dict(patient: Patient) -> dict[str, Any]:
    """Return a patient's follow-up channel and its history in the API's shape."""
    history = followup.history(get_session(), patient.id)
    return {
        "patient_id": patient.id,
        "follow_up": patient.follow_up_channel,
        "history": [
            {
                "at": iso_z(h.at),
                "from_channel": h.from_channel,
                "to_channel": h.to_channel,
                "reason": h.reason,
                "by": {"id": h.by.id, "name": h.by.full_name} if h.by else None,
            }
            for h in history
        ],
    }


@bp.route("/patients/<int:patient_id>/follow-up", methods=("PATCH",))
@access(*STAFF)
@documented(body=FollowUpIn, response=FollowUpOut)
def patch_follow_up(patient_id: int):
    """Switch a patient's follow-up channel (app, sms, phone); the history keeps every change."""
    session = get_session()
    patient = get_patient_in_scope(session, current_user, patient_id)  # outside the area: 404
    data = load_body(FollowUpIn())
    previous = patient.follow_up_channel
    change = followup.set_channel(
        session, patient, data["channel"], by=current_user, now=utcnow(), reason=data.get("reason")
    )
    if change is not None:
        audit_patient(session, patient, "follow_up", f"{previous} -> {change.to_channel} (api)")
    else:
        audit_patient(session, patient, "view", "follow-up (api)")
    session.commit()
    return jsonify(follow_up_dict(patient)), 200
