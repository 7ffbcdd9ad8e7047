"""An account's credentials: its browser sessions and API tokens, listed and revoked by the owner.

A password change, a reset of the second factor or a deactivation revokes every session and
token of the account except the one the change was made from (ASVS 3.3.3). Sessions and tokens
are random values of which only the SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from ..data.models import ApiToken, LoginSession, User
from .passwords import hash_password

LABEL_CHARS = 120


def digest(value: str) -> str:
    """Return the stored form of a session id or token."""
    return hashlib.sha256(value.encode()).hexdigest()


def _label(text: str | None) -> str | None:
    return (text or "").strip()[:LABEL_CHARS] or None


# --- browser sessions ------------------------------------------------------------------------


def open_session(session: Session, user: User, *, label: str | None, now: datetime) -> tuple[str, LoginSession]:
    """Start a browser session: return the random id for the cookie and the stored row."""
    sid = secrets.token_urlsafe(32)
    row = LoginSession(user_id=user.id, sid_hash=digest(sid), created_at=now, label=_label(label))
    session.add(row)
    session.flush()
    return sid, row


def live_session(session: Session, user_id: int, sid: str | None, *, now: datetime, lifetime: timedelta) -> LoginSession | None:
    """Return the open session of this account with this id, or None (revoked, expired, unknown)."""
    if not sid:
        return None
    row = session.scalar(sa.select(LoginSession).where(LoginSession.sid_hash == digest(sid)))
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    if row.created_at + lifetime <= now:
        return None
    return row


def sessions_of(session: Session, user: User, *, now: datetime, lifetime: timedelta) -> list[LoginSession]:
    """Return the account's open browser sessions, newest first."""
    return list(
        session.scalars(
            sa.select(LoginSession)
            .where(
                LoginSession.user_id == user.id,
                LoginSession.revoked_at.is_(None),
                LoginSession.created_at > now - lifetime,
            )
            .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
        )
    )


def close_session(session: Session, row: LoginSession | None, *, now: datetime) -> None:
    """End one browser session (logging out)."""
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def revoke_session(session: Session, user: User, session_id: int, *, now: datetime) -> bool:
    """Revoke one of the account's own sessions by its id; False when it has none such open."""
    row = session.get(LoginSession, session_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = now
    session.flush()
    return True


# --- API tokens ------------------------------------------------------------------------------


def issue_token(session: Session, user: User, *, ttl: timedelta, label: str | None, now: datetime) -> tuple[str, ApiToken]:
    """Create a random bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, token_hash=digest(token), created_at=now, expires_at=now + ttl,
        label=_label(label),
    )
    session.add(row)
    session.flush()
    return token, row


def live_token(session: Session, token: str | None, *, now: datetime) -> ApiToken | None:
    """Return the valid token row for a bearer token, or None."""
    if not token:
        return None
    row = session.scalar(_live_token_statement(), {"token_hash": digest(token)})
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


@cache
def _live_token_statement() -> sa.Select:
    """The token's row by its hash, built once (every API request runs it)."""
    return (
        sa.select(ApiToken)
        # the caller's user, and a patient's own record, come in the same statement: a
        # patient's token is there to send reports (api/me.py reads the record from it)
        .options(joinedload(ApiToken.user).joinedload(User.patient))
        .where(ApiToken.token_hash == sa.bindparam("token_hash"))
    )


def tokens_of(session: Session, user: User, *, now: datetime) -> list[ApiToken]:
    """Return the account's valid API tokens, newest first."""
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int, *, now: datetime) -> bool:
    """Revoke one of the account's own tokens by its id; False when it has none such valid."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None or row.expires_at <= now:
        return False
    row.revoked_at = now
    session.flush()
    return True


# --- everything at once ----------------------------------------------------------------------


def revoke_all(
    session: Session,
    user: User,
    *,
    now: datetime,
    keep_session: LoginSession | None = None,
    keep_token: ApiToken | None = None,
) -> int:
    """Revoke every session and token of the account but the ones kept; return how many."""
    sessions = sa.update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
    )
    if keep_session is not None:
        sessions = sessions.where(LoginSession.id != keep_session.id)
    tokens = sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if keep_token is not None:
        tokens = tokens.where(ApiToken.id != keep_token.id)
    count = session.execute(sessions.values(revoked_at=now)).rowcount
    count += session.execute(tokens.values(revoked_at=now)).rowcount
    session.flush()
    return count


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    now: datetime,
    keep_session: LoginSession | None = None,
    keep_token: ApiToken | None = None,
) -> int:
    """Change or reset a password: every other session and token of the account stops working.

    The new password must have been checked already (``inputs.check_password``). Returns the
    number of sessions and tokens revoked.
    """
    user.password_hash = hash_password(password)
    return revoke_all(session, user, now=now, keep_session=keep_session, keep_token=keep_token)
