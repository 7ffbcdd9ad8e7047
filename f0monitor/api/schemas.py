"""marshmallow schemas of the JSON API. Ranges and rules come from `inputs` (shared with forms)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import (
    EXCLUDE,
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..data.models import BED_TYPES, SEXES, TEST_TYPES, TRANSFER_STATES
from ..data.types import MAX_ID
from ..domain import covid as risk
from ..domain import vitals
from ..domain.clock import today_local, utcnow
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
        spec.name: fields.Float(
            load_default=None, allow_none=True, allow_nan=False,
            metadata={"minimum": spec.low, "maximum": spec.high, "description": spec.unit},
        )
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
    symptoms = fields.List(fields.String(metadata={"enum": list(risk.SYMPTOMS)}), load_default=list)
    note = fields.String(load_default=None, allow_none=True)
    client_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    confirm_unusual = fields.Boolean(load_default=False)

    INTEGER_FIELDS = tuple(spec.name for spec in vitals.VITALS if spec.integer)

    def __init__(
        self, *args: Any, date_of_birth: date | None = None, now: datetime | None = None, **kwargs: Any
    ) -> None:
        """``date_of_birth`` and ``now`` turn on §1's report-time window for a stored report."""
        super().__init__(*args, **kwargs)
        self.time_rule = (date_of_birth, now) if now is not None else None

    @validates_schema
    def _check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Msg | str]] = {}
        if self.time_rule is not None:
            dob, now = self.time_rule
            errors.update(inputs.check_reported_at(data.get("reported_at"), dob, now))
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
    comorbidities = fields.List(fields.String(metadata={"enum": list(risk.COMORBIDITIES)}), load_default=list)
    comorbidities_stable = fields.Boolean(load_default=False)
    pregnant = fields.Boolean(load_default=False)
    postpartum = fields.Boolean(load_default=False)
    fully_vaccinated = fields.Boolean(load_default=False)
    height_cm = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    weight_kg = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    positive_test_date = fields.Date(load_default=None, allow_none=True)
    # §5: NEWS2 SpO2 scale 2 only when a clinician set it (hypercapnic respiratory failure)
    news2_scale = fields.Integer(load_default=1, strict=True, validate=validate.OneOf((1, 2)))

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
            news2_scale=data["news2_scale"],
        )


_THREAD = threading.local()


def report_in(date_of_birth: date | None, now: datetime) -> ReportIn:
    """A `ReportIn` with §1's window for this patient and time: one instance per thread, reused
    (building a schema deep-copies its fields: a twentieth of a report's time). The window is
    the only state it keeps, set here before each load."""
    schema = getattr(_THREAD, "report_in", None)
    if schema is None:
        schema = _THREAD.report_in = ReportIn()
    schema.time_rule = (date_of_birth, now)
    return schema


class CalcReportIn(ReportIn):
    """A report inside the calculator: implausible values are assessed as given."""

    confirm_unusual = fields.Boolean(load_default=True)


