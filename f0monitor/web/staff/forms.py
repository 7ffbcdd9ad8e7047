"""Forms of the staff workspace (Flask-WTF, CSRF on every one)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...data.types import as_id
from ...http.labels import (
    ALERT_OUTCOME_LABELS,
    CONTACT_CHANNEL_LABELS,
    CONTACT_OUTCOME_LABELS,
    FOLLOW_UP_LABELS,
    ROLE_LABELS,
    render_all,
)
from ...services import areas
from ...services.inputs import check_password, parse_phone
from ..common.forms import Form, MultiCheckboxField, RegistrationForm, choices


class ContactForm(Form):
    """One entry of the contact log."""

    channel = RadioField(_l("Channel"), choices=choices(CONTACT_CHANNEL_LABELS.items()),
                         validators=[InputRequired(_l("choose how you contacted the patient"))])
    outcome = RadioField(_l("Outcome"), choices=choices(CONTACT_OUTCOME_LABELS.items()),
                         validators=[InputRequired(_l("choose the outcome"))])
    text = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save contact"))


class ResolveForm(Form):
    """Closing an alert with its outcome."""

    outcome = RadioField(_l("Outcome"), choices=choices(ALERT_OUTCOME_LABELS.items()),
                         validators=[InputRequired(_l("choose the outcome"))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Resolve alert"))


class AssignForm(Form):
    """Giving a patient to a staff member."""

    staff_id = SelectField(_l("Assign to"), validate_choice=False)
    submit = SubmitField(_l("Assign"))

    def staff_choice(self) -> int | None:
        return as_id(self.staff_id.data)


class StaffUserForm(Form):
    """A new staff account, made by an admin."""

    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()))
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(min=2, max=120)])
    phone = StringField(_l("Phone number"), validators=[InputRequired(), Length(max=32)])
    province_code = SelectField(_l("Province / city"), validate_choice=False)
    ward_codes = MultiCheckboxField(_l("Wards (none = the whole province)"), validate_choice=False)
    max_patients = StringField(_l("Most patients at once (empty = no cap)"))
    facility_id = SelectField(_l("Facility (for the role “receiving facility”)"), validate_choice=False)
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
        self.facility_id.choices = choices([("", "—")])

    def facility_choice(self) -> int | None:
        return as_id(self.facility_id.data)

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


class FollowUpForm(Form):
    """Switching a patient's follow-up channel (app, SMS, phone), with the reason."""

    channel = RadioField(_l("How this patient is followed"), choices=choices(FOLLOW_UP_LABELS.items()),
                         validators=[InputRequired(_l("choose a follow-up channel"))])
    reason = StringField(_l("Why (optional)"), validators=[Optional(), Length(max=255)])
    submit = SubmitField(_l("Change follow-up"))


class CallerRegistrationForm(RegistrationForm):
    """Registering a caller of the hotline: the patient form, and how they will be followed.

    A caller without a smartphone is followed by phone (the default) or SMS; "app" is for
    those who will claim their login and report themselves.
    """

    follow_up = RadioField(_l("How will this patient be followed?"), choices=choices(FOLLOW_UP_LABELS.items()),
                           default="phone")

    def validate(self, extra_validators: Any = None, *, today: Any) -> bool:
        ok = super().validate(extra_validators, today=today)
        if self.follow_up.data not in FOLLOW_UP_LABELS:
            self.follow_up.errors = [_("choose a follow-up channel")]
            ok = False
        elif self.follow_up.errors and self.follow_up.data in FOLLOW_UP_LABELS:
            self.follow_up.errors = []
        return ok and not any(f.errors for f in self)
