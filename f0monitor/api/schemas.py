"""marshmallow schemas of the JSON API. Ranges and rules come from `inputs` (shared with forms)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..data.models import SEXES, TEST_TYPES
from ..data.types import MAX_ID
from ..domain import covid as risk
from ..domain import vitals
from ..domain.clock import today_local
from ..domain.text import Msg
from ..http.labels import render_fields
from ..services import inputs
from ..services.inputs import RegistrationInput, ReportInput


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class AwareDateTime(fields.AwareDateTime):
    """ISO 8601 with an offset; a time without one is read as Vietnam time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=risk.VN_TZ, **kwargs)


def iso_z(value: datetime | None) -> str | None:
    """Return an instant as ISO 8601 in UTC with "Z", to the second (the API's convention)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class UTCField(fields.Field):
    """An aware instant written as ISO 8601 UTC with "Z" (output only)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return iso_z(value)


class Id(fields.Integer):
    """A row id: a whole number from 1 to the largest INTEGER the databases store."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(1, MAX_ID))
        super().__init__(strict=True, **kwargs)


def _raise(errors: dict[str, list[Msg | str]]) -> None:
    """Raise the field errors (the services' messages rendered in the reader's language)."""
    if errors:
        raise ValidationError(render_fields(errors))


# A number per vital of the spec. Input takes any number, so that "97.5" for SpO2 gets the
# message with the range rather than marshmallow's "Not a valid integer".
_VitalsIn = Schema.from_dict(
    {
        spec.name: fields.Float(load_default=None, allow_none=True, allow_nan=False)
        for spec in vitals.VITALS
    },
    name="VitalsIn",
)
_VitalsOut = Schema.from_dict(
    {
        spec.name: fields.Integer(allow_none=True) if spec.integer else fields.Float(allow_none=True)
        for spec in vitals.VITALS
    },
    name="VitalsOut",
)


class ReportIn(StrictSchema, _VitalsIn):  # type: ignore[valid-type, misc]
    """A report as a patient, a staff member or another program sends it."""

    reported_at = AwareDateTime(load_default=None, allow_none=True)
    no_oximeter = fields.Boolean(load_default=False)
    symptoms = fields.List(fields.String(), load_default=list)
    note = fields.String(load_default=None, allow_none=True)
    client_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    confirm_unusual = fields.Boolean(load_default=False)

    INTEGER_FIELDS = tuple(spec.name for spec in vitals.VITALS if spec.integer)

    @validates_schema
    def _check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Msg | str]] = {}
        values = dict(data)
        for name in self.INTEGER_FIELDS:
            value = values.get(name)
            if value is not None and value != int(value):
                errors[name] = [inputs.vital_message(name, "not_integer")]
                values[name] = None
        for name, messages in inputs.check_report(values, bool(data.get("confirm_unusual"))).items():
            errors.setdefault(name, messages)
        _raise(errors)

    @post_load
    def _make(self, data: dict[str, Any], **_kwargs: Any) -> ReportInput:
        numbers = {spec: data.get(spec.name) for spec in vitals.VITALS}
        return ReportInput(
            reported_at=data.get("reported_at"),
            **{s.name: None if v is None else s.coerce(v) for s, v in numbers.items()},
            no_oximeter=data["no_oximeter"],
            symptoms=frozenset(data["symptoms"]),
            note=data.get("note"),
            client_key=data.get("client_id"),
        )


class ProfileIn(StrictSchema):
    """The profile part of the calculator."""

    date_of_birth = fields.Date(required=True)
    sex = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SEXES))
    comorbidities = fields.List(fields.String(), load_default=list)
    comorbidities_stable = fields.Boolean(load_default=False)
    pregnant = fields.Boolean(load_default=False)
    postpartum = fields.Boolean(load_default=False)
    fully_vaccinated = fields.Boolean(load_default=False)
    height_cm = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    weight_kg = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    positive_test_date = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _raise(inputs.check_profile(data, today_local()))

    @post_load
    def _make(self, data: dict[str, Any], **_kwargs: Any) -> risk.Profile:
        return risk.Profile(
            date_of_birth=data["date_of_birth"],
            sex=data.get("sex"),
            comorbidities=frozenset(data["comorbidities"]),
            comorbidities_stable=data["comorbidities_stable"],
            pregnant=data["pregnant"],
            postpartum=data["postpartum"],
            fully_vaccinated=data["fully_vaccinated"],
            height_cm=data.get("height_cm"),
            weight_kg=data.get("weight_kg"),
            positive_test_date=data.get("positive_test_date"),
        )


class CalcReportIn(ReportIn):
    """A report inside the calculator: implausible values are assessed as given."""

    confirm_unusual = fields.Boolean(load_default=True)


class AssessIn(StrictSchema):
    """The calculator's request."""

    profile = fields.Nested(ProfileIn, required=True)
    report = fields.Nested(CalcReportIn, required=True)
    previous_reports = fields.List(fields.Nested(CalcReportIn), load_default=list, validate=validate.Length(max=60))


