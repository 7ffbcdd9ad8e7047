"""Staff accounts: created and deactivated by admins (pages) or the create-user command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import ROLES, User
from ..domain.text import Msg
from . import DomainError, PhoneTaken, areas, credentials
from .inputs import check_password
from .patients import hash_password

STAFF_ACCOUNT_ROLES = tuple(r for r in ROLES if r != "patient")


class BadStaff(DomainError):
    """Something about a new account is not valid; `field` names what."""

    code = "validation_error"


@dataclass(frozen=True)
class StaffInput:
    """A new staff, department or admin account, as typed (phone already in E.164)."""

    role: str
    phone: str
    full_name: str
    province_code: int
    ward_codes: tuple[int, ...] = ()
    password: str = ""
    max_patients: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


def check_staff(data: StaffInput) -> dict[str, list[Msg]]:
    """Return field problems with a new account (empty when it is fine), untranslated."""
    errors: dict[str, list[Msg]] = {}
    if data.role not in STAFF_ACCOUNT_ROLES:
        errors["role"] = [Msg("choose a role")]
    if len(data.full_name.strip()) < 2:
        errors["full_name"] = [Msg("enter the full name")]
    if not areas.is_province(data.province_code):
        errors["province_code"] = [Msg("unknown province")]
    else:
        bad = [w for w in data.ward_codes if not areas.ward_in_province(w, data.province_code)]
        if bad:
            errors["ward_codes"] = [Msg("these wards are not in the province: %(codes)s",
                                        codes=", ".join(map(str, bad)))]
    problems = check_password(data.password, staff=True, user_inputs=(data.phone, data.full_name))
    if problems:
        errors["password"] = problems
    if data.max_patients is not None and not 1 <= data.max_patients <= 10000:
        errors["max_patients"] = [Msg("must be between 1 and 10000")]
    return errors


def create_staff(session: Session, data: StaffInput, *, now: datetime) -> User:
    """Create a staff, department or admin account.

    :raise BadStaff: when a field is not valid (``params["fields"]`` has the messages).
    :raise PhoneTaken: when an account already uses the phone number.
    """
    errors = check_staff(data)
    if errors:
        raise BadStaff("invalid account", fields=errors)
    if session.scalar(sa.select(User.id).where(User.phone == data.phone)) is not None:
        raise PhoneTaken("an account with this phone number already exists")
    user = User(
        phone=data.phone,
        password_hash=hash_password(data.password),
        role=data.role,
        full_name=data.full_name.strip(),
        province_code=data.province_code,
        ward_codes=sorted(set(data.ward_codes)),
        created_at=now,
        is_active_account=True,
        session_version=1,
        is_available=True,
        max_patients=data.max_patients,
    )
    session.add(user)
    session.flush()
    return user


def deactivate(session: Session, user: User, *, by: User, now: datetime) -> User:
    """Close an account: its sessions end at once and its API tokens are revoked.

    Patients it followed keep the assignment until a coordinator reassigns them (the
    workload view shows the inactive name); nothing is deleted.
    """
    if user.id == by.id:
        from . import NotAllowed

        raise NotAllowed("you cannot deactivate your own account")
    user.is_active_account = False
    user.is_available = False
    user.session_version = (user.session_version or 1) + 1
    credentials.revoke_all(session, user, now=now)
    return user


def reactivate(session: Session, user: User, *, now: datetime) -> User:
    """Open a closed account again (old sessions stay ended)."""
    user.is_active_account = True
    user.is_available = True
    session.flush()
    return user


def staff_in_area(session: Session, viewer: User) -> list[User]:
    """Return the non-patient accounts an admin manages: their province, or all when none."""
    stmt = sa.select(User).where(User.role != "patient").order_by(User.role, User.full_name)
    if viewer.province_code is not None:
        stmt = stmt.where(User.province_code == viewer.province_code)
    return list(session.scalars(stmt))
