"""Pages for patients: registration, the twice-daily report and their home page."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from ...data.models import Patient
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, utcnow
from ...extensions import limiter
from ...http.access import PUBLIC, access
from ...http.auth import phone_key, remember_device, start_session
from ...http.labels import chart_lines, render_reasons
from ...services import PhoneTaken, areas, inputs, trend
from ...services.assessments import to_profile
from ...services.patients import register_patient
from ...services.reports import Submitted, check_submission, recent_reports, submit_report
from ...services.summary import patient_summary
from ..common.charts import report_figures
from ..common.forms import WARNING_QUESTIONS, RegistrationForm, ReportForm
from ..common.submission import flash_submission, submission_text

bp = Blueprint("patients", __name__)


@bp.app_context_processor
def _offline_settings() -> dict[str, int]:
    """How long a report may wait on the phone (§1 of the rules), for the pages' offline queue."""
    return {"report_past_hours": risk.RULES.get("REPORT_PAST_HOURS", 72)}


@bp.app_template_filter("json_script")
def _json_script(value) -> str:
    """JSON for a <script type="application/json"> block: UTF-8 as is, no way out of the tag."""
    import json

    from markupsafe import Markup

    text = json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


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
    now = utcnow()
    if request.method == "POST" and _valid_report(form, patient, now):
        data = form.to_input()
        # A form-level step before submitting: a low SpO2 is measured again once.
        if (
            inputs.needs_spo2_recheck(data.spo2)
            and data.spo2_recheck is None
            and request.form.get("recheck_asked") != "1"
        ):
            recheck_prompt = True
        else:
            outcome = submit_report(session, patient, data, now=now, channel="self")
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


def _valid_report(form: ReportForm, patient: Patient, now) -> bool:
    """Validate the report form, and the time a report kept on the phone was made."""
    return form.validate(date_of_birth=patient.date_of_birth, now=now)


@bp.route("/report/warning-signs.json")
@access("patient")
def warning_signs():
    """The warning-sign limits for this patient today, from the rule table (for offline use)."""
    patient = _own_patient()
    limits = risk.warning_sign_limits(to_profile(patient), local_date(utcnow()))
    response = jsonify(limits)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/report/sync", methods=("GET", "POST"))
@access("patient")
def sync_report():
    """The phone's queue of reports made offline: a fresh CSRF token (GET); one report (POST).

    The POST takes the report form's fields plus ``reported_at`` (when it was made) and answers
    JSON: ``status`` stored / duplicate / ended (the queue forgets the report), or ``refused``
    (HTTP 422) with the messages by field (the queue keeps it and shows them).
    """
    if request.method == "GET":
        response = jsonify(csrf_token=generate_csrf(), owner=current_user.id)
        response.headers["Cache-Control"] = "no-store"
        return response
    patient = _own_patient()
    session = get_session()
    form = ReportForm()
    answered = check_submission(session, patient, form.client_key.data)
    if answered is None:
        now = utcnow()
        if not _valid_report(form, patient, now):
            errors = {field.name: [str(m) for m in field.errors] for field in form if field.errors}
            return jsonify(status="refused", errors=errors), 422
        answered = submit_report(session, patient, form.to_input(), now=now, channel="self")
        session.commit()
    report = answered.report
    return jsonify(
        status=str(answered.status),
        warning_signs=answered.warning_signs,
        message=submission_text(answered, "patient"),
        reported_at=report.reported_at.isoformat() if report is not None else None,
    )


def _answer(outcome: Submitted):
    """Tell the patient what became of their report, on their home page."""
    flash_submission(outcome, "patient")
    return redirect(url_for("patients.home"))


def _acknowledged_by(alert) -> str:
    """The name the patient reads in "<name> took your case": the staff member's, else a role."""
    if alert is None or alert.acknowledged_by is None:
        return _("A health worker")
    return alert.acknowledged_by.full_name


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
        trend_days=trend.last_days(reports, local_date(now)),
        trend_lines=trend.lines(reports, _thresholds(patient, now), now),
        reasons=reasons,
        signs=signs,
        state=summary.page_state,
        acknowledged_by_name=_acknowledged_by(summary.open_alert),
        ward_name=areas.ward_name(patient.ward_code),
        province_name=areas.province_name(patient.province_code),
    )


def _thresholds(patient: Patient, now) -> dict:
    return chart_lines(risk.chart_thresholds(to_profile(patient), local_date(now)))


@bp.route("/home/charts.json")
@access("patient")
def home_charts():
    """The plotly figures of the patient's vitals, loaded by the home page only when wanted."""
    patient = _own_patient()
    now = utcnow()
    reports = recent_reports(get_session(), patient.id, limit=60)
    figures = report_figures(reports, _thresholds(patient, now))
    response = jsonify(figures=[{"name": f["name"], "title": f["title"], "figure": f["json"]} for f in figures])
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The personal-data pages add their routes to bp.
from . import privacy, reminders  # noqa: E402,F401  (they add their routes to bp)
