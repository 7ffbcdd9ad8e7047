"""Staff pages for emergency transfers and facility beds (routes on the staff blueprint)."""

from __future__ import annotations

import statistics
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from ...data.models import Facility, Patient, Transfer, TransferEvent
from ...data.session import get_session
from ...data.types import as_id
from ...domain import transfers as lifecycle
from ...domain.clock import utcnow
from ...domain.states import PatientStatus
from ...http.access import STAFF, access
from ...http.labels import (
    ACTION_LABELS,
    BED_TYPE_LABELS,
    EVENT_LABELS,
    field_message,
    state_label,
    transfer_changed_message,
    transfer_refused_message,
)
from ...services.scope import OutOfScope, get_patient_in_scope, may_see, patients_in_scope
from ...services.transfers import (
    OVERRIDE_ROLES,
    BedsInput,
    FacilityChanged,
    PatientNotActive,
    TransferAlreadyOpen,
    TransferChanged,
    TransferInvalid,
    TransferNotAllowed,
    apply_event,
    facilities_for,
    open_transfer,
    open_transfer_of,
    step_times,
    transfers_of,
    update_beds,
)
from ..common.forms import CsrfForm
from . import audit_patient, bp

OPEN_ROLES = STAFF  # anyone on the phone with a patient in distress may request an ambulance
ACT_ROLES = ("doctor", "coordinator", "admin")
BEDS_ROLES = ("coordinator", "admin")


def staff_patient_url(patient_id: int) -> str | None:
    """Return the staff page of a patient (part A's page), or None while it does not exist."""
    for endpoint in ("staff.patient", "staff.patient_detail", "staff.patient_page"):
        try:
            return url_for(endpoint, patient_id=patient_id)
        except BuildError:
            continue
    return None


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    if target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return default


def _province(user: Any) -> int | None:
    return getattr(user, "province_code", None)


def _patient_or_404(patient_id: int) -> Patient:
    try:
        return get_patient_in_scope(get_session(), current_user, patient_id)
    except OutOfScope:
        abort(404)


def _transfer_or_404(transfer_id: int) -> Transfer:
    transfer = get_session().get(
        Transfer, transfer_id, options=[selectinload(Transfer.events).selectinload(TransferEvent.by)]
    )
    if transfer is None or not may_see(current_user, transfer.patient):
        abort(404)
    return transfer


def panel_data(patient: Patient) -> dict[str, Any]:
    """Return what the transfer panel of the staff patient page shows (a Jinja global)."""
    session = get_session()
    transfers = transfers_of(session, patient.id)[:5]
    current = next((t for t in transfers if lifecycle.is_open(t.state)), None)
    # An admitted patient's admission is their current state, not an "earlier transfer".
    admission = None
    if current is None and patient.status == PatientStatus.TRANSFERRED:
        admission = next((t for t in transfers if t.state == "admitted"), None)
    role = getattr(current_user, "role", None)
    return {
        "transfers": transfers,
        "current": current,
        "admission": admission,
        "facilities": facilities_for(session, patient.province_code),
        "actions": lifecycle.allowed_actions(current.state, override=role in OVERRIDE_ROLES) if current else (),
        "can_open": role in OPEN_ROLES and patient.status == PatientStatus.ACTIVE and current is None,
        "can_act": role in ACT_ROLES,
        "form": CsrfForm(),
    }


def _labels() -> dict[str, Any]:
    return {
        "state_label": state_label,
        "action_labels": ACTION_LABELS,
        "event_labels": EVENT_LABELS,
        "staff_patient_url": staff_patient_url,
    }


