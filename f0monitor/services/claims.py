"""Claiming an account: a patient registered by the hotline sets their own password.

Staff read (or text) an 8-digit one-time code to the caller; with their phone number and that
code the patient chooses a password on the public claim page. The code is stored hashed,
expires after 14 days and works once.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Patient, User
from . import DomainError
from .patients import new_claim_code, new_patient_login


class ClaimRefused(DomainError):
    """Wrong phone or code, expired code, or an account that already has a login."""

    code = "claim_refused"


def issue_claim_code(patient: Patient, *, now: datetime) -> str:
    """Give a patient without a login a new one-time code (any earlier code stops working).

    :raise ClaimRefused: when the patient already has a login.
    """
    if patient.user_id is not None:
        raise ClaimRefused("already has a login")
    return new_claim_code(patient, now=now)


def claim_account(
    session: Session, phone: str, code: str, password: str, *, now: datetime
) -> User:
    """Create the patient's login from a valid claim code, and spend the code.

    :raise ClaimRefused: for any mismatch (one message for all, so nothing can be probed).
    """
    patient = session.scalar(sa.select(Patient).where(Patient.phone == phone))
    digest = hashlib.sha256((code or "").strip().encode()).hexdigest()
    if (
        patient is None
        or patient.user_id is not None
        or not patient.claim_code_hash
        or not hmac.compare_digest(patient.claim_code_hash, digest)
        or patient.claim_code_expires_at is None
        or patient.claim_code_expires_at <= now
        or session.scalar(sa.select(User.id).where(User.phone == phone)) is not None
    ):
        raise ClaimRefused("invalid claim")
    user = new_patient_login(
        patient.phone, password, full_name=patient.full_name,
        province_code=patient.province_code, now=now,
    )
    session.add(user)
    patient.user = user
    patient.claim_code_hash = None
    patient.claim_code_expires_at = None
    session.flush()
    return user
