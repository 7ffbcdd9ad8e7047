"""Staff pages: end of home treatment, and the printable completion certificate."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...data.models import Patient
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, utcnow
from ...domain.states import PatientStatus
from ...http.access import STAFF, access
from ...http.certificates import certificate_context
from ...http.labels import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    discharge_refusal_message,
    field_message,
    reason_text,
)
from ...services.discharge import (
    DischargeInput,
    DischargeInvalid,
    DischargeNotAllowed,
    discharge,
    recovery_check,
)
from ...services.scope import OutOfScope, get_patient_in_scope
from ..common.forms import CsrfForm, choices
from . import audit_patient, bp
from .transfers import staff_patient_url

DISCHARGE_ROLES = ("doctor", "coordinator", "admin")


class DischargeForm(CsrfForm):
    outcome = RadioField("", choices=[], validators=[InputRequired()])
    negative_test_date = DateField("", validators=[Optional()])
    note = TextAreaField("", validators=[Optional(), Length(max=1000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.label.text = _("How did home treatment end?")
        self.negative_test_date.label.text = _(
            "Date of the negative rapid antigen test done or supervised by a health worker"
        )
        self.note.label.text = _("Note (optional)")
        self.outcome.choices = choices((k, str(v)) for k, v in OUTCOME_LABELS.items())


def _patient_or_404(patient_id: int) -> Patient:
    try:
        return get_patient_in_scope(get_session(), current_user, patient_id)
    except OutOfScope:
        abort(404)


def _recovery_summary(patient: Patient, today: date) -> dict[str, Any]:
    day = risk.day_of_treatment(patient.positive_test_date, today)
    without, why_not = recovery_check(patient, DischargeInput("recovered"), today)
    with_test, _why = recovery_check(patient, DischargeInput("recovered", today), today)
    return {
        "day": day,
        "allowed_without_test": without,
        "allowed_with_test": with_test,
        "why_not": reason_text(why_not) if why_not else None,
    }


def panel_data(patient: Patient) -> dict[str, Any]:
    """Return what the discharge panel of the staff patient page shows (a Jinja global)."""
    today = local_date(utcnow())
    return {
        "summary": _recovery_summary(patient, today) if patient.status == PatientStatus.ACTIVE else None,
        "status_label": str(STATUS_LABELS.get(patient.status, patient.status)),
        "can_discharge": getattr(current_user, "role", None) in DISCHARGE_ROLES,
        "certificate_url": (
            url_for("staff.certificate", patient_id=patient.id)
            if patient.status == "recovered" and patient.certificate_code
            else None
        ),
    }


@bp.route("/patients/<int:patient_id>/discharge", methods=("GET", "POST"))
@access(*DISCHARGE_ROLES)
def discharge_patient(patient_id: int):
    """End home treatment: recovered (day 7 with a negative test, else day 10 / 14), deceased, withdrawn."""
    patient = _patient_or_404(patient_id)
    session = get_session()
    now = utcnow()
    form = DischargeForm()
    refusal: str | None = None
    if patient.status != PatientStatus.ACTIVE:
        flash(_("Home treatment of this patient has already ended."), "info")
        if patient.certificate_code:
            return redirect(url_for("staff.certificate", patient_id=patient.id), 303)
        return redirect(staff_patient_url(patient.id) or url_for("staff.index"), 303)
    if request.method == "POST" and form.validate():
        data = DischargeInput(form.outcome.data, form.negative_test_date.data, form.note.data)
        try:
            discharge(session, patient, data, by=current_user, now=now)
            audit_patient(session, patient.id, f"discharge.{data.outcome}")
            session.commit()
        except DischargeInvalid as exc:
            session.rollback()
            getattr(form, exc.field).errors = [field_message(exc.field, exc.message)]
        except DischargeNotAllowed as exc:
            session.rollback()
            refusal = discharge_refusal_message(exc)
            if exc.code == "recovery_not_allowed":
                form.outcome.errors = [refusal]
        else:
            if data.outcome == "recovered":
                flash(_("Marked recovered. Print the completion certificate below."), "success")
                return redirect(url_for("staff.certificate", patient_id=patient.id), 303)
            flash(_("Home treatment ended: %(status)s.", status=STATUS_LABELS[data.outcome]), "success")
            return redirect(staff_patient_url(patient.id) or url_for("staff.index"), 303)
    elif request.method == "POST":
        for field in (form.outcome, form.negative_test_date, form.note):
            if field.errors:
                field.errors = [_("choose how home treatment ended")] if field is form.outcome else (
                    [_("enter a valid date")] if field is form.negative_test_date else [_("at most 1000 characters")]
                )
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "staff/discharge/form.html", patient=patient, form=form, refusal=refusal,
            summary=_recovery_summary(patient, local_date(now)), staff_patient_url=staff_patient_url,
        ),
        status,
    )


@bp.route("/patients/<int:patient_id>/certificate")
@access(*STAFF)
def certificate(patient_id: int):
    """Print the certificate of completed home treatment, with its verification QR code."""
    patient = _patient_or_404(patient_id)
    if patient.status != "recovered" or not patient.certificate_code:
        abort(404)
    session = get_session()
    audit_patient(session, patient.id, "certificate.view")
    session.commit()
    return render_template(
        "public/certificate.html", **certificate_context(patient), staff_patient_url=staff_patient_url
    )


bp.add_app_template_global(panel_data, "discharge_panel_data")