class AssessIn(StrictSchema):
    """The calculator's request."""

    profile = fields.Nested(ProfileIn, required=True)
    report = fields.Nested(CalcReportIn, required=True)
    previous_reports = fields.List(fields.Nested(CalcReportIn), load_default=list, validate=validate.Length(max=60))

    @validates_schema
    def _check_times(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """§1 for the calculator: no time before birth, none more than 10 minutes ahead."""
        profile, now = data.get("profile"), utcnow()
        if profile is None or "report" not in data:
            return
        errors: dict[str, Any] = {}
        report_errors = inputs.check_reported_at(
            data["report"].reported_at, profile.date_of_birth, now, stored=False
        )
        if report_errors:
            errors["report"] = render_fields(report_errors)
        previous: dict[int, Any] = {}
        for i, item in enumerate(data.get("previous_reports") or ()):
            problem = inputs.check_reported_at(item.reported_at, profile.date_of_birth, now, stored=False)
            if problem:
                previous[i] = render_fields(problem)
        if previous:
            errors["previous_reports"] = previous
        if errors:
            raise ValidationError(errors)


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
    comorbidities = fields.List(fields.String(metadata={"enum": list(risk.COMORBIDITIES)}), load_default=list)
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
    reminders = fields.Dict(metadata={"description": "channels, email, quiet_hours, opted_out"})
    follow_up = fields.String(metadata={"description": "app | sms | phone: how the patient is followed"})


__all__ = ["EXCLUDE", "date"]


# --- Follow-up channels: reminders, the timeline, delivery receipts (issue 10) --------------


class RemindersOut(Schema):
    """A patient's reminder preferences (``GET /api/v1/me`` ``reminders``)."""

    channels = fields.List(fields.String(validate=validate.OneOf(("sms", "zalo", "email"))))
    email = fields.String(allow_none=True)
    quiet_hours = fields.List(fields.String(), metadata={"example": ["21:00", "07:00"]})
    opted_out = fields.Boolean()


class PreferencesIn(StrictSchema):
    """``PATCH /api/v1/me/preferences``: any of the fields; absent fields are kept."""

    channels = fields.List(fields.String(validate=validate.OneOf(("sms", "zalo", "email"))))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    quiet_hours = fields.List(fields.String(), validate=validate.Length(equal=2))
    opted_out = fields.Boolean()


class TimelineItemOut(Schema):
    """One timeline item; other fields depend on ``kind`` (api.md): a message has its text too."""

    class Meta:
        unknown = INCLUDE  # the fields of each kind (a message's text, a call's outcome, ...)

    at = UTCField()
    kind = fields.String(validate=validate.OneOf(
        ("report", "assessment", "alert", "message", "call", "transfer", "note")))
    id = fields.Integer()
    purpose = fields.String(metadata={"description": "message: reminder | escalation | confirmation | advice"})
    channel = fields.String(metadata={"description": "report: app | api | sms | phone | staff; message: sms | zalo | email"})
    status = fields.String(metadata={"description": "message: queued | sent | delivered | failed | cancelled"})
    error = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    by = fields.Dict(allow_none=True)


class TimelineOut(Schema):
    items = fields.List(fields.Nested(TimelineItemOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


# --- Follow-up channels, call rounds and SMS check-ins (api.md, "Follow-up channels") -------

FOLLOW_UP_CHANNEL_VALUES = ("app", "sms", "phone")  # domain.states.FollowUpChannel
CALL_OUTCOME_VALUES = ("reached", "no_answer", "wrong_number", "refused")  # states.CallOutcome


class FollowUpIn(StrictSchema):
    """``PATCH /api/v1/patients/{id}/follow-up``: the new channel and why."""

    channel = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_CHANNEL_VALUES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))


class FollowUpChangeOut(Schema):
    at = UTCField()
    from_channel = fields.String(allow_none=True)
    to_channel = fields.String()
    reason = fields.String(allow_none=True)
    by = fields.Dict(allow_none=True)


class FollowUpOut(Schema):
    patient_id = fields.Integer()
    follow_up = fields.String()
    history = fields.List(fields.Nested(FollowUpChangeOut))


class CallOutcomeIn(StrictSchema):
    """``POST /api/v1/calls/{id}/outcome``: what came of the call, and the answers if reached."""

    outcome = fields.String(required=True, validate=validate.OneOf(CALL_OUTCOME_VALUES))
    report = fields.Nested(ReportIn, load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _report_needs_reached(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("report") is not None and data.get("outcome") != "reached":
            raise ValidationError({"report": [_("answers can only be given when the patient was reached")]})


class CallTaskOut(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    reason = fields.String()
    state = fields.String()
    due_at = UTCField()
    attempts = fields.Integer()
    claimed_by = fields.Dict(allow_none=True)
    claimed_at = UTCField(allow_none=True)
    outcome = fields.String(allow_none=True)
    full_name = fields.String()
    phone = fields.String()
    tier = fields.String(allow_none=True)
    alert = fields.Boolean()
    overdue_minutes = fields.Integer()


class CallPageOut(Schema):
    items = fields.List(fields.Nested(CallTaskOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ReceiptIn(StrictSchema):
    """``POST /api/v1/hooks/sms/status``: a delivery receipt for a message we sent."""

    message_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    status = fields.String(required=True, validate=validate.OneOf(("delivered", "failed")))
    error = fields.String(allow_none=True, validate=validate.Length(max=255))


class ReceiptOut(Schema):
    message_id = fields.String()
    status = fields.String()


class CallOutcomeOut(Schema):
    task = fields.Nested(CallTaskOut)
    retry_at = UTCField(allow_none=True)
    ward_told = fields.Integer()
    report = fields.Dict(allow_none=True)
    assessment = fields.Dict(allow_none=True)


class SmsHookIn(Schema):
    """The SMS gateway's inbound message (unknown fields of the provider are ignored)."""

    class Meta:
        unknown = EXCLUDE

    message_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sender = fields.String(required=True, data_key="from", validate=validate.Length(min=1, max=32))
    text = fields.String(required=True, validate=validate.Length(max=1600))
    received_at = AwareDateTime(load_default=None, allow_none=True)


class SmsHookOut(Schema):
    reply = fields.String()
    report_id = fields.Integer(allow_none=True)
# --- Output shapes of the other endpoints (for the OpenAPI description) ----------------------
# The views build their JSON with serialize.py and these name what comes out, field by field;
# tests/test_openapi.py checks real answers against them and schemathesis does the same for
# every operation.


class ErrorDetailOut(Schema):
    class Meta:
        unknown = INCLUDE  # an error may add what helps (state, version, transfer_id, reason)

    code = fields.String(required=True, metadata={"description": "machine-readable, e.g. validation_error"})
    message = fields.String(required=True, metadata={"description": "in the request's language"})
    field_messages = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": 'field -> messages, e.g. {"spo2": ["must be between 50 and 100"]}'},
    )


class ErrorOut(Schema):
    """Every error of the API: {"error": {"code", "message", "fields"?, ...}}."""

    error = fields.Nested(ErrorDetailOut, required=True)


class PersonOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(allow_none=True)


class SubmissionOut(Schema):
    """A stored report (201), or the first result again for a retried key (200)."""

    report = fields.Nested(ReportOut, required=True)
    assessment = fields.Nested(AssessmentOut, allow_none=True)


class AlertOut(Schema):
    id = fields.Integer(required=True)
    patient_id = fields.Integer()
    state = fields.String(validate=validate.OneOf(("open", "acknowledged", "resolved")))
    reason_codes = fields.List(fields.String())
    opened_at = UTCField()
    escalated = fields.Boolean()
    escalated_at = UTCField(allow_none=True)
    acknowledged_at = UTCField(allow_none=True)
    acknowledged_by = fields.Nested(PersonOut, allow_none=True)
    seconds_to_acknowledge = fields.Integer(allow_none=True)
    resolved_at = UTCField(allow_none=True)
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ContactOut(Schema):
    id = fields.Integer(required=True)
    at = UTCField()
    channel = fields.String()
    outcome = fields.String()
    text = fields.String(allow_none=True)
    staff = fields.Nested(PersonOut, allow_none=True)


class ReportWithAssessmentOut(ReportOut):
    pass


class PatientRecordOut(PatientOut):
    """A patient's full record for staff (GET /patients/{id})."""

    flags = fields.List(fields.String())
    day_of_treatment = fields.Integer()
    baseline_reasons = fields.List(fields.Nested(ReasonOut))
    eligibility_reasons = fields.List(fields.Nested(ReasonOut))
    assigned_to = fields.Nested(PersonOut, allow_none=True)
    open_alert = fields.Nested(AlertOut, allow_none=True)
    alerts = fields.List(fields.Nested(AlertOut))
    reports = fields.List(fields.Nested(ReportWithAssessmentOut))
    contacts = fields.List(fields.Nested(ContactOut))


class QueueAlertOut(Schema):
    id = fields.Integer(required=True)
    opened_at = UTCField()
    acknowledged_at = UTCField(allow_none=True)
    acknowledged_by = fields.Nested(PersonOut, allow_none=True)
    signs = fields.List(fields.String(), metadata={"description": "the warning-sign codes that raised it"})
    waiting_minutes = fields.Integer(allow_none=True, metadata={"description": "unacknowledged: minutes since it opened"})
    escalated = fields.Boolean()


class QueueItemOut(Schema):
    id = fields.Integer(required=True, metadata={"description": "the patient's id"})
    full_name = fields.String()
    phone = fields.String()
    ward_code = fields.String()
    tier = fields.String(allow_none=True)
    baseline_tier = fields.String(allow_none=True)
    flags = fields.List(fields.String(validate=validate.OneOf(("alert", "overdue", "missing", "call_due"))))
    open_alert = fields.Nested(QueueAlertOut, allow_none=True)
    last_report_at = UTCField(allow_none=True)
    assigned_to = fields.Nested(PersonOut, allow_none=True)


class QueueArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    tier = fields.String(validate=validate.OneOf(("green", "yellow", "orange", "red")),
                         metadata={"description": "only this tier"})
    ward = fields.Integer(metadata={"description": "only this ward code"})
    flag = fields.String(validate=validate.OneOf(("alert", "overdue", "missing")))
    assigned = fields.String(validate=validate.OneOf(("me",)), metadata={"description": "me: only mine"})
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "name or phone"})


class CaseloadArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(data_key="from", metadata={"description": "first day (default: 14 days ago)"})
    to = fields.Date(metadata={"description": "last day (default: today)"})
    province = fields.Integer(metadata={"description": "province code (department of the country)"})
    ward = fields.Integer(metadata={"description": "ward code"})


class TierCountsOut(Schema):
    green = fields.Integer()
    yellow = fields.Integer()
    orange = fields.Integer()
    red = fields.Integer()


class CaseloadItemOut(Schema):
    date = fields.Date(required=True)
    ward_code = fields.String(required=True)
    ward_name = fields.String()
    active = fields.Integer()
    new = fields.Integer()
    recovered = fields.Integer()
    transferred = fields.Integer()
    deceased = fields.Integer()
    by_tier = fields.Nested(TierCountsOut)
    overdue = fields.Integer()
    alerts_opened = fields.Integer()
    median_minutes_to_acknowledge = fields.Float(allow_none=True)


class AssignmentOut(Schema):
    patient_id = fields.Integer(required=True)
    assigned_to = fields.Nested(PersonOut, allow_none=True)


class TransferFacilityOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String()
    free_beds = fields.Integer(metadata={"description": "free general beds"})


class TransferEventOut(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    at = UTCField()
    by = fields.Nested(PersonOut, allow_none=True)
    note = fields.String(allow_none=True)


class TransferMinutesOut(Schema):
    request_to_dispatch = fields.Integer(allow_none=True)
    dispatch_to_admit = fields.Integer(allow_none=True)
    request_to_admit = fields.Integer(allow_none=True)


class TransferOut(Schema):
    """A transfer with every step (who, when)."""

    id = fields.Integer(required=True)
    patient_id = fields.Integer(required=True)
    state = fields.String(validate=validate.OneOf(TRANSFER_STATES))
    reason = fields.String()
    facility = fields.Nested(TransferFacilityOut, allow_none=True)
    ambulance_ref = fields.String(allow_none=True)
    bed_type = fields.String(allow_none=True, validate=validate.OneOf(BED_TYPES),
                             metadata={"description": "the kind of bed the request asked for"})
    events = fields.List(fields.Nested(TransferEventOut))
    version = fields.Integer(metadata={"description": "send it back to refuse a stale action"})


class TransferListItemOut(TransferOut):
    """A transfer in the list, with its milestones and the minutes between them."""

    requested_at = UTCField()
    dispatched_at = UTCField(allow_none=True)
    admitted_at = UTCField(allow_none=True)
    minutes = fields.Nested(TransferMinutesOut)


class TransferListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(validate=validate.OneOf(("open", "closed", "all")),
                          metadata={"description": "open (default), closed or all"})


class DischargeOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String()
    discharged_at = fields.String(metadata={"format": "date-time"})
    negative_test_date = fields.Date(allow_none=True)
    certificate_code = fields.String(allow_none=True)
    verify_url = fields.String(allow_none=True)


class BedCountIn(StrictSchema):
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100_000))
    free = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100_000))


