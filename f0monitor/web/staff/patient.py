"""The staff view of one patient, the actions taken from it, and registration for a caller."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ...data.models import Patient, User
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, utcnow
from ...http.access import STAFF, access
from ...http.labels import (
    ALERT_OUTCOME_LABELS,
    CALL_REASON_LABELS,
    CALL_STATE_LABELS,
    CONTACT_CHANNEL_LABELS,
    CONTACT_OUTCOME_LABELS,
    FOLLOW_UP_SHORT,
    MESSAGE_CHANNEL_LABELS,
    MESSAGE_PURPOSE_LABELS,
    MESSAGE_STATUS_LABELS,
    REPORT_CHANNEL_LABELS,
    TIMELINE_KIND_LABELS,
    chart_lines,
    render_reasons,
)
from ...services import NotAllowed, PhoneTaken, areas, followup
from ...services.alerts import (
    AlertRefused,
    acknowledge,
    get_alert_in_scope,
    is_escalated,
    patient_alerts,
    resolve,
)
from ...services.assessments import to_profile
from ...services.assignment import (
    ASSIGNER_ROLES,
    BadAssignee,
    CapReached,
    assign,
    assignable_staff,
    claim,
    unassign,
)
from ...services.claims import ClaimRefused, issue_claim_code
from ...services.contacts import add_contact, contact_log
from ...services.patients import register_patient
from ...services.reports import Outcome, check_submission, recent_reports, submit_report
from ...services.scope import OutOfScope, may_see
from ...services.timeline import timeline
from ..common.charts import report_figures
from ..common.forms import WARNING_QUESTIONS, ReportForm, ward_choices
from ..common.submission import flash_submission
from . import audit_patient, bp, scoped_patient
from .forms import (
    AssignForm,
    CallerRegistrationForm,
    ContactForm,
    FollowUpForm,
    ResolveForm,
)

REPORTS_SHOWN = 60  # the charts' and the table's reports (30 days of two a day)


def _figures(reports: list, patient: Patient, now) -> list[dict[str, str]]:
    thresholds = chart_lines(risk.chart_thresholds(to_profile(patient), local_date(now)))
    return report_figures(reports, thresholds)


def _assign_form(patient: Patient, form: AssignForm | None = None) -> AssignForm:
    form = form or AssignForm(formdata=None)
    session = get_session()
    form.staff_id.choices = [("", _("— nobody —"))] + [
        (str(u.id), f"{u.full_name} ({load}{'/' + str(u.max_patients) if u.max_patients else ''})")
        for u, load in assignable_staff(session, patient, counts=current_app.extensions["f0monitor.queue_counts"])
    ]
    if form.staff_id.data is None and patient.assigned_to_id:
        form.staff_id.data = str(patient.assigned_to_id)
    return form


def render_patient(patient: Patient, *, status: int = 200, **forms: Any):
    """Render the staff view of a patient, with any forms that came back with errors."""
    session = get_session()
    now = utcnow()
    reports = recent_reports(session, patient.id, limit=REPORTS_SHOWN)
    alerts = patient_alerts(session, patient.id)
    open_alert = next((a for a in alerts if a.state != "resolved"), None)
    report_form = forms.get("report_form") or ReportForm(formdata=None)
    if not report_form.client_key.data:
        report_form.client_key.data = uuid.uuid4().hex
    assigned = session.get(User, patient.assigned_to_id) if patient.assigned_to_id else None
    flag = risk.reporting_flag(patient.last_report_at, patient.registered_at, now)
    if flag and patient.follow_up_channel == "phone":
        flag = "call_due"  # callers ring them: due for a call, not overdue
    follow_up_form = forms.get("follow_up_form") or FollowUpForm(formdata=None)
    if not follow_up_form.channel.data:
        follow_up_form.channel.data = patient.follow_up_channel
    context = {
        "patient": patient,
        "now": now,
        "age": risk.age_on(patient.date_of_birth, local_date(now))[0],
        "day": risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        "flag": flag,
        "follow_up_form": follow_up_form,
        "follow_up_history": followup.history(session, patient.id),
        "follow_up_labels": FOLLOW_UP_SHORT,
        "report_channel_labels": REPORT_CHANNEL_LABELS,
        "reports": reports,
        "alerts": alerts,
        "open_alert": open_alert,
        "escalated": open_alert is not None and is_escalated(open_alert, now=now),
        "contacts": contact_log(session, patient.id),
        "figures": _figures(reports, patient, now),
        "baseline_reasons": render_reasons(patient.baseline_reasons),
        "eligibility_reasons": render_reasons(patient.eligibility_reasons),
        "render_reasons": render_reasons,
        "assigned": assigned,
        "can_assign_others": current_user.role in ASSIGNER_ROLES,
        "report_form": report_form,
        "contact_form": forms.get("contact_form") or ContactForm(formdata=None),
        "resolve_form": forms.get("resolve_form") or ResolveForm(formdata=None),
        "assign_form": _assign_form(patient, forms.get("assign_form")),
        "warning_questions": list(WARNING_QUESTIONS),
        "channel_labels": CONTACT_CHANNEL_LABELS,
        "outcome_labels": CONTACT_OUTCOME_LABELS,
        "alert_outcome_labels": ALERT_OUTCOME_LABELS,
        "ward_name": areas.ward_name(patient.ward_code),
        "province_name": areas.province_name(patient.province_code),
        "claim_code": forms.get("claim_code"),
        "timeline": timeline(session, patient.id, per_page=40, reports=reports,
                             all_reports=len(reports) < REPORTS_SHOWN, count=False)[0],
        "tl_labels": {
            "kind": TIMELINE_KIND_LABELS, "purpose": MESSAGE_PURPOSE_LABELS,
            "status": MESSAGE_STATUS_LABELS, "channel": MESSAGE_CHANNEL_LABELS,
            "reason": CALL_REASON_LABELS, "call_state": CALL_STATE_LABELS,
        },
    }
    return render_template("staff/patient.html", **context), status


@bp.route("/patients/<int:patient_id>")
@access(*STAFF)
def patient(patient_id: int):
    """Show a patient to staff: profile, risk, reports, charts, contacts, alerts (audited)."""
    session = get_session()
    found = scoped_patient(session, patient_id)
    audit_patient(session, found, "view", "page")
    session.commit()
    return render_patient(found)


@bp.route("/patients/<int:patient_id>/reports", methods=("POST",))
@access(*STAFF)
def add_report(patient_id: int):
    """Store a report a staff member took from the patient (by phone or on a visit)."""
    session = get_session()
    found = scoped_patient(session, patient_id)
    form = ReportForm()
    answered = check_submission(session, found, form.client_key.data)  # before the form is read
    if answered is None:
        now = utcnow()
        if not form.validate(date_of_birth=found.date_of_birth, now=now):
            return render_patient(found, status=422, report_form=form)
        answered = submit_report(
            session, found, form.to_input(), now=now, channel="staff", entered_by=current_user
        )
        if answered.status == Outcome.STORED:
            audit_patient(session, found, "report", f"report {answered.report.id}")
        session.commit()
    flash_submission(answered, "staff")
    return redirect(url_for("staff.patient", patient_id=found.id))


@bp.route("/patients/<int:patient_id>/contacts", methods=("POST",))
@access(*STAFF)
def add_contact_view(patient_id: int):
    """Add a call, message or visit to the patient's contact log."""
    session = get_session()
    found = scoped_patient(session, patient_id)
    form = ContactForm()
    if not form.validate():
        return render_patient(found, status=422, contact_form=form)
    add_contact(
        session, found, current_user, channel=form.channel.data, outcome=form.outcome.data,
        text=form.text.data, now=utcnow(),
    )
    audit_patient(session, found, "contact", form.channel.data + "/" + form.outcome.data)
    session.commit()
    flash(_("Contact saved."), "success")
    return redirect(url_for("staff.patient", patient_id=found.id) + "#contacts")


