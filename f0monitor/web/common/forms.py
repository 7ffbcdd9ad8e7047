"""Web forms (Flask-WTF, CSRF on every one). Ranges and rules come from `inputs`."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain import covid as risk
from ...domain.vitals import VITALS
from ...http.labels import CHECKBOX_SYMPTOM_LABELS, COMORBIDITY_LABELS, render_all, render_fields
from ...services import areas, inputs
from ...services.inputs import RegistrationInput, ReportInput

WARNING_QUESTIONS = {
    "shortness_of_breath": _l("Are you short of breath or breathing hard?"),
    "chest_pain": _l("Do you have chest pain or tightness?"),
    "altered_consciousness": _l("Are you confused, very drowsy or hard to wake?"),
    "cyanosis": _l("Are your lips or nails blue or grey?"),
    "cannot_drink_or_feed": _l("Are you unable to drink or eat, or vomiting everything?"),
    "other_acute_illness": _l("Do you have another acute illness (dengue, hand-foot-mouth…)?"),
}


def choices(pairs) -> list[SelectChoice]:
    """Return WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


SEX_CHOICES = choices([("female", _l("Female")), ("male", _l("Male")), ("other", _l("Other"))])
TEST_CHOICES = choices([("rapid_antigen", _l("Rapid antigen test")), ("pcr", _l("PCR"))])
YES_NO = choices([("no", _l("No")), ("yes", _l("Yes"))])