class RegistrationIn(StrictSchema):
    """Self-registration, or registration by staff (no password)."""

    full_name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    date_of_birth = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    phone = fields.String(required=True, validate=validate.Length(max=32))
    password = fields.String(load_default=None, allow_none=True, load_only=True)
    province_code = fields.String(required=True, validate=validate.Length(max=8))
    ward_code = fields.String(required=True, validate=validate.Length(max=8))
    address = fields.String(required=True, validate=validate.Length(min=1, max=255))
    national_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=9, max=12))
    positive_test_date = fields.Date(required=True)
    test_type = fields.String(required=True, validate=validate.OneOf(TEST_TYPES))
    symptom_onset_date = fields.Date(load_default=None, allow_none=True)
    comorbidities = fields.List(fields.String(), load_default=list)
    comorbidities_stable = fields.Boolean(load_default=False)
    pregnant = fields.Boolean(load_default=False)
    pregnancy_weeks = fields.Integer(load_default=None, allow_none=True)
    postpartum = fields.Boolean(load_default=False)
    vaccine_doses = fields.Integer(load_default=0)
    fully_vaccinated = fields.Boolean(load_default=False)
    height_cm = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    weight_kg = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    consent = fields.Boolean(required=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Msg | str]] = {}
        parsed = dict(data)
        parsed["phone"] = inputs.parse_phone(data.get("phone", ""), errors)
        for name in ("province_code", "ward_code"):
            try:
                parsed[name] = int(str(data.get(name, "")).strip())
            except ValueError:
                errors[name] = [_("must be a code of the vietnam-provinces list")]
                parsed[name] = None
        if self.context_need_password():
            problems = inputs.check_password(data.get("password"))
            if problems:
                errors["password"] = problems
        for name, messages in inputs.check_registration(parsed, today_local()).items():
            errors.setdefault(name, messages)
        _raise(errors)
        self._parsed = parsed

    def context_need_password(self) -> bool:
        return getattr(self, "need_password", True)

    @post_load
    def _make(self, data: dict[str, Any], **_kwargs: Any) -> RegistrationInput:
        parsed = self._parsed
        return RegistrationInput(
            full_name=data["full_name"].strip(),
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
            phone=parsed["phone"],
            province_code=parsed["province_code"],
            ward_code=parsed["ward_code"],
            address=data["address"].strip(),
            positive_test_date=data["positive_test_date"],
            test_type=data["test_type"],
            symptom_onset_date=data.get("symptom_onset_date"),
            national_id=data.get("national_id"),
            comorbidities=tuple(data["comorbidities"]),
            comorbidities_stable=data["comorbidities_stable"],
            pregnant=data["pregnant"],
            pregnancy_weeks=data.get("pregnancy_weeks"),
            postpartum=data["postpartum"],
            vaccine_doses=data["vaccine_doses"],
            fully_vaccinated=data["fully_vaccinated"],
            height_cm=data.get("height_cm"),
            weight_kg=data.get("weight_kg"),
            consent=data["consent"],
            password=data.get("password") if self.context_need_password() else None,
        )


