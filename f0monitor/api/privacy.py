"""A patient's personal data through the API (Decree 13/2023): the export and consent withdrawal.

- ``GET /api/v1/me/export`` — everything held about the caller, as JSON (audited).
- ``POST /api/v1/me/consent/withdraw`` ``{"confirm": true}`` — withdraw consent: the follow-up
  stops and staff are told; 200 with ``consent_withdrawn_at`` (the same on a repeat).
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import INCLUDE, Schema, fields

from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import access
from ..http.audit import audit_patient, client_ip
from ..http.errors import api_error
from ..services.retention import export_personal_data, withdraw_consent
from . import bp, documented
from .me import own_patient
from .schemas import StrictSchema, iso_z


class ConsentWithdrawIn(StrictSchema):
    confirm = fields.Boolean(required=True, metadata={"description": "must be true"})


class ConsentWithdrawnOut(Schema):
    status = fields.String(required=True)
    consent_withdrawn_at = fields.String(allow_none=True, required=True)


class PersonalDataOut(Schema):
    """Everything held about the caller: profile, account, reports, assessments, alerts, contacts..."""

    class Meta:
        unknown = INCLUDE


@bp.route("/me/export", methods=("GET",))
@access("patient")
@documented(response=PersonalDataOut)
def export_me():
    """Return everything held about the caller (profile, account, reports, alerts, ...)."""
    patient = own_patient()
    session = get_session()
    body = export_personal_data(session, patient, now=utcnow())
    audit_patient(session, patient, "export_personal_data")
    session.commit()
    return jsonify(body), 200, {"Cache-Control": "no-store"}


@bp.route("/me/consent/withdraw", methods=("POST",))
@access("patient")
@documented(body=ConsentWithdrawIn, response=ConsentWithdrawnOut)
def withdraw_me():
    """Withdraw the caller's consent; the body must say ``{"confirm": true}``."""
    patient = own_patient()
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict) or body.get("confirm") is not True:
        return api_error(422, _("Some fields are not valid."),
                         fields={"confirm": [_("Send true to confirm the withdrawal.")]})
    session = get_session()
    withdraw_consent(session, patient, now=utcnow(), user_id=patient.user_id, ip=client_ip())
    session.commit()
    return jsonify({"status": patient.status, "consent_withdrawn_at": iso_z(patient.consent_withdrawn_at)})
