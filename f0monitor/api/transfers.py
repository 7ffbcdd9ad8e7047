"""Emergency transfers and discharge in the JSON API (../shared/api.md, Staff)."""

from __future__ import annotations

from flask import abort, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy.exc import IntegrityError

from ..data.models import Transfer
from ..data.session import get_session
from ..data.types import MAX_ID
from ..domain.clock import utcnow
from ..domain.transfers import ACTIONS, MAX_AMBULANCE_REF, MAX_NOTE
from ..http.access import access
from ..http.audit import audit_patient
from ..http.errors import api_error
from ..http.labels import (
    discharge_refusal_message,
    field_message,
    reason_text,
    state_label,
    transfer_changed_message,
    transfer_refused_message,
)
from ..services.discharge import OUTCOMES, DischargeInput, DischargeInvalid, DischargeNotAllowed
from ..services.discharge import discharge as discharge_patient
from ..services.scope import get_patient_in_scope, may_see
from ..services.transfers import (
    BED_TYPES,
    PatientNotActive,
    TransferAlreadyOpen,
    TransferChanged,
    TransferInvalid,
    TransferNotAllowed,
    apply_event,
    open_transfer,
)
from . import bp, documented, load_body
from .schemas import Id, StrictSchema
from .serialize import transfer_dict

TRANSFER_ROLES = ("volunteer", "doctor", "coordinator", "admin")
TRANSFER_EVENT_ROLES = ("doctor", "coordinator", "admin")
DISCHARGE_ROLES = ("doctor", "coordinator", "admin")


class TransferIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    facility_id = Id(load_default=None, allow_none=True)
    bed_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(BED_TYPES))


class TransferEventIn(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    facility_id = Id(load_default=None, allow_none=True)
    ambulance_ref = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_AMBULANCE_REF)
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE))
    # Optional optimistic check: the version of the transfer the caller last saw.
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, MAX_ID))
    # A coordinator dispatching before the receiving facility accepted (recorded on the step).
    override = fields.Boolean(load_default=False)


class DischargeIn(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    negative_test_date = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


def _patient(patient_id: int):
    return get_patient_in_scope(get_session(), current_user, patient_id)  # outside: 404


def _transfer(transfer_id: int) -> Transfer:
    transfer = get_session().get(Transfer, transfer_id)
    if transfer is None or not may_see(current_user, transfer.patient):
        abort(404)
    return transfer


def _body(transfer: Transfer) -> dict:
    body = transfer_dict(transfer)
    body["version"] = transfer.version
    return body


def _invalid(field: str, code: str):
    return api_error(422, _("Some fields are not valid."), fields={field: [field_message(field, code)]})


@bp.route("/patients/<int:patient_id>/transfers", methods=("POST",))
@access(*TRANSFER_ROLES)
@documented(body=TransferIn)
def create_transfer(patient_id: int):
    """Open an emergency transfer for a patient (one open transfer per patient)."""
    patient = _patient(patient_id)
    data = load_body(TransferIn())
    session = get_session()
    now = utcnow()
    try:
        transfer = open_transfer(
            session, patient, reason=data["reason"], facility_id=data["facility_id"],
            bed_type=data["bed_type"], by=current_user, now=now,
        )
        audit_patient(session, patient.id, "transfer.open", f"transfer {transfer.id}")
        session.commit()
    except TransferInvalid as exc:
        session.rollback()
        return _invalid(exc.field, exc.message)
    except PatientNotActive:
        session.rollback()
        return api_error(409, _("Home treatment of this patient has ended."), code="not_active")
    except (TransferAlreadyOpen, IntegrityError) as exc:
        session.rollback()
        existing = getattr(exc, "transfer_id", None)
        return api_error(
            409, _("This patient already has an open transfer."), code="transfer_open",
            transfer_id=existing,
        )
    return jsonify(_body(transfer)), 201


@bp.route("/transfers/<int:transfer_id>", methods=("GET",))
@access(*TRANSFER_ROLES)
def get_transfer(transfer_id: int):
    """Return a transfer with every step (who, when)."""
    transfer = _transfer(transfer_id)
    session = get_session()
    audit_patient(session, transfer.patient_id, "transfer.view", f"transfer {transfer.id}")
    session.commit()
    return jsonify(_body(transfer))


@bp.route("/transfers/<int:transfer_id>/events", methods=("POST",))
@access(*TRANSFER_EVENT_ROLES)
@documented(body=TransferEventIn)
def transfer_event(transfer_id: int):
    """Move a transfer one step: dispatch, arrive, admit, cancel or refuse (409 if not allowed)."""
    transfer = _transfer(transfer_id)
    data = load_body(TransferEventIn())
    session = get_session()
    now = utcnow()
    try:
        apply_event(
            session, transfer, data["action"], by=current_user, now=now,
            ambulance_ref=data["ambulance_ref"], facility_id=data["facility_id"],
            note=data["note"], expected_version=data["version"], override=data["override"],
        )
        audit_patient(session, transfer.patient_id, f"transfer.{data['action']}", f"transfer {transfer.id}")
        session.commit()
    except TransferInvalid as exc:
        session.rollback()
        return _invalid(exc.field, exc.message)
    except TransferNotAllowed as exc:
        session.rollback()
        return api_error(
            409, transfer_refused_message(exc.action, exc.state), code=exc.code,
            state=exc.state, state_label=state_label(exc.state),
        )
    except TransferChanged:
        session.rollback()
        current = session.get(Transfer, transfer_id, populate_existing=True)
        state = current.state if current else None
        return api_error(
            409, transfer_changed_message(state), code="conflict", state=state,
            version=current.version if current else None,
        )
    return jsonify(_body(transfer))


@bp.route("/patients/<int:patient_id>/discharge", methods=("POST",))
@access(*DISCHARGE_ROLES)
@documented(body=DischargeIn)
def discharge(patient_id: int):
    """End home treatment: recovered (§7 rule enforced), deceased or withdrawn."""
    patient = _patient(patient_id)
    data = load_body(DischargeIn())
    session = get_session()
    now = utcnow()
    try:
        discharge_patient(
            session, patient,
            DischargeInput(data["outcome"], data["negative_test_date"], data["note"]),
            by=current_user, now=now,
        )
        audit_patient(session, patient.id, f"discharge.{data['outcome']}")
        session.commit()
    except DischargeInvalid as exc:
        session.rollback()
        return _invalid(exc.field, exc.message)
    except DischargeNotAllowed as exc:
        session.rollback()
        extra = {}
        if exc.reason is not None:
            extra["reason"] = {"code": exc.reason.code, "message": reason_text(exc.reason)}
        return api_error(409, discharge_refusal_message(exc), code=exc.code, **extra)
    body = {
        "id": patient.id,
        "status": patient.status,
        "discharged_at": patient.discharged_at.isoformat().replace("+00:00", "Z"),
        "negative_test_date": patient.negative_test_date.isoformat() if patient.negative_test_date else None,
        "certificate_code": patient.certificate_code,
        "verify_url": (
            url_for("public.verify", code=patient.certificate_code, _external=True)
            if patient.certificate_code
            else None
        ),
    }
    return jsonify(body)
