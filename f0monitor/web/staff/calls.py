"""Call rounds in the workspace: the worklist, "next patient", the call screen, follow-up switch.

The call screen reads the report questions aloud in the caller's language: the warning-sign
questions first (the report form's own), then one plain question per vital of the spec
(``CALL_QUESTIONS``, keyed by ``domain.vitals`` names: a vital added there needs its question
here, ``tests/test_call_pages.py`` checks it), then the symptom checklist. The answers go
through ``services.callrounds.record_outcome`` into ``reports.submit_report`` (channel
``phone``), like every other report.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ...data.models import Patient
from ...data.session import get_session
from ...domain import covid as risk
from ...domain.clock import local_date, utcnow
from ...domain.vitals import VITALS
from ...http.access import STAFF, access
from ...http.labels import (
    CALL_OUTCOME_LABELS,
    CALL_REASON_LABELS,
    FOLLOW_UP_LABELS,
    FOLLOW_UP_SHORT,
)
from ...services import callrounds, followup
from ...services.inputs import page_number
from ...services.reports import Outcome
from ...services.scope import OutOfScope
from ..common.forms import WARNING_QUESTIONS, ReportForm, choices
from ..common.submission import flash_submission
from . import audit_patient, bp, scoped_patient
from .forms import FollowUpForm
from .patient import render_patient

# One question per vital of the spec, as a caller reads it to someone at home.
CALL_QUESTIONS = {
    "temperature_c": _l("Please take your temperature now. What does the thermometer show?"),
    "spo2": _l("If you have a finger oximeter, put it on a finger and wait until the number is "
               "steady. What is the SpO2, the number with %?"),
    "spo2_recheck": _l("Only if SpO2 is 96 or less: wait one minute and measure again. What does it show now?"),
    "pulse": _l("What is the pulse, the other number on the oximeter (beats per minute)?"),
    "respiratory_rate": _l("Let us count your breaths together for one full minute. How many?"),
    "systolic_bp": _l("If you have a blood pressure monitor: what is the upper number?"),
    "diastolic_bp": _l("And the lower number?"),
}


class CallForm(ReportForm):
    """The call screen: what came of the call, and the answers when the patient was reached."""

    outcome = RadioField(_l("Did the patient answer?"), choices=choices(CALL_OUTCOME_LABELS.items()))
    call_note = TextAreaField(_l("Note about the call (optional)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Save the call"))

    def validate(self, extra_validators: Any = None) -> bool:
        if self.outcome.data not in CALL_OUTCOME_LABELS:
            self.outcome.errors = [_("choose what came of the call")]
            super().validate(extra_validators)  # keeps the typed answers, shows their errors too
            return False
        if self.outcome.data != "reached":
            # Nobody answered the questions: only the outcome and the note are read.
            ok = self.call_note.validate(self)
            return ok
        return super().validate(extra_validators)


def _worklist_context(page: int) -> dict[str, Any]:
    session = get_session()
    now = utcnow()
    user = current_user
    figures = callrounds.caller_figures(session, user, now=now)
    return {
        "now": now,
        "due": callrounds.worklist(session, user, now=now, state="due", page=page, per_page=50),
        "claimed": callrounds.worklist(session, user, now=now, state="claimed", per_page=50),
        "later": callrounds.worklist(session, user, now=now, state="later", per_page=50),
        "unreachable": callrounds.unreachable(session, user, now=now),
        "held": callrounds.held_by(session, user, now=now),
        "figures": figures,
        "totals": callrounds.totals(figures),
        "reasons": CALL_REASON_LABELS,
        "outcomes": CALL_OUTCOME_LABELS,
        "max_attempts": callrounds.MAX_ATTEMPTS,
    }


@bp.route("/calls")
@access(*STAFF)
def calls():
    """Show the call rounds: who to call now, in order; calls in progress and later; figures."""
    session = get_session()
    callrounds.refresh(session, now=utcnow(), user=current_user)
    session.commit()
    return render_template("staff/calls.html", **_worklist_context(page_number(request.args.get("page"))))


@bp.route("/calls/next", methods=("POST",))
@access(*STAFF)
def next_call():
    """Claim the next patient to call and open the call screen (your unfinished call first)."""
    session = get_session()
    task = callrounds.claim_next(session, current_user, now=utcnow())
    if task is None:
        session.commit()
        flash(_("Nobody is due for a call in your area right now."), "info")
        return redirect(url_for("staff.calls"), 303)
    audit_patient(session, task.patient_id, "call_claim", f"call task {task.id}")
    session.commit()
    return redirect(url_for("staff.call", task_id=task.id), 303)


def _scoped_task(task_id: int):
    session = get_session()
    try:
        return callrounds.get_task_in_scope(session, current_user, task_id)
    except OutOfScope:
        return None


def _not_found():
    return render_template("errors/error.html", status=404,
                           message=_("This page does not exist, or you may not see it.")), 404


@bp.route("/calls/<int:task_id>/claim", methods=("POST",))
@access(*STAFF)
def claim_call(task_id: int):
    """Take one call of the list (when nobody else has it)."""
    session = get_session()
    task = _scoped_task(task_id)
    if task is None:
        return _not_found()
    try:
        callrounds.claim(session, task, current_user, now=utcnow())
    except callrounds.CallRefused:
        session.rollback()
        flash(_("Someone else is calling this patient, or the call is closed."), "info")
        return redirect(url_for("staff.calls"), 303)
    audit_patient(session, task.patient_id, "call_claim", f"call task {task.id}")
    session.commit()
    return redirect(url_for("staff.call", task_id=task.id), 303)


def _render_call(task, form: CallForm, status: int = 200):
    session = get_session()
    now = utcnow()
    patient = session.get(Patient, task.patient_id)
    mine = task.state == "claimed" and task.claimed_by_id == current_user.id
    return render_template(
        "staff/call.html",
        task=task,
        patient=patient,
        form=form,
        mine=mine,
        now=now,
        age=risk.age_on(patient.date_of_birth, local_date(now))[0],
        day=risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        questions=CALL_QUESTIONS,
        warning_questions=list(WARNING_QUESTIONS),
        vital_specs=VITALS,
        reasons=CALL_REASON_LABELS,
        follow_up=FOLLOW_UP_SHORT,
        max_attempts=callrounds.MAX_ATTEMPTS,
    ), status


@bp.route("/calls/<int:task_id>")
@access(*STAFF)
def call(task_id: int):
    """Show the call screen: whom to ring, the questions to read, the answers and outcome (audited)."""
    session = get_session()
    task = _scoped_task(task_id)
    if task is None:
        return _not_found()
    audit_patient(session, task.patient_id, "view", f"call screen {task.id}")
    session.commit()
    return _render_call(task, CallForm(formdata=None))


@bp.route("/calls/<int:task_id>", methods=("POST",))
@access(*STAFF)
def save_call(task_id: int):
    """Record the call: its outcome, and the answers as a report (channel phone) when reached."""
    session = get_session()
    task = _scoped_task(task_id)
    if task is None:
        return _not_found()
    form = CallForm()
    if not form.validate():
        return _render_call(task, form, 422)
    now = utcnow()
    answers = form.to_input() if form.outcome.data == "reached" else None
    try:
        result = callrounds.record_outcome(
            session, task, by=current_user, outcome=form.outcome.data, now=now,
            report=answers, note=form.call_note.data,
        )
    except callrounds.CallRefused:
        session.rollback()
        flash(_("This call was already recorded, or someone else has it."), "info")
        return redirect(url_for("staff.calls"), 303)
    audit_patient(session, task.patient_id, "call", f"call task {task.id}: {form.outcome.data}")
    session.commit()
    submitted = result.submitted
    if submitted is not None:
        flash_submission(submitted, "staff")
        if submitted.warning_signs:
            return redirect(url_for("staff.patient", patient_id=task.patient_id) + "#alert", 303)
    elif result.retry_at is not None:
        flash(_("No answer: this call comes back at %(time)s.", time=format_time(result.retry_at, "HH:mm")), "info")
    elif result.unreachable:
        if result.ward_told:
            flash(_("Could not be reached: the ward health station has been told."), "danger")
        else:
            flash(_("Could not be reached, and the ward has no coordinator to tell: "
                    "tell the ward health station yourself."), "danger")
    else:
        flash(_("Call saved."), "success")
    return redirect(url_for("staff.calls"), 303)


@bp.route("/patients/<int:patient_id>/follow-up", methods=("POST",))
@access(*STAFF)
def change_follow_up(patient_id: int):
    """Switch how the patient is followed (app, SMS, phone) in one step; the history keeps it."""
    session = get_session()
    patient = scoped_patient(session, patient_id)
    form = FollowUpForm()
    if not form.validate():
        return render_patient(patient, status=422, follow_up_form=form)
    previous = patient.follow_up_channel
    change = followup.set_channel(
        session, patient, form.channel.data, by=current_user, now=utcnow(), reason=form.reason.data
    )
    if change is None:
        flash(_("The follow-up channel is unchanged."), "info")
    else:
        audit_patient(session, patient, "follow_up", f"{previous} -> {change.to_channel}")
        session.commit()
        flash(_("From now on this patient is followed by %(channel)s.",
                channel=FOLLOW_UP_SHORT[change.to_channel]), "success")
    return redirect(url_for("staff.patient", patient_id=patient.id) + "#follow-up", 303)


__all__ = ["FOLLOW_UP_LABELS", "Outcome"]
