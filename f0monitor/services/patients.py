"""Registering patients and accounts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Patient, User
from ..domain import covid as risk
from ..domain.states import PatientStatus
from . import PhoneTaken
from .assessments import rescore_profile
from .inputs import RegistrationInput
from .passwords import hash_password

CLAIM_CODE_TTL = timedelta(days=14)


def phone_registered(session: Session, phone: str) -> bool:
    """Tell whether a patient or an account already uses this phone number."""
    return (
        session.scalar(sa.select(Patient.id).where(Patient.phone == phone).limit(1)) is not None
        or session.scalar(sa.select(User.id).where(User.phone == phone).limit(1)) is not None
    )


def new_patient_login(
    phone: str, password: str, *, full_name: str, province_code: int, now: datetime
) -> User:
    """Return a new patient account (not yet added to the session)."""
    return User(
        phone=phone,
        password_hash=hash_password(password),
        role="patient",
        full_name=full_name,
        province_code=province_code,
        ward_codes=[],
        created_at=now,
        is_active_account=True,
        session_version=1,
    )


def register_patient(
    session: Session,
    data: RegistrationInput,
    *,
    now: datetime,
    registered_by: User | None = None,
) -> Patient:
    """Register a patient (and their login when a password is given), scored at once.

    :raise PhoneTaken: when the phone number is already registered.
    """
    if phone_registered(session, data.phone):
        raise PhoneTaken("phone already registered")
    user = None
    if data.password:
        user = new_patient_login(
            data.phone, data.password, full_name=data.full_name,
            province_code=data.province_code, now=now,
        )
        session.add(user)
    patient = Patient(
        user=user,
        full_name=data.full_name.strip(),
        date_of_birth=data.date_of_birth,
        sex=data.sex,
        phone=data.phone,
        national_id=data.national_id or None,
        province_code=data.province_code,
        ward_code=data.ward_code,
        address=data.address.strip(),
        positive_test_date=data.positive_test_date,
        test_type=data.test_type,
        symptom_onset_date=data.symptom_onset_date,
        comorbidities=sorted(set(data.comorbidities)),
        comorbidities_stable=data.comorbidities_stable,
        pregnant=data.pregnant,
        pregnancy_weeks=data.pregnancy_weeks if data.pregnant else None,
        postpartum=data.postpartum,
        vaccine_doses=data.vaccine_doses,
        fully_vaccinated=data.fully_vaccinated,
        height_cm=data.height_cm,
        weight_kg=data.weight_kg,
        news2_scale=1,
        consent_at=now,
        registered_at=now,
        registered_by_id=registered_by.id if registered_by else None,
        status=PatientStatus.ACTIVE,
        status_changed_at=now,
        has_open_alert=False,
        version=1,
    )
    session.add(patient)
    session.flush()
    rescore_profile(session, patient, now=now)
    from .assignment import auto_assign

    auto_assign(session, patient, now=now)
    return patient


@dataclass(frozen=True)
class ProfileChange:
    """The parts of a patient's profile that the risk rules read."""

    comorbidities: tuple[str, ...]
    comorbidities_stable: bool
    pregnant: bool
    pregnancy_weeks: int | None
    postpartum: bool
    vaccine_doses: int
    fully_vaccinated: bool
    height_cm: float | None
    weight_kg: float | None
    news2_scale: int = 1


def update_profile(
    session: Session, patient: Patient, change: ProfileChange, *, now: datetime
) -> tuple[str | None, str | None]:
    """Apply a profile change and re-score the patient; return (old tier, new tier)."""
    old = patient.current_tier
    patient.comorbidities = sorted(set(change.comorbidities))
    patient.comorbidities_stable = change.comorbidities_stable
    patient.pregnant = change.pregnant
    patient.pregnancy_weeks = change.pregnancy_weeks if change.pregnant else None
    patient.postpartum = change.postpartum
    patient.vaccine_doses = change.vaccine_doses
    patient.fully_vaccinated = change.fully_vaccinated
    patient.height_cm = change.height_cm
    patient.weight_kg = change.weight_kg
    patient.news2_scale = change.news2_scale
    rescore_profile(session, patient, now=now)
    session.flush()
    return old, patient.current_tier


def new_claim_code(patient: Patient, *, now: datetime) -> str:
    """Give a patient registered by staff a one-time code to claim their account."""
    code = f"{secrets.randbelow(10**8):08d}"
    patient.claim_code_hash = hashlib.sha256(code.encode()).hexdigest()
    patient.claim_code_expires_at = now + CLAIM_CODE_TTL
    return code


def day_of_treatment(patient: Patient, *, now: datetime) -> int:
    """Return the day of home treatment (day 1 = the positive test)."""
    from ..domain.clock import local_date

    return risk.day_of_treatment(patient.positive_test_date, local_date(now))
