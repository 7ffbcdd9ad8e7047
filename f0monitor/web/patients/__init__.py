"""Pages for patients: registration, the twice-daily report and their home page."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy.exc import IntegrityError

from ...data.models import Alert, Patient, Transfer
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, next_report_due, utcnow
from ...domain.states import PatientStatus
from ...extensions import limiter
from ...http.access import PUBLIC, access
from ...http.labels import chart_lines, render_reasons
from ...services import PhoneTaken, areas, inputs
from ...services.assessments import to_profile
from ...services.patients import register_patient
from ...services.reports import find_by_key, recent_reports, record_report
from ..common.charts import report_figures
from ..common.forms import WARNING_QUESTIONS, RegistrationForm, ReportForm

bp = Blueprint("patients", __name__)


def _register_limit() -> str:
    from flask import current_app

    return current_app.config["REGISTER_LIMIT"]


@bp.route("/register", methods=("GET", "POST"))
@access(PUBLIC)
@limiter.limit(_register_limit, methods=["POST"])
def register():
    """Register as a patient treated at home."""
    if current_user.is_authenticated and current_user.role == "patient":
        return redirect(url_for("patients.home"))
    form = RegistrationForm()
    if request.method == "POST" and form.reload_wards.data:
        # The no-JavaScript way to refresh the ward list: keep everything, validate nothing.
        return render_template("patients/register.html", form=form)
    if request.method == "POST":
        now = utcnow()
        if form.validate(today=local_date(now)):
            session = get_session()
            try:
                patient = register_patient(session, form.to_input(), now=now)
                session.commit()
            except (PhoneTaken, IntegrityError):
                session.rollback()
                form.phone.errors = [
                    _("This phone number is already registered. Log in, or call your health station.")
                ]
            else:
                login_user(patient.user)
                flash(_("Welcome. Please send your first health report now."), "success")
                return redirect(url_for("patients.new_report"))
    return render_template("patients/register.html", form=form), 200 if request.method == "GET" or not form.errors else 422


def _own_patient() -> Patient:
    patient = get_session().scalar(sa.select(Patient).where(Patient.user_id == current_user.id))
    if patient is None:
        abort(404)
    return patient


@bp.route("/report", methods=("GET", "POST"))
@access("patient")
def new_report():
    """Send the twice-daily health report."""
    patient = _own_patient()
    form = ReportForm()
    if request.method == "GET":
        form.client_key.data = uuid.uuid4().hex
    if patient.status != PatientStatus.ACTIVE:
        flash(_("Your home treatment has ended; reports are no longer needed."), "info")
        return redirect(url_for("patients.home"))
    recheck_prompt = False
    if request.method == "POST":
        session = get_session()
        key = (form.client_key.data or "")[:64] or None
        if key and find_by_key(session, patient.id, key) is not None:
            # A double tap, the back button or a retry: the first submission already counts.
            flash(_("Your report was already received."), "info")
            return redirect(url_for("patients.home"))
        if form.validate():
            data = form.to_input()
            if (
                inputs.needs_spo2_recheck(data.spo2)
                and data.spo2_recheck is None
                and request.form.get("recheck_asked") != "1"
            ):
                recheck_prompt = True
            else:
                now = utcnow()
                try:
                    recorded = record_report(session, patient, data, now=now, channel="self")
                    session.commit()
                except IntegrityError:
                    session.rollback()  # the same key won a race in another request
                    flash(_("Your report was already received."), "info")
                    return redirect(url_for("patients.home"))
                if recorded.result is not None and recorded.result.alert:
                    flash(_("Report received. Warning signs found: see what to do now."), "danger")
                else:
                    flash(_("Report received. Thank you."), "success")
                return redirect(url_for("patients.home"))
    status = 200
    if request.method == "POST" and not recheck_prompt:
        status = 422
    return (
        render_template(
            "patients/report.html",
            form=form,
            patient=patient,
            warning_questions=list(WARNING_QUESTIONS),
            recheck_prompt=recheck_prompt,
            recheck_at=risk.SPO2_RECHECK_AT,
            ranges=risk.INPUT_RANGES,
        ),
        status,
    )


@bp.route("/home")
@access("patient")
def home():
    """Show the patient's day of treatment, latest tier, advice, next report and history."""
    patient = _own_patient()
    session = get_session()
    now = utcnow()
    reports = recent_reports(session, patient.id, limit=60)
    latest = reports[0] if reports else None
    open_alert = session.scalar(
        sa.select(Alert).where(Alert.patient_id == patient.id, Alert.state != "resolved").limit(1)
    )
    transfer = session.scalar(
        sa.select(Transfer)
        .where(Transfer.patient_id == patient.id)
        .order_by(Transfer.requested_at.desc())
        .limit(1)
    )
    thresholds = chart_lines(risk.chart_thresholds(to_profile(patient), local_date(now)))
    figures = report_figures(reports, thresholds)
    reasons = render_reasons(latest.assessment.reasons) if latest and latest.assessment else []
    signs = (
        render_reasons(latest.assessment.warning_signs)
        if latest and latest.assessment
        else []
    )
    return render_template(
        "patients/home.html",
        patient=patient,
        day=risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        latest=latest,
        reports=reports,
        next_due=next_report_due(patient.last_report_at, now),
        now=now,
        flag=risk.reporting_flag(patient.last_report_at, patient.registered_at, now),
        open_alert=open_alert,
        transfer=transfer,
        figures=figures,
        reasons=reasons,
        signs=signs,
        ward_name=areas.ward_name(patient.ward_code),
        province_name=areas.province_name(patient.province_code),
    )