@bp.route("/patients/<int:patient_id>/transfers/new", methods=("GET", "POST"))
@access(*OPEN_ROLES)
def new_transfer(patient_id: int):
    """Open an emergency transfer for a patient: reason and destination (with free beds)."""
    patient = _patient_or_404(patient_id)
    session = get_session()
    form = CsrfForm()
    values = {"reason": "", "facility_id": "", "bed_type": ""}
    errors: dict[str, str] = {}
    existing = open_transfer_of(session, patient.id)
    if request.method == "POST" and form.validate():
        values = {
            "reason": (request.form.get("reason") or "")[:2000],
            "facility_id": request.form.get("facility_id") or "",
            "bed_type": (request.form.get("bed_type") or "")[:16],
        }
        now = utcnow()
        try:
            transfer = open_transfer(
                session, patient, reason=values["reason"], facility_id=values["facility_id"] or None,
                bed_type=values["bed_type"] or None, by=current_user, now=now,
            )
            audit_patient(session, patient.id, "transfer.open", f"transfer {transfer.id}")
            session.commit()
        except TransferInvalid as exc:
            session.rollback()
            errors[exc.field] = field_message(exc.field, exc.message)
        except PatientNotActive:
            session.rollback()
            flash(_("Home treatment of this patient has ended: no transfer can be opened."), "danger")
            return redirect(url_for("staff.new_transfer", patient_id=patient.id), 303)
        except (TransferAlreadyOpen, IntegrityError):
            session.rollback()
            flash(_("This patient already has an open transfer."), "danger")
            current = open_transfer_of(session, patient.id)
            if current is not None:
                return redirect(url_for("staff.transfer", transfer_id=current.id), 303)
            return redirect(url_for("staff.new_transfer", patient_id=patient.id), 303)
        else:
            flash(_("Transfer requested. The receiving facility is asked to accept it; then dispatch the ambulance."), "success")
            return redirect(_safe_next(url_for("staff.transfer", transfer_id=transfer.id)), 303)
    elif request.method == "POST":
        errors["form"] = _("Your form has expired. Please send it again.")
    status = 422 if errors else 200
    return (
        render_template(
            "staff/transfers/new.html", patient=patient, form=form, values=values, errors=errors,
            existing=existing, facilities=facilities_for(session, patient.province_code),
            **_labels(),
        ),
        status,
    )


@bp.route("/transfers/<int:transfer_id>")
@access(*STAFF)
def transfer(transfer_id: int):
    """Show a transfer, every step (who, when) and the actions its state allows."""
    t = _transfer_or_404(transfer_id)
    session = get_session()
    audit_patient(session, t.patient_id, "transfer.view", f"transfer {t.id}")
    session.commit()
    return _render_detail(t, {}, {})


def _render_detail(t: Transfer, values: dict[str, str], errors: dict[str, str], status: int = 200):
    session = get_session()
    return (
        render_template(
            "staff/transfers/detail.html", transfer=t, patient=t.patient, form=CsrfForm(),
            actions=lifecycle.allowed_actions(t.state, override=getattr(current_user, "role", None) in OVERRIDE_ROLES),
            can_act=current_user.role in ACT_ROLES,
            facilities=facilities_for(session, t.patient.province_code),
            values=values, errors=errors, **_labels(),
        ),
        status,
    )


@bp.route("/transfers/<int:transfer_id>/events", methods=("POST",))
@access(*ACT_ROLES)
def transfer_event(transfer_id: int):
    """Move a transfer one step; a refused or stale action says what the state is now."""
    t = _transfer_or_404(transfer_id)
    session = get_session()
    form = CsrfForm()
    detail_url = url_for("staff.transfer", transfer_id=t.id)
    if not form.validate():
        flash(_("Your form has expired. Please send it again."), "danger")
        return redirect(detail_url, 303)
    action = request.form.get("action") or ""
    values = {
        "action": action,
        "ambulance_ref": (request.form.get("ambulance_ref") or "")[:200],
        "facility_id": request.form.get("facility_id") or "",
        "note": (request.form.get("note") or "")[:2000],
    }
    try:
        expected = int(request.form.get("version") or 0) or None
    except ValueError:
        expected = None
    now = utcnow()
    try:
        apply_event(
            session, t, action, by=current_user, now=now, ambulance_ref=values["ambulance_ref"],
            facility_id=values["facility_id"] or None, note=values["note"], expected_version=expected,
            override=request.form.get("override") == "1",
        )
        audit_patient(session, t.patient_id, f"transfer.{action}", f"transfer {t.id}")
        session.commit()
    except TransferInvalid as exc:
        session.rollback()
        t = _transfer_or_404(transfer_id)
        return _render_detail(t, values, {exc.field: field_message(exc.field, exc.message)}, 422)
    except TransferNotAllowed as exc:
        session.rollback()
        flash(transfer_refused_message(exc.action, exc.state), "danger")
        return redirect(detail_url, 303)
    except TransferChanged:
        session.rollback()
        current = session.get(Transfer, transfer_id, populate_existing=True)
        flash(transfer_changed_message(current.state if current else None), "danger")
        return redirect(detail_url, 303)
    flash(_("Done: the transfer is now %(state)s.", state=state_label(t.state)), "success")
    return redirect(_safe_next(detail_url), 303)


