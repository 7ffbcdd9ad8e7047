"""Public pages: certificate verification (the QR code's target) and the hotline's ask page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ...data.models import Patient
from ...data.session import get_session
from ...domain.clock import local_date, utcnow
from ...extensions import limiter
from ...http.access import PUBLIC, access
from ...http.certificates import certificate_context
from ...http.labels import (
    CATEGORY_LABELS,
    CONSULT_STATE_LABELS,
    FORWARD_LABELS,
    field_message,
    render_all,
)
from ...services import areas, inputs
from ...services.consults import (
    CONSULT_HOURS,
    ConsultInput,
    ConsultInvalid,
    ask,
    in_consult_hours,
    next_slot_start,
    of_patient,
)
from ...services.discharge import find_certificate, format_code, masked_name
from ..common.forms import CsrfForm, choices, province_choices, ward_choices

bp = Blueprint("public", __name__)


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_LIMIT", "60 per minute")


def _ask_limit() -> str:
    return current_app.config.get("CONSULT_LIMIT", "10 per hour")


@bp.route("/verify", methods=("GET",))
@access(PUBLIC)
@limiter.limit(_verify_limit)
def verify_form():
    """Let a person type a certificate code to check it."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("public.verify", code=code[:40]))
    return render_template("public/verify_form.html")


@bp.route("/verify/<code>")
@access(PUBLIC)
@limiter.limit(_verify_limit)
def verify(code: str):
    """Show whether a completion certificate is genuine, with only what the paper shows."""
    patient = find_certificate(get_session(), code)
    if patient is None:
        return render_template("public/verify_unknown.html", code=code[:40]), 404
    return render_template(
        "public/verify.html",
        name=masked_name(patient.full_name),
        birth_year=patient.date_of_birth.year,
        from_date=patient.positive_test_date,
        to_date=local_date(patient.discharged_at) if patient.discharged_at else None,
        ward_name=areas.ward_name(patient.ward_code),
        province_name=areas.province_name(patient.province_code),
        code=format_code(patient.certificate_code),
    )


@bp.route("/certificate")
@access("patient")
def my_certificate():
    """Show the patient's own completion certificate, to print or show."""
    patient = get_session().scalar(sa.select(Patient).where(Patient.user_id == current_user.id))
    if patient is None or patient.status != "recovered" or not patient.certificate_code:
        abort(404)
    return render_template("public/certificate.html", **certificate_context(patient))


class AskForm(CsrfForm):
    category = RadioField("", choices=[], validate_choice=False)
    question = TextAreaField("", validators=[Optional(), Length(max=2000)])
    name = StringField("", validators=[Optional(), Length(max=120)])
    phone = StringField("", validators=[Optional(), Length(max=32)])
    province_code = SelectField("", validate_choice=False)
    ward_code = SelectField("", validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.label.text = _("What is it about?")
        self.category.choices = choices((k, str(v)) for k, v in CATEGORY_LABELS.items())
        self.question.label.text = _("Your question")
        self.name.label.text = _("Your name (optional)")
        self.phone.label.text = _("Phone number to call you back")
        self.province_code.label.text = _("Province / city")
        self.ward_code.label.text = _("Ward / commune")
        self.province_code.choices = province_choices()
        if not self.province_code.data:
            self.province_code.data = str(current_app.config["DEFAULT_PROVINCE_CODE"])
        self.ward_code.choices = ward_choices(_int(self.province_code.data))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _own_patient() -> Patient | None:
    if getattr(current_user, "is_authenticated", False) and current_user.role == "patient":
        return get_session().scalar(sa.select(Patient).where(Patient.user_id == current_user.id))
    return None


def _hours_context() -> dict[str, Any]:
    now = utcnow()
    return {
        "hours": [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in CONSULT_HOURS],
        "open_now": in_consult_hours(now),
        "next_slot": next_slot_start(now),
    }


@bp.route("/ask", methods=("GET", "POST"))
@access(PUBLIC)
@limiter.limit(_ask_limit, methods=["POST"])
def ask_question():
    """Ask the hotline a question (medical, testing / CDC, breach of rules); emergencies: 115."""
    patient = _own_patient()
    form = AskForm()
    if request.method == "POST" and form.province_code.data and request.form.get("reload_wards"):
        return render_template("public/ask.html", form=form, patient=patient, **_hours_context())
    if request.method == "POST" and form.validate():
        category = form.category.data or ""
        if category == "emergency":
            # Never queued: a question list is no place for someone who cannot breathe.
            return render_template("public/emergency.html"), 200
        errors: dict[str, list[Any]] = {}
        phone = None
        if category not in CATEGORY_LABELS:
            errors["category"] = [field_message("category", "not a queued category")]
        if patient is None:
            phone = inputs.parse_phone(form.phone.data or "", errors)
            province = _int(form.province_code.data)
            ward = _int(form.ward_code.data)
            if province is None or not areas.is_province(province):
                errors["province_code"] = [_("choose a province")]
            elif ward is not None and not areas.ward_in_province(ward, province):
                errors["ward_code"] = [_("this ward or commune is not in the chosen province")]
        else:
            province = ward = None
        if not errors:
            session = get_session()
            try:
                request_row = ask(
                    session,
                    ConsultInput(category=category, question=form.question.data or "",
                                 phone=phone or "", name=form.name.data,
                                 province_code=province, ward_code=ward),
                    patient=patient, now=utcnow(),
                )
                session.commit()
            except ConsultInvalid as exc:
                session.rollback()
                errors[exc.field] = [field_message(exc.field, exc.message)]
            else:
                return render_template(
                    "public/ask_sent.html", consult=request_row, patient=patient,
                    category_label=CATEGORY_LABELS[category], **_hours_context(),
                )
        for name, messages in errors.items():
            getattr(form, name).errors = render_all(messages)
    elif request.method == "POST":
        if form.question.errors:
            form.question.errors = [field_message("question", "too long")]
        if form.name.errors:
            form.name.errors = [_("at most 120 characters")]
        if form.phone.errors:
            form.phone.errors = [_("at most 32 characters")]
    status = 422 if request.method == "POST" else 200
    return render_template("public/ask.html", form=form, patient=patient, **_hours_context()), status


def my_consults(patient: Patient) -> list[dict[str, Any]]:
    """Return a patient's questions with their answers, for their home page (a Jinja global)."""
    rows = of_patient(get_session(), patient.id, limit=5)
    return [
        {
            "created_at": r.created_at,
            "category": str(CATEGORY_LABELS.get(r.category, r.category)),
            "question": r.question,
            "state": r.state,
            "state_label": str(CONSULT_STATE_LABELS.get(r.state, r.state)),
            "answer": r.answer,
            "forwarded_to": str(FORWARD_LABELS.get(r.forwarded_to, "")) if r.forwarded_to else None,
            "handled_at": r.handled_at,
        }
        for r in rows
    ]


bp.add_app_template_global(my_consults, "my_consults")
