"""What a patient or staff member may type, checked once for the web forms and the API.

The ranges themselves live in ``domain.vitals.VITALS`` (the vital-sign spec); this module
turns their verdicts into untranslated messages (``domain.text.Msg``, rendered in the reader's
language by ``http.labels.render``) and adds the date and area rules of registration. WTForms
forms and marshmallow schemas both call these functions, so the two channels can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, make_dataclass
from datetime import date, datetime
from typing import Any

from ..domain import covid as risk
from ..domain import vitals
from ..domain.text import Msg
from . import areas, passwords
from .phones import InvalidPhone, normalize_phone

VITAL_FIELDS = vitals.NAMES
MAX_NOTE = 1000

# One optional number per vital of the spec: whole for integer vitals, else one decimal.
_TypedVitals = make_dataclass(
    "_TypedVitals",
    [
        (spec.name, (int | None) if spec.integer else (float | None), field(default=None))
        for spec in vitals.VITALS
    ],
    frozen=True,
    namespace={"__module__": __name__},
)


@dataclass(frozen=True)
class ReportInput(_TypedVitals):
    """A report as typed, already parsed to numbers: a field per vital of ``vitals.VITALS``."""

    no_oximeter: bool = False
    symptoms: frozenset[str] = frozenset()
    note: str | None = None
    client_key: str | None = None
    reported_at: datetime | None = None


@dataclass(frozen=True)
class RegistrationInput:
    """A new patient, as typed, already parsed."""

    full_name: str
    date_of_birth: date
    sex: str
    phone: str  # E.164
    province_code: int
    ward_code: int
    address: str
    positive_test_date: date
    test_type: str
    symptom_onset_date: date | None = None
    national_id: str | None = None
    comorbidities: tuple[str, ...] = ()
    comorbidities_stable: bool = False
    pregnant: bool = False
    pregnancy_weeks: int | None = None
    postpartum: bool = False
    vaccine_doses: int = 0
    fully_vaccinated: bool = False
    height_cm: float | None = None
    weight_kg: float | None = None
    consent: bool = False
    password: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def range_text(name: str) -> Msg:
    """Return "must be between LOW and HIGH" for a vital's accepted range."""
    spec = vitals.vital(name)
    low, high = (int(spec.low), int(spec.high)) if spec.integer else (spec.low, spec.high)
    return Msg("must be between %(low)s and %(high)s", low=low, high=high)


def vital_message(name: str, code: str) -> Msg:
    """Return the message of a vital's error code (`risk.check_vitals`, or "not_integer")."""
    if code == "not_integer":
        return Msg("%(problem)s (%(range)s)", problem=Msg("must be a whole number"), range=range_text(name))
    if code == "diastolic_not_below_systolic":
        return Msg("must be lower than the systolic (upper) number")
    if code == "implausible":
        return Msg("this value is very unusual: check it, then tick the confirmation box")
    return range_text(name)


def check_report(values: Mapping[str, Any], confirmed: bool) -> dict[str, list[Msg]]:
    """Return field errors for a report's vitals and symptoms (empty when it may be stored)."""
    vitals = {name: values.get(name) for name in VITAL_FIELDS}
    # The recheck is held to the SpO2 range too.
    checked = {k: v for k, v in vitals.items() if k != "spo2_recheck"}
    errors_by_code, implausible = risk.check_vitals(checked)
    errors: dict[str, list[Msg]] = {
        name: [vital_message(name, code)] for name, code in errors_by_code.items()
    }
    recheck = vitals.get("spo2_recheck")
    if recheck is not None:
        rc_errors, rc_implausible = risk.check_vitals({"spo2": recheck})
        if rc_errors:
            errors["spo2_recheck"] = [vital_message("spo2_recheck", rc_errors["spo2"])]
        elif rc_implausible:
            implausible = {**implausible, "spo2_recheck": rc_implausible["spo2"]}
    if not confirmed:
        for name in implausible:
            errors.setdefault(name, [vital_message(name, "implausible")])
    if values.get("no_oximeter") and (vitals.get("spo2") is not None):
        errors.setdefault("spo2", []).append(
            Msg("leave SpO2 empty when you have no oximeter, or untick “no oximeter”")
        )
    unknown = set(values.get("symptoms") or ()) - set(risk.SYMPTOMS)
    if unknown:
        errors["symptoms"] = [Msg("unknown symptom: %(names)s", names=", ".join(sorted(unknown)))]
    note = values.get("note")
    if note and len(note) > MAX_NOTE:
        errors["note"] = [Msg("at most %(n)s characters", n=MAX_NOTE)]
    return errors