class CsrfForm(FlaskForm):
    """A form with only the CSRF token; fields are read and checked by the services."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _number(form: FlaskForm, name: str, integer: bool) -> float | int | None:
    """Parse a number typed with a dot or a Vietnamese comma; add a field error when not one."""
    field = form[name]
    raw = (field.data or "").strip().replace(",", ".")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        field.errors = [*field.errors, _("enter a number")]
        return None
    if value != value or value in (float("inf"), float("-inf")):
        field.errors = [*field.errors, _("enter a number")]
        return None
    if integer:
        if value != int(value):
            field.errors = [*field.errors, _("must be a whole number")]
            return None
        return int(value)
    return round(value, 1)


class LoginForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[InputRequired(), Length(max=32)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=128)])
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    new_password = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm = PasswordField(_l("New password again"), validators=[InputRequired()])
    submit = SubmitField(_l("Change password"))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        user = self.user
        problems = render_all(inputs.check_password(
            self.new_password.data,
            staff=user is not None and user.role != "patient",
            user_inputs=(user.phone, user.full_name) if user is not None else (),
        ))
        if problems:
            self.new_password.errors = [*self.new_password.errors, *problems]
            ok = False
        if self.new_password.data != self.confirm.data:
            self.confirm.errors = [*self.confirm.errors, _("the two passwords differ")]
            ok = False
        return ok


class VitalFields(FlaskForm):
    """A text field per vital of ``vitals.VITALS``, named and labelled from the spec."""


for _spec in VITALS:
    setattr(VitalFields, _spec.name, StringField(_l(_spec.label)))


class ReportForm(VitalFields):
    """The twice-daily report: vitals, the symptom checklist and the warning-sign questions."""

    no_oximeter = BooleanField(_l("I have no oximeter"))
    symptoms = MultiCheckboxField(
        _l("Symptoms today"), choices=choices(CHECKBOX_SYMPTOM_LABELS.items()), validate_choice=False
    )
    shortness_of_breath = RadioField(WARNING_QUESTIONS["shortness_of_breath"], choices=YES_NO)
    chest_pain = RadioField(WARNING_QUESTIONS["chest_pain"], choices=YES_NO)
    altered_consciousness = RadioField(WARNING_QUESTIONS["altered_consciousness"], choices=YES_NO)
    cyanosis = RadioField(WARNING_QUESTIONS["cyanosis"], choices=YES_NO)
    cannot_drink_or_feed = RadioField(WARNING_QUESTIONS["cannot_drink_or_feed"], choices=YES_NO)
    other_acute_illness = RadioField(WARNING_QUESTIONS["other_acute_illness"], choices=YES_NO)
    wants_call = BooleanField(_l("I feel worse and want a health worker to call me"))
    note = TextAreaField(_l("Anything else (optional)"), validators=[Optional()])
    confirm_unusual = BooleanField(_l("I have checked: the unusual value is correct"))
    client_key = HiddenField()
    submit = SubmitField(_l("Send report"))

    NUMBER_FIELDS = tuple((spec.name, spec.integer) for spec in VITALS)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        # Radio fields report "Not a valid choice" when left empty: say it plainly instead.
        for name in WARNING_QUESTIONS:
            field = self[name]
            if field.data not in ("yes", "no"):
                field.errors = [_("answer yes or no")]
        values: dict[str, Any] = {}
        for name, integer in self.NUMBER_FIELDS:
            values[name] = _number(self, name, integer)
        values["no_oximeter"] = bool(self.no_oximeter.data)
        values["symptoms"] = self.symptom_set()
        values["note"] = self.note.data
        checked = inputs.check_report(values, bool(self.confirm_unusual.data))
        for name, messages in render_fields(checked).items():
            field = self[name] if name in self else self.symptoms
            field.errors = [*field.errors, *[m for m in messages if m not in field.errors]]
        self._values = values
        return not any(f.errors for f in self)

    def symptom_set(self) -> frozenset[str]:
        chosen = set(self.symptoms.data or ())
        chosen.update(name for name in WARNING_QUESTIONS if self[name].data == "yes")
        if self.wants_call.data:
            chosen.add("wants_call")
        return frozenset(chosen)

    def needs_confirmation(self) -> bool:
        return any(
            _("this value is very unusual") in message
            for field in self
            for message in field.errors
        )

    def to_input(self) -> ReportInput:
        v = self._values
        return ReportInput(
            **{name: v[name] for name, _integer in self.NUMBER_FIELDS},
            no_oximeter=v["no_oximeter"],
            symptoms=v["symptoms"],
            note=v["note"],
            client_key=self.client_key.data or None,  # services.reports cuts the key
        )


def province_choices() -> list[SelectChoice]:
    return choices((str(code), name) for code, name in areas.provinces())


def ward_choices(province_code: int | None) -> list[SelectChoice]:
    if province_code is None or not areas.is_province(province_code):
        return []
    return choices([("", _("— choose —"))] + [(str(c), n) for c, n in areas.wards(province_code)])


class RegistrationForm(FlaskForm):
    """Self-registration, and registration by staff on behalf of a caller."""

    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(min=2, max=120)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    sex = RadioField(_l("Sex"), choices=SEX_CHOICES, validators=[InputRequired()])
    phone = StringField(_l("Phone number"), validators=[InputRequired(), Length(max=32)])
    national_id = StringField(_l("Citizen ID (optional)"), validators=[Optional(), Length(min=9, max=12)])
    password = PasswordField(_l("Password (at least 8 characters)"))
    province_code = SelectField(_l("Province / city"), validators=[InputRequired()])
    ward_code = SelectField(_l("Ward / commune"), validate_choice=False)
    reload_wards = SubmitField(_l("Show the wards of this province"))
    address = StringField(_l("Address (house number, street, hamlet)"), validators=[InputRequired(), Length(max=255)])
    positive_test_date = DateField(_l("Date of the positive test"), validators=[InputRequired()])
    test_type = RadioField(_l("Type of test"), choices=TEST_CHOICES, validators=[InputRequired()])
    symptom_onset_date = DateField(_l("First day of symptoms (if any)"), validators=[Optional()])
    comorbidities = MultiCheckboxField(
        _l("Long-term illnesses"), choices=choices(COMORBIDITY_LABELS.items()), validate_choice=False
    )
    comorbidities_stable = BooleanField(_l("These illnesses are under stable treatment"))
    pregnant = BooleanField(_l("Pregnant"))
    pregnancy_weeks = StringField(_l("Weeks of pregnancy"))
    postpartum = BooleanField(_l("Gave birth in the last 6 weeks"))
    vaccine_doses = SelectField(
        _l("COVID-19 vaccine doses received"),
        choices=choices((str(n), str(n)) for n in range(0, 6)),
        default="0",
    )
    fully_vaccinated = BooleanField(_l("Primary vaccination series complete"))
    height_cm = StringField(_l("Height (cm)"))
    weight_kg = StringField(_l("Weight (kg)"))
    consent = BooleanField(
        _l(
            "I agree that the health sector processes my health data to follow my treatment "
            "at home (Decree 13/2023/NĐ-CP)."
        )
    )
    submit = SubmitField(_l("Register"))

    def __init__(self, *args: Any, need_password: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.need_password = need_password
        self.province_code.choices = province_choices()
        if not self.province_code.data:
            from flask import current_app

            self.province_code.data = str(current_app.config["DEFAULT_PROVINCE_CODE"])
        self.ward_code.choices = ward_choices(self._int(self.province_code.data))

    @staticmethod
    def _int(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def validate(self, extra_validators: Any = None, *, today: date) -> bool:
        super().validate(extra_validators)
        self._phone = inputs.parse_phone(self.phone.data or "", errors := {})
        if errors:
            self.phone.errors = [*self.phone.errors, *render_all(errors["phone"])]
        if self.need_password:
            problems = render_all(inputs.check_password(self.password.data))
            if problems:
                self.password.errors = [*self.password.errors, *problems]
        ward = self._int(self.ward_code.data)
        if ward is None:
            self.ward_code.errors = [_("choose your ward or commune")]
        numbers = {
            "height_cm": _number(self, "height_cm", False),
            "weight_kg": _number(self, "weight_kg", False),
            "pregnancy_weeks": _number(self, "pregnancy_weeks", True),
        }
        data = self._data(ward, numbers)
        for name, messages in render_fields(inputs.check_registration(data, today)).items():
            self[name].errors = [*self[name].errors, *messages]
        self._parsed = data
        return not any(f.errors for f in self)

    def _data(self, ward: int | None, numbers: dict[str, Any]) -> dict[str, Any]:
        return {
            "full_name": (self.full_name.data or "").strip(),
            "date_of_birth": self.date_of_birth.data,
            "sex": self.sex.data,
            "phone": self._phone,
            "national_id": (self.national_id.data or "").strip() or None,
            "province_code": self._int(self.province_code.data),
            "ward_code": ward,
            "address": (self.address.data or "").strip(),
            "positive_test_date": self.positive_test_date.data,
            "test_type": self.test_type.data,
            "symptom_onset_date": self.symptom_onset_date.data,
            "comorbidities": tuple(self.comorbidities.data or ()),
            "comorbidities_stable": bool(self.comorbidities_stable.data),
            "pregnant": bool(self.pregnant.data),
            "pregnancy_weeks": numbers["pregnancy_weeks"],
            "postpartum": bool(self.postpartum.data),
            "vaccine_doses": self._int(self.vaccine_doses.data) or 0,
            "fully_vaccinated": bool(self.fully_vaccinated.data),
            "height_cm": numbers["height_cm"],
            "weight_kg": numbers["weight_kg"],
            "consent": bool(self.consent.data),
        }

    def to_input(self) -> RegistrationInput:
        return RegistrationInput(
            **self._parsed, password=self.password.data if self.need_password else None
        )


__all__ = ["risk"]