@bp.route("/patients/<int:patient_id>/assignment", methods=("POST",))
@access(*STAFF)
def assign_view(patient_id: int):
    """Claim the patient, assign them to someone, or leave them unassigned."""
    session = get_session()
    found = scoped_patient(session, patient_id)
    form = AssignForm()
    action = request.form.get("action", "assign")
    now = utcnow()
    if not form.validate():
        return render_patient(found, status=400, assign_form=_assign_form(found, form))
    try:
        if action == "claim":
            claim(session, found, current_user, now=now)
        elif form.staff_choice() is None:
            unassign(session, found, by=current_user, now=now)
        else:
            staff = session.get(User, form.staff_choice())
            if staff is None:
                raise BadAssignee("no such staff member")
            assign(session, found, staff, by=current_user, now=now)
    except (NotAllowed, BadAssignee, CapReached) as exc:
        session.rollback()
        form = _assign_form(found, form)
        if isinstance(exc, CapReached):
            message = _("%(name)s already follows %(cap)s patients (their cap).",
                        name=exc.params.get("name"), cap=exc.params.get("cap"))
        elif isinstance(exc, NotAllowed):
            message = _("Only coordinators can assign patients to others.")
        else:
            message = _("Choose a staff member of this patient's area.")
        form.staff_id.errors = [message]
        return render_patient(found, status=422, assign_form=form)
    audit_patient(session, found, "assign", f"{action} -> {found.assigned_to_id}")
    session.commit()
    flash(_("Assignment saved."), "success")
    return redirect(url_for("staff.patient", patient_id=found.id))


