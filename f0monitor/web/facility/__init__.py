"""The receiving facility's page: incoming emergency transfers to accept or refuse.

A ``facility`` user is scoped to one facility (``User.facility_id``): they see the open
transfers addressed to it, with what a duty doctor needs to decide (age, tier, the latest
vitals, the bed type asked for, the reason), and accept or refuse with a reason. Every view of
a patient's details here is audited like any other read of a patient record.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...data.models import Facility
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, utcnow
from ...http.access import access
from ...http.audit import audit_patient
from ...http.labels import BED_TYPE_LABELS, field_message, state_label, transfer_refused_message
from ...services.transfers import (
    TransferChanged,
    TransferInvalid,
    TransferNotAllowed,
    apply_event,
    incoming_transfers,
    latest_reports,
)
from ..common.forms import CsrfForm

bp = Blueprint("facility", __name__, url_prefix="/facility")
FACILITY = "facility"


def _facility() -> Facility:
    session = get_session()
    facility = session.get(Facility, current_user.facility_id) if current_user.facility_id else None
    if facility is None:
        abort(403)
    return facility


@bp.route("/")
@access(FACILITY)
def index():
    """List the open transfers to this facility: the ones to answer first."""
    session = get_session()
    facility = _facility()
    now = utcnow()
    transfers = incoming_transfers(session, facility.id)
    latest = latest_reports(session, [t.patient_id for t in transfers])
    for t in transfers:
        audit_patient(session, t.patient_id, "transfer.view", f"transfer {t.id} (facility)")
    session.commit()
    return render_template(
        "facility/index.html", facility=facility, transfers=transfers, latest=latest, now=now,
        age=lambda p: risk.age_on(p.date_of_birth, local_date(now))[0], bed_labels=BED_TYPE_LABELS,
        state_label=state_label, form=CsrfForm(), errors={},
    )


@bp.route("/transfers/<int:transfer_id>", methods=("POST",))
@access(FACILITY)
def answer(transfer_id: int):
    """Accept or refuse (with a reason) a transfer addressed to this facility."""
    session = get_session()
    facility = _facility()
    transfer = next((t for t in incoming_transfers(session, facility.id) if t.id == transfer_id), None)
    if transfer is None:
        abort(404)
    form = CsrfForm()
    if not form.validate():
        flash(_("Your form has expired. Please send it again."), "danger")
        return redirect(url_for("facility.index"), 303)
    action = request.form.get("action")
    if action not in ("accept", "refuse"):
        abort(400)
    note = (request.form.get("note") or "")[:1000]
    try:
        version = int(request.form.get("version") or 0) or None
    except ValueError:
        version = None
    try:
        apply_event(session, transfer, action, by=current_user, now=utcnow(), note=note,
                    expected_version=version)
        audit_patient(session, transfer.patient_id, f"transfer.{action}", f"transfer {transfer.id}")
        session.commit()
    except TransferInvalid as exc:
        session.rollback()
        flash(field_message(exc.field, exc.message), "danger")
        return redirect(url_for("facility.index") + f"#t{transfer_id}", 303)
    except (TransferNotAllowed, TransferChanged) as exc:
        session.rollback()
        flash(transfer_refused_message(action, getattr(exc, "state", None) or ""), "danger")
        return redirect(url_for("facility.index"), 303)
    if action == "accept":
        flash(_("Transfer accepted: the coordinator can dispatch the ambulance."), "success")
    else:
        flash(_("Transfer refused: the coordinator will look for another facility."), "success")
    return redirect(url_for("facility.index"), 303)