@bp.route("/transfers")
@access(*STAFF)
def transfers():
    """List the area's transfers (open by default, or closed, or all; by facility) with the
    minutes between request, acceptance, dispatch and admission."""
    session = get_session()
    state = request.args.get("state") if request.args.get("state") in ("open", "closed", "all") else "open"
    facility_id = as_id(request.args.get("facility"))
    conds = []
    if state == "open":
        conds.append(Transfer.state.in_(lifecycle.OPEN_STATES))
    elif state == "closed":
        conds.append(Transfer.state.not_in(lifecycle.OPEN_STATES))
    if facility_id is not None:
        conds.append(Transfer.facility_id == facility_id)
    stmt = (
        sa.select(Transfer)
        .join(Patient, Transfer.patient_id == Patient.id)
        .where(*conds)
        .options(selectinload(Transfer.events), selectinload(Transfer.patient), selectinload(Transfer.facility))
        .order_by(Transfer.requested_at if state == "open" else Transfer.requested_at.desc())
        .limit(200)
    )
    rows = list(session.scalars(patients_in_scope(stmt, current_user)))
    times = {t.id: step_times(t) for t in rows}
    done = [times[t.id] for t in rows]
    medians = {
        key: _median([getattr(x, key) for x in done if getattr(x, key) is not None])
        for key in ("to_accept", "to_dispatch", "to_admit", "total")
    }
    return render_template(
        "staff/transfers/list.html", transfers=rows, times=times, medians=medians, state=state,
        facility_id=facility_id, facilities=facilities_for(session, current_user.province_code),
        **_labels(),
    )


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


@bp.route("/facilities", methods=("GET", "POST"))
@access(*STAFF)
def facilities():
    """Facilities of the province with their beds; coordinators update them here."""
    session = get_session()
    rows = facilities_for(session, _province(current_user))
    form = CsrfForm()
    errors: dict[int, dict[str, str]] = {}
    values: dict[int, dict[str, str]] = {}
    status = 200
    if request.method == "POST":
        if current_user.role not in BEDS_ROLES:
            abort(403)
        try:
            fid = int(request.form.get("facility_id") or 0)
        except ValueError:
            fid = 0
        facility = next((f for f in rows if f.id == fid), None)
        if facility is None:
            abort(404)
        raw = {k: (request.form.get(k) or "").strip()[:12] for k in ("bed_capacity", "free_beds")}
        values[fid] = raw
        numbers: dict[str, int] = {}
        for key, text in raw.items():
            if not text.isdigit():
                errors.setdefault(fid, {})[key] = _("enter a whole number, 0 or more")
            else:
                numbers[key] = int(text)
        try:
            expected = int(request.form.get("version") or 0) or None
        except ValueError:
            expected = None
        if not form.validate():
            errors.setdefault(fid, {})["form"] = _("Your form has expired. Please send it again.")
        if not errors:
            try:
                update_beds(session, facility, BedsInput(numbers["bed_capacity"], numbers["free_beds"]),
                            expected_version=expected, by=current_user, now=utcnow())
                session.commit()
            except TransferInvalid as exc:
                session.rollback()
                errors.setdefault(fid, {})[exc.field] = field_message(exc.field, exc.message)
            except FacilityChanged:
                session.rollback()
                fresh = session.get(Facility, fid, populate_existing=True)
                flash(
                    _("Someone else changed the beds of %(name)s: now %(free)s free of %(beds)s. "
                      "Check and send again.", name=fresh.name, free=fresh.free_beds,
                      beds=fresh.bed_capacity),
                    "danger",
                )
                return redirect(url_for("staff.facilities") + f"#facility-{fid}", 303)
            else:
                flash(_("Beds of %(name)s saved.", name=facility.name), "success")
                return redirect(url_for("staff.facilities") + f"#facility-{fid}", 303)
        status = 422
        rows = facilities_for(session, _province(current_user))
    return (
        render_template(
            "staff/transfers/facilities.html", facilities=rows, form=form, errors=errors,
            values=values, can_edit=current_user.role in BEDS_ROLES,
        ),
        status,
    )


bp.add_app_template_global(panel_data, "transfer_panel_data")
bp.add_app_template_global(staff_patient_url, "staff_patient_url")
bp.add_app_template_global(state_label, "transfer_state_label")
bp.add_app_template_global(EVENT_LABELS, "transfer_event_labels")  # type: ignore[arg-type]
bp.add_app_template_global(ACTION_LABELS, "transfer_action_labels")  # type: ignore[arg-type]
bp.add_app_template_global(BED_TYPE_LABELS, "bed_type_labels")  # type: ignore[arg-type]
