"""The second factor of staff accounts: TOTP (RFC 6238, with ``pyotp``) and recovery codes.

Who needs it follows one setting, ``STAFF_MFA``: ``required`` (production) makes it compulsory
for doctors, coordinators, the department and admins and optional for volunteers;
``optional`` lets every staff account choose; ``off`` asks no one. Patients never need it.
An account that has enrolled is asked for a code whenever the setting is not ``off``.

A code is accepted within one 30-second step either side (phone clocks drift) and never twice
(the last step used is stored). Recovery codes are ten random one-time codes, stored hashed,
shown once at enrolment.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import RecoveryCode, User
from . import credentials

REQUIRED = "required"
OPTIONAL = "optional"
OFF = "off"
SETTINGS = (REQUIRED, OPTIONAL, OFF)
# Roles that must have a second factor when the setting is "required".
REQUIRED_ROLES = frozenset({"doctor", "coordinator", "department", "admin"})
# Roles that may have one (patients log in with a password only).
ELIGIBLE_ROLES = REQUIRED_ROLES | {"volunteer"}
ISSUER = "f0monitor"
RECOVERY_CODES = 10
_VALID_WINDOW = 1  # steps either side


def check_setting(value: str) -> str:
    """Return a valid STAFF_MFA value or raise ValueError naming the choices."""
    if value not in SETTINGS:
        raise ValueError(f"STAFF_MFA must be one of {', '.join(SETTINGS)}, not {value!r}")
    return value


def is_enrolled(user: User) -> bool:
    return bool(user.mfa_secret and user.mfa_enabled_at)


def must_enrol(user: User, setting: str) -> bool:
    """Tell whether the account may not work until it has a second factor."""
    return setting == REQUIRED and user.role in REQUIRED_ROLES and not is_enrolled(user)


def may_enrol(user: User, setting: str) -> bool:
    return setting != OFF and user.role in ELIGIBLE_ROLES


def asks_code(user: User, setting: str) -> bool:
    """Tell whether logging in takes a code from this account's authenticator."""
    return setting != OFF and user.role in ELIGIBLE_ROLES and is_enrolled(user)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def _clean(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def _step(secret: str, code: str, at: datetime) -> int | None:
    """Return the time step at which ``code`` is valid for ``secret`` near ``at``, or None."""
    totp = pyotp.TOTP(secret)
    if len(code) != totp.digits or not code.isdigit():
        return None
    now_step = int(at.timestamp()) // totp.interval
    for offset in range(-_VALID_WINDOW, _VALID_WINDOW + 1):
        step = now_step + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_matches_secret(secret: str, code: str | None, *, now: datetime) -> bool:
    """Check a code against a secret not yet saved (the enrolment's confirmation)."""
    return _step(secret, _clean(code), now) is not None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_recovery_codes(session: Session, user: User, *, now: datetime) -> list[str]:
    """Replace the account's recovery codes with new ones; return them (shown once)."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_digest(_clean(c)), created_at=now) for c in codes
    )
    session.flush()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ) or 0


def enable(session: Session, user: User, secret: str, code: str | None, *, now: datetime, keep_session=None, keep_token=None) -> list[str] | None:
    """Turn the second factor on once a code from the new secret is confirmed.

    Returns the new recovery codes, or None when the code does not match. The account's other
    sessions and tokens are revoked: they were opened without this factor.
    """
    step = _step(secret, _clean(code), now)
    if step is None:
        return None
    user.mfa_secret = secret
    user.mfa_enabled_at = now
    user.mfa_last_step = step
    codes = new_recovery_codes(session, user, now=now)
    credentials.revoke_all(session, user, now=now, keep_session=keep_session, keep_token=keep_token)
    return codes


def verify(session: Session, user: User, code: str | None, *, now: datetime) -> str | None:
    """Check a login's second factor: a current TOTP code or an unused recovery code.

    Returns ``"totp"`` or ``"recovery"`` for what was accepted (a recovery code is spent), or
    None. A TOTP code already used (same or earlier step) is refused: it may have been seen.
    """
    if not is_enrolled(user):
        return None
    cleaned = _clean(code)
    step = _step(user.mfa_secret, cleaned, now)
    if step is not None:
        if user.mfa_last_step is not None and step <= user.mfa_last_step:
            return None
        user.mfa_last_step = step
        session.flush()
        return "totp"
    if len(cleaned) == 16:
        row = session.scalar(
            sa.select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _digest(cleaned),
                RecoveryCode.used_at.is_(None),
            )
        )
        if row is not None:
            row.used_at = now
            session.flush()
            return "recovery"
    return None


def disable(session: Session, user: User, *, now: datetime) -> None:
    """Remove the second factor and its recovery codes (the account enrols again)."""
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def reset(session: Session, user: User, *, now: datetime) -> None:
    """An admin's reset of a lost factor: it is removed and every session and token revoked.

    The owner then logs in with the password and enrols a new authenticator.
    """
    disable(session, user, now=now)
    credentials.revoke_all(session, user, now=now)
