"""A patient's personal data (Decree 13/2023/NĐ-CP): what is held and for how long, a download
of all of it as JSON, and the withdrawal of consent (routes on the patients blueprint)."""

from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...data.session import get_session
from ...domain.clock import utcnow
from ...http.access import access
from ...http.audit import audit_patient, client_ip
from ...services.retention import export_personal_data, withdraw_consent
from ..common.forms import CsrfForm
from . import _own_patient, bp


@bp.route("/privacy")
@access("patient")
def privacy():
    """Show what is held, how long it is kept, the download and the withdrawal of consent."""
    patient = _own_patient()
    return render_template(
        "patients/privacy.html",
        patient=patient,
        form=CsrfForm(),
        retention_days=int(current_app.config.get("RETENTION_DAYS") or 180),
    )


@bp.route("/privacy/my-data.json")
@access("patient")
def download():
    """Download everything held about the patient as JSON (the download is audited)."""
    patient = _own_patient()
    session = get_session()
    now = utcnow()
    body = export_personal_data(session, patient, now=now)
    audit_patient(session, patient, "export_personal_data")
    session.commit()
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="f0monitor-my-data-{now.date().isoformat()}.json"',
                 "Cache-Control": "no-store"},
    )


@bp.route("/privacy/withdraw", methods=("POST",))
@access("patient")
def withdraw():
    """Withdraw consent: the follow-up stops and staff are told (a confirmation is required)."""
    patient = _own_patient()
    # CSRFProtect has checked the form's token before this view runs.
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that you withdraw your consent."), "danger")
        return redirect(url_for("patients.privacy"), 303)
    session = get_session()
    withdraw_consent(session, patient, now=utcnow(), user_id=patient.user_id, ip=client_ip())
    session.commit()
    flash(_("Your consent is withdrawn. Follow-up has stopped and your health station has been told."), "success")
    return redirect(url_for("patients.privacy"), 303)