def needs_spo2_recheck(spo2: int | None) -> bool:
    """Tell whether a first SpO2 reading calls for a second one after a minute (W3)."""
    return spo2 is not None and spo2 <= risk.SPO2_RECHECK_AT


def parse_phone(text: str, errors: dict[str, list[Msg]], field_name: str = "phone") -> str | None:
    """Return the E.164 form of a phone number, or add a field error."""
    try:
        return normalize_phone(text)
    except InvalidPhone:
        errors.setdefault(field_name, []).append(
            Msg("not a valid phone number (e.g. 0912 345 678)")
        )
        return None


def check_profile(data: Mapping[str, Any], today: date) -> dict[str, list[Msg]]:
    """Return field errors for the risk profile: birth date, illnesses, pregnancy, size, doses.

    The registration forms, the staff profile form, the calculator page and the API schemas
    all check a profile here, so their ranges cannot drift apart.
    """
    errors: dict[str, list[Msg]] = {}
    dob = data.get("date_of_birth")
    if dob and dob > today:
        errors["date_of_birth"] = [Msg("cannot be in the future")]
    elif dob and dob.year < today.year - 120:
        errors["date_of_birth"] = [Msg("check the year of birth")]
    unknown = set(data.get("comorbidities") or ()) - set(risk.COMORBIDITIES)
    if unknown:
        errors["comorbidities"] = [Msg("unknown condition: %(names)s", names=", ".join(sorted(unknown)))]
    if data.get("pregnant") and data.get("sex") == "male":
        errors["pregnant"] = [Msg("cannot be ticked for a male patient")]
    if data.get("postpartum") and data.get("sex") == "male":
        errors["postpartum"] = [Msg("cannot be ticked for a male patient")]
    for name, (low, high) in PROFILE_RANGES.items():
        value = data.get(name)
        if value is not None and not (low <= value <= high):
            errors[name] = [Msg("must be between %(low)s and %(high)s", low=low, high=high)]
    return errors


# Typo guards for the profile (not clinical rules): plausible human sizes and counts.
PROFILE_RANGES = {
    "height_cm": (30, 250),
    "weight_kg": (1, 300),
    "pregnancy_weeks": (1, 45),
    "vaccine_doses": (0, 10),
}


def check_registration(data: Mapping[str, Any], today: date) -> dict[str, list[Msg]]:
    """Return field errors for the profile, test dates, area and consent of a registration."""
    errors = check_profile(data, today)
    dob = data.get("date_of_birth")
    positive = data.get("positive_test_date")
    if positive:
        if positive > today:
            errors["positive_test_date"] = [Msg("cannot be in the future")]
        elif dob and positive < dob:
            errors["positive_test_date"] = [Msg("cannot be before the date of birth")]
    onset = data.get("symptom_onset_date")
    if onset:
        if onset > today:
            errors["symptom_onset_date"] = [Msg("cannot be in the future")]
        elif dob and onset < dob:
            errors["symptom_onset_date"] = [Msg("cannot be before the date of birth")]
    province = data.get("province_code")
    ward = data.get("ward_code")
    if province is not None and not areas.is_province(province):
        errors["province_code"] = [Msg("choose a province from the list")]
    elif province is not None and ward is not None and not areas.ward_in_province(ward, province):
        errors["ward_code"] = [Msg("this ward or commune is not in the chosen province")]
    if data.get("consent") is not True:
        errors["consent"] = [Msg("your consent is needed to follow you at home")]
    return errors


# Far past any real list (300,000 patients, one a page) and small enough for SQL OFFSET.
MAX_PAGE = 1_000_000


def page_number(text: Any) -> int:
    """Return the page asked for in a query string: 1 for anything that is not a page."""
    try:
        return min(MAX_PAGE, max(1, int(text)))
    except (TypeError, ValueError, OverflowError):
        return 1


MIN_PASSWORD = passwords.MIN_PASSWORD


def check_password(
    password: str | None, *, staff: bool = False, user_inputs: Iterable[str] = ()
) -> list[Msg]:
    """Return the problems with a new password (length, and how easy it is to guess)."""
    return passwords.password_problems(password, staff=staff, user_inputs=user_inputs)
