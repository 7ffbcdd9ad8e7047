"""The risk calculator page for hotline staff: a caller's profile and vitals in, a verdict out.

Nothing is stored: it is the same pure function that scores every stored report.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired

from ...domain import covid as risk
from ...domain.clock import today_local, utcnow
from ...http.access import STAFF, access
from ...http.i18n import current_lang
from ...http.labels import render_fields
from ...services import inputs
from ...services.assessments import to_risk_report
from ..common.forms import (
    COMORBIDITY_LABELS,
    SEX_CHOICES,
    WARNING_QUESTIONS,
    MultiCheckboxField,
    ReportForm,
    _number,
    choices,
)

bp = Blueprint("calculator", __name__, url_prefix="/staff/calculator")


class CalculatorForm(ReportForm):
    """A caller's profile plus one report; the warning questions default to "no"."""

    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    sex = RadioField(_l("Sex"), choices=SEX_CHOICES, default="female")
    comorbidities = MultiCheckboxField(
        _l("Long-term illnesses"), choices=choices(COMORBIDITY_LABELS.items()), validate_choice=False
    )
    comorbidities_stable = BooleanField(_l("These illnesses are under stable treatment"))
    pregnant = BooleanField(_l("Pregnant"))
    postpartum = BooleanField(_l("Gave birth in the last 6 weeks"))
    fully_vaccinated = BooleanField(_l("Primary vaccination series complete"))
    height_cm = StringField(_l("Height (cm)"))
    weight_kg = StringField(_l("Weight (kg)"))
    news2_scale = RadioField(
        _l("NEWS2 SpO2 scale"),
        choices=choices(
            [
                ("1", _l("Scale 1 (usual)")),
                ("2", _l("Scale 2 (set by a clinician: hypercapnic respiratory failure)")),
            ]
        ),
        default="1",
    )
    assess = SubmitField(_l("Assess"))

    def validate(self, extra_validators: Any = None) -> bool:
        for name in WARNING_QUESTIONS:
            if self[name].data not in ("yes", "no"):
                self[name].data = "no"
        dob = self.date_of_birth.data  # None when not a date: its own field says so
        ok = super().validate(extra_validators, date_of_birth=dob, now=utcnow(), stored=False)
        self._profile_numbers = {
            "height_cm": _number(self, "height_cm", False),
            "weight_kg": _number(self, "weight_kg", False),
        }
        problems = inputs.check_profile(
            {**self._profile_numbers, "date_of_birth": self.date_of_birth.data, "sex": self.sex.data,
             "pregnant": self.pregnant.data, "postpartum": self.postpartum.data,
             "comorbidities": self.comorbidities.data},
            today_local(),
        )
        for name, messages in render_fields(problems).items():
            self[name].errors = [*self[name].errors, *messages]
            ok = False
        return ok and not any(f.errors for f in self)

    def profile(self) -> risk.Profile:
        return risk.Profile(
            date_of_birth=self.date_of_birth.data,
            sex=self.sex.data,
            comorbidities=frozenset(self.comorbidities.data or ()),
            comorbidities_stable=bool(self.comorbidities_stable.data),
            pregnant=bool(self.pregnant.data),
            postpartum=bool(self.postpartum.data),
            fully_vaccinated=bool(self.fully_vaccinated.data),
            news2_scale=2 if self.news2_scale.data == "2" else 1,
            **self._profile_numbers,
        )


@bp.route("/", methods=("GET", "POST"))
@access(*STAFF)
def page():
    """Assess a caller who will not register: profile and vitals in, tier and reasons out."""
    form = CalculatorForm()
    result = None
    if request.method == "POST" and form.validate():
        report = to_risk_report(form.to_input(), utcnow())
        result = risk.assess(form.profile(), report)
    status = 422 if request.method == "POST" and result is None else 200
    return (
        render_template(
            "calculator/page.html",
            form=form,
            result=result,
            lang=current_lang(),
            warning_questions=list(WARNING_QUESTIONS),
        ),
        status,
    )
