"""Pages for patients: registration, the twice-daily report and their home page."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError

from ...data.models import Patient
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, utcnow
from ...extensions import limiter
from ...http.access import PUBLIC, access
from ...http.auth import phone_key, remember_device, start_session
from ...http.labels import chart_lines, render_reasons
from ...services import PhoneTaken, areas, inputs
from ...services.assessments import to_profile
from ...services.patients import register_patient
from ...services.reports import Submitted, check_submission, recent_reports, submit_report
from ...services.summary import patient_summary
from ..common.charts import report_figures
from ..common.forms import WARNING_QUESTIONS, RegistrationForm, ReportForm
from ..common.submission import flash_submission

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
                if patient.user is not None:
                    start_session(patient.user)  # logged in, with a session row they can revoke
                session.commit()
            except (PhoneTaken, IntegrityError):
                session.rollback()
                logout_user()
                form.phone.errors = [
                    _("This phone number is already registered. Log in, or call your health station.")
                ]
            else:
                flash(_("Welcome. Please send your first health report now."), "success")
                response = redirect(url_for("patients.new_report"))
                return remember_device(response, phone_key(patient.phone)) if patient.user else response
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
    session = get_session()
    form = ReportForm()
    if request.method == "GET":
        form.client_key.data = uuid.uuid4().hex
    # A retry (double tap, back button) is answered before the form is read; so is a
    # patient whose treatment ended, who is not shown the form at all.
    answered = check_submission(session, patient, form.client_key.data if request.method == "POST" else None)
    if answered is not None:
        return _answer(answered)
    recheck_prompt = False
    if request.method == "POST" and form.validate():
        data = form.to_input()
        # A form-level step before submitting: a low SpO2 is measured again once.
        if (
            inputs.needs_spo2_recheck(data.spo2)
            and data.spo2_recheck is None
            and request.form.get("recheck_asked") != "1"
        ):
            recheck_prompt = True
        else:
            outcome = submit_report(session, patient, data, now=utcnow(), channel="self")
            session.commit()
            return _answer(outcome)
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


def _answer(outcome: Submitted):
    """Tell the patient what became of their report, on their home page."""
    flash_submission(outcome, "patient")
    return redirect(url_for("patients.home"))


@bp.route("/home")
@access("patient")
def home():
    """Show the patient's day of treatment, latest tier, advice, next report and history."""
    patient = _own_patient()
    session = get_session()
    now = utcnow()
    summary = patient_summary(session, patient, now=now)
    reports = recent_reports(session, patient.id, limit=60)
    latest, assessment = summary.latest_report, summary.latest_assessment
    thresholds = chart_lines(risk.chart_thresholds(to_profile(patient), local_date(now)))
    figures = report_figures(reports, thresholds)
    reasons = render_reasons(assessment.reasons) if assessment else []
    signs = render_reasons(assessment.warning_signs) if assessment else []
    return render_template(
        "patients/home.html",
        patient=patient,
        day=summary.day_of_treatment,
        latest=latest,
        reports=reports,
        next_due=summary.next_report_due,
        now=now,
        flag=summary.reporting_flag,
        open_alert=summary.open_alert,
        transfer=summary.latest_transfer,
        figures=figures,
        reasons=reasons,
        signs=signs,
        ward_name=areas.ward_name(patient.ward_code),
        province_name=areas.province_name(patient.province_code),
    )