class TokenIn(StrictSchema):
    """POST /api/v1/tokens: phone and password, and for staff with a second factor ``otp``."""

    phone = fields.String(required=True, validate=validate.Length(max=32))
    password = fields.String(required=True, validate=validate.Length(max=128), load_only=True)
    otp = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=32), load_only=True,
        metadata={"description": "The 6-digit code of the authenticator app, or a recovery "
                  "code; required for staff whose second factor is on (STAFF_MFA)."},
    )
    label = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=120),
        metadata={"description": "A name for the token in the owner's list (default: the User-Agent)."},
    )


class TokenOut(Schema):
    token = fields.String()
    expires_at = UTCField()
    role = fields.String()


class TokenItemOut(Schema):
    """One of the caller's valid API tokens (GET /api/v1/tokens); the token itself is never shown."""

    id = fields.Integer()
    label = fields.String(allow_none=True)
    created_at = UTCField()
    expires_at = UTCField()
    current = fields.Boolean(metadata={"description": "true for the token of this request"})


class TokenListOut(Schema):
    items = fields.List(fields.Nested(TokenItemOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class SessionItemOut(Schema):
    """One of the caller's open browser sessions (GET /api/v1/sessions)."""

    id = fields.Integer()
    label = fields.String(allow_none=True)
    created_at = UTCField()


class SessionListOut(Schema):
    items = fields.List(fields.Nested(SessionItemOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ReasonOut(Schema):
    code = fields.String()
    message = fields.String()


class News2Out(Schema):
    score = fields.Integer(allow_none=True)
    band = fields.String(allow_none=True)
    complete = fields.Boolean()


class AssessmentOut(Schema):
    tier = fields.String()
    baseline_tier = fields.String()
    alert = fields.Boolean()
    warning_signs = fields.List(fields.Nested(ReasonOut))
    reasons = fields.List(fields.Nested(ReasonOut))
    news2 = fields.Nested(News2Out, allow_none=True)
    severity = fields.String(allow_none=True)
    eligible_home_care = fields.Boolean()
    rules_version = fields.String()


class ReportOut(_VitalsOut):  # type: ignore[valid-type, misc]
    id = fields.Integer()
    reported_at = UTCField()
    channel = fields.String()
    no_oximeter = fields.Boolean()
    symptoms = fields.List(fields.String())
    note = fields.String(allow_none=True)
    client_id = fields.String(attribute="client_key", allow_none=True)
    tier = fields.String(allow_none=True)
    assessment = fields.Nested(AssessmentOut, allow_none=True)


class PatientOut(Schema):
    id = fields.Integer()
    full_name = fields.String()
    date_of_birth = fields.Date()
    sex = fields.String()
    phone = fields.String()
    province_code = fields.String()
    ward_code = fields.String()
    address = fields.String()
    positive_test_date = fields.Date()
    test_type = fields.String()
    symptom_onset_date = fields.Date(allow_none=True)
    comorbidities = fields.List(fields.String())
    comorbidities_stable = fields.Boolean()
    pregnant = fields.Boolean()
    postpartum = fields.Boolean()
    fully_vaccinated = fields.Boolean()
    height_cm = fields.Float(allow_none=True)
    weight_kg = fields.Float(allow_none=True)
    status = fields.String()
    tier = fields.String(attribute="current_tier", allow_none=True)
    baseline_tier = fields.String(allow_none=True)
    eligible_home_care = fields.Boolean(allow_none=True)
    registered_at = UTCField()
    last_report_at = UTCField(allow_none=True)


class MeOut(PatientOut):
    alert = fields.Boolean()
    day_of_treatment = fields.Integer()
    next_report_due = UTCField()
    reporting_flag = fields.String(allow_none=True)
    transfer = fields.Dict(allow_none=True)


__all__ = ["EXCLUDE", "date"]