@bp.route("/patients/<int:patient_id>/claim-code", methods=("POST",))
@access(*STAFF)
def claim_code(patient_id: int):
    """Give a patient registered by the hotline a new one-time code to claim their account."""
    session = get_session()
    found = scoped_patient(session, patient_id)
    try:
        code = issue_claim_code(found, now=utcnow())
    except ClaimRefused:
        flash(_("This patient already has a login."), "info")
        return redirect(url_for("staff.patient", patient_id=found.id))
    audit_patient(session, found, "claim_code")
    session.commit()
    return render_patient(found, claim_code=code)


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/staff/") and not target.startswith("//") else default


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=("POST",))
@access(*STAFF)
def acknowledge_alert(alert_id: int):
    """Take an alert in hand: your name and the time are recorded."""
    session = get_session()
    try:
        alert = get_alert_in_scope(session, current_user, alert_id)
    except OutOfScope:
        return render_template("errors/error.html", status=404, message=_("This page does not exist, or you may not see it.")), 404
    back = _back(url_for("staff.patient", patient_id=alert.patient_id))
    try:
        acknowledge(session, alert, current_user, now=utcnow())
        audit_patient(session, alert.patient, "alert_ack", f"alert {alert.id}")
        session.commit()
    except (AlertRefused, StaleDataError):
        session.rollback()
        fresh = session.get(type(alert), alert_id)
        who = fresh.acknowledged_by.full_name if fresh and fresh.acknowledged_by else "?"
        flash(_("This alert was already taken in hand by %(name)s.", name=who), "info")
        return redirect(back), 303
    flash(_("Alert acknowledged. Call the patient now."), "success")
    return redirect(back), 303


@bp.route("/alerts/<int:alert_id>/resolve", methods=("POST",))
@access(*STAFF)
def resolve_alert(alert_id: int):
    """Close an alert with what was done."""
    session = get_session()
    try:
        alert = get_alert_in_scope(session, current_user, alert_id)
    except OutOfScope:
        return render_template("errors/error.html", status=404, message=_("This page does not exist, or you may not see it.")), 404
    form = ResolveForm()
    if not form.validate():
        return render_patient(alert.patient, status=422, resolve_form=form)
    try:
        resolve(session, alert, current_user, form.outcome.data, now=utcnow(), note=form.note.data)
        audit_patient(session, alert.patient, "alert_resolve", f"alert {alert.id}: {form.outcome.data}")
        session.commit()
    except (AlertRefused, StaleDataError):
        session.rollback()
        flash(_("This alert was already resolved."), "info")
        return redirect(url_for("staff.patient", patient_id=alert.patient_id)), 303
    flash(_("Alert resolved."), "success")
    return redirect(url_for("staff.patient", patient_id=alert.patient_id)), 303


@bp.route("/register", methods=("GET", "POST"))
@access(*STAFF)
def register_caller():
    """Register a caller of the hotline as a patient (no password: they claim it later)."""
    form = CallerRegistrationForm(need_password=False)
    if request.method == "GET" and current_user.province_code:
        form.province_code.data = str(current_user.province_code)
        form.ward_code.choices = ward_choices(current_user.province_code)
    if request.method == "POST" and form.reload_wards.data:
        return render_template("staff/register.html", form=form)
    if request.method == "POST":
        now = utcnow()
        ok = form.validate(today=local_date(now))
        if ok:
            data = form.to_input()
            area = SimpleNamespace(province_code=data.province_code, ward_code=data.ward_code)
            if not may_see(current_user, area):
                form.ward_code.errors = [_("This ward is outside your area.")]
                ok = False
        if ok:
            session = get_session()
            try:
                created = register_patient(session, data, now=now, registered_by=current_user)
                followup.record_registration(session, created, form.follow_up.data, by=current_user, now=now)
                code = issue_claim_code(created, now=now)
                audit_patient(session, created, "register", "by staff")
                session.commit()
            except (PhoneTaken, IntegrityError):
                session.rollback()
                form.phone.errors = [_("This phone number is already registered.")]
            else:
                return render_template("staff/registered.html", patient=created, code=code), 201
        return render_template("staff/register.html", form=form), 422
    return render_template("staff/register.html", form=form)
