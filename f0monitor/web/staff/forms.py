"""Forms of the staff workspace (Flask-WTF, CSRF on every one)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...data.types import as_id
from ...http.labels import (
    ALERT_OUTCOME_LABELS,
    CONTACT_CHANNEL_LABELS,
    CONTACT_OUTCOME_LABELS,
    ROLE_LABELS,
    render_all,
)
from ...services import areas
from ...services.inputs import check_password, parse_phone
from ..common.forms import MultiCheckboxField, choices


class ContactForm(FlaskForm):
    """One entry of the contact log."""

    channel = RadioField(_l("Channel"), choices=choices(CONTACT_CHANNEL_LABELS.items()),
                         validators=[InputRequired(_l("choose how you contacted the patient"))])
    outcome = RadioField(_l("Outcome"), choices=choices(CONTACT_OUTCOME_LABELS.items()),
                         validators=[InputRequired(_l("choose the outcome"))])
    text = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save contact"))


class ResolveForm(FlaskForm):
    """Closing an alert with its outcome."""

    outcome = RadioField(_l("Outcome"), choices=choices(ALERT_OUTCOME_LABELS.items()),
                         validators=[InputRequired(_l("choose the outcome"))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Resolve alert"))


class AssignForm(FlaskForm):
    """Giving a patient to a staff member."""

    staff_id = SelectField(_l("Assign to"), validate_choice=False)
    submit = SubmitField(_l("Assign"))

    def staff_choice(self) -> int | None:
        return as_id(self.staff_id.data)


class StaffUserForm(FlaskForm):
    """A new staff account, made by an admin."""

    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()))
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(min=2, max=120)])
    phone = StringField(_l("Phone number"), validators=[InputRequired(), Length(max=32)])
    province_code = SelectField(_l("Province / city"), validate_choice=False)
    ward_codes = MultiCheckboxField(_l("Wards (none = the whole province)"), validate_choice=False)
    max_patients = StringField(_l("Most patients at once (empty = no cap)"))
    password = PasswordField(_l("First password (at least 10 characters, hard to guess)"))
    submit = SubmitField(_l("Create account"))

    def __init__(self, *args: Any, province_code: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if province_code is not None:
            self.province_code.choices = choices([(str(province_code), areas.province_name(province_code))])
            self.province_code.data = str(province_code)
        else:
            self.province_code.choices = choices((str(c), n) for c, n in areas.provinces())
        self.ward_codes.choices = choices((str(c), n) for c, n in areas.wards(self.province()))

    def province(self) -> int:
        try:
            return int(self.province_code.data)
        except (TypeError, ValueError):
            return 0

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        errors: dict[str, list[str]] = {}
        self._phone = parse_phone(self.phone.data or "", errors)
        if errors:
            self.phone.errors = [*self.phone.errors, *render_all(errors["phone"])]
        self._wards: list[int] = []
        for raw in self.ward_codes.data or ():
            try:
                self._wards.append(int(raw))
            except ValueError:
                self.ward_codes.errors = [_("choose wards from the list")]
        self._max: int | None = None
        raw = (self.max_patients.data or "").strip()
        if raw:
            try:
                self._max = int(raw)
            except ValueError:
                self.max_patients.errors = [_("must be a whole number")]
        problems = render_all(check_password(
            self.password.data, staff=True, user_inputs=(self.phone.data or "", self.full_name.data or "")
        ))
        if problems:
            self.password.errors = [*self.password.errors, *problems]
        return not any(f.errors for f in self)