class BedCountOut(Schema):
    capacity = fields.Integer(required=True)
    free = fields.Integer(required=True)


class BedsIn(StrictSchema):
    """New figures by bed type; null removes a type the facility no longer has (not general)."""

    general = fields.Nested(BedCountIn)
    oxygen = fields.Nested(BedCountIn, allow_none=True)
    icu = fields.Nested(BedCountIn, allow_none=True)
    ventilator = fields.Nested(BedCountIn, allow_none=True)


class BedsOut(Schema):
    """Bed types the facility does not have are absent."""

    general = fields.Nested(BedCountOut)
    oxygen = fields.Nested(BedCountOut)
    icu = fields.Nested(BedCountOut)
    ventilator = fields.Nested(BedCountOut)


class FacilityOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String()
    province_code = fields.String()
    ward_code = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    beds = fields.Nested(BedsOut)
    updated_at = UTCField(allow_none=True)
    version = fields.Integer(required=True)


class FacilityPatchIn(StrictSchema):
    beds = fields.Nested(BedsIn, required=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID),
                             metadata={"description": "the version you read; a stale one is a 409"})


class FacilityListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    province = fields.Integer(metadata={"description": "province code (default: your own)"})


class FacilityConflictOut(Schema):
    """409 on a stale version: the error and the facility as it now is."""

    error = fields.Nested(ErrorDetailOut, required=True)
    facility = fields.Nested(FacilityOut, required=True)
