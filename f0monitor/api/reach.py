"""Reminder preferences, the patient timeline and delivery receipts (api.md "Follow-up
channels"): ``PATCH /me/preferences``, ``GET /patients/{id}/timeline``,
``POST /hooks/sms/status``."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import STAFF, access
from ..http.audit import audit_patient
from ..http.errors import api_error
from ..http.labels import render
from ..services import delivery, preferences
from ..services.scope import get_patient_in_scope
from ..services.timeline import timeline
from . import bp, documented, load_body, page_args
from .me import own_patient
from .schemas import PreferencesIn, ReceiptIn, ReceiptOut, RemindersOut, TimelineOut, iso_z


@bp.route("/me/preferences", methods=("PATCH",))
@access("patient")
@documented(body=PreferencesIn, response=RemindersOut)
def update_preferences():
    """Change the caller's reminder channels, e-mail, quiet hours, or opt out / back in."""
    body = load_body(PreferencesIn())
    session = get_session()
    try:
        prefs = preferences.update(
            session, patient=own_patient(), now=utcnow(), via="api",
            channels=body.get("channels"), email=(body["email"] or "") if "email" in body else None,
            quiet_hours=body.get("quiet_hours"), opted_out=body.get("opted_out"),
        )
    except preferences.PreferenceInvalid as exc:
        session.rollback()
        return api_error(422, _("Some fields are not valid."), fields={exc.field: [render(exc.msg)]})
    session.commit()
    return jsonify(RemindersOut().dump(prefs.as_dict()))


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


@bp.route("/patients/<int:patient_id>/timeline", methods=("GET",))
@access(*STAFF)
@documented(response=TimelineOut)
def patient_timeline(patient_id: int):
    """Everything that happened to a patient, newest first, paginated (audited)."""
    session = get_session()
    patient = get_patient_in_scope(session, current_user, patient_id)
    page, per_page = page_args()
    items, total = timeline(session, patient.id, page=page, per_page=per_page)
    audit_patient(session, patient, "view", "api timeline")
    session.commit()
    return jsonify({"items": _json(items), "page": page, "per_page": per_page, "total": total})


def hook_token_ok() -> bool:
    """The SMS gateway's shared secret (``SMS_HOOK_TOKEN``) in ``X-F0-Hook-Token``."""
    expected = str(current_app.config.get("SMS_HOOK_TOKEN") or "")
    given = request.headers.get("X-F0-Hook-Token", "")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


@bp.route("/hooks/sms/status", methods=("POST",))
@access("public")
@documented(body=ReceiptIn, response=ReceiptOut, errors=(401,))
def sms_status_hook():
    """A delivery receipt from the SMS gateway for a message we sent."""
    if not hook_token_ok():
        return api_error(401, _("Please log in."))
    body = load_body(ReceiptIn())
    session = get_session()
    row = delivery.record_receipt(session, provider_message_id=body["message_id"],
                                  status=body["status"], error=body.get("error"), now=utcnow())
    if row is None:
        return api_error(404, _("This page does not exist, or you may not see it."))
    session.commit()
    return jsonify({"message_id": body["message_id"], "status": row.status})
