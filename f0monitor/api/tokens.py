"""Tokens and sessions of the caller: POST/GET /api/v1/tokens, DELETE /api/v1/tokens/current and
/api/v1/tokens/{id}; GET /api/v1/sessions and DELETE /api/v1/sessions/{id}."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..data.models import ROLES
from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import PUBLIC, access
from ..http.auth import attempt_login, current_token, issue_token, record_security
from ..http.errors import api_error
from ..services import credentials
from . import bp, documented, load_body, page_args
from .schemas import SessionListOut, TokenIn, TokenListOut, TokenOut

EVERYONE = tuple(ROLES)


def _wait(seconds: int):
    response, status = api_error(
        429, _("Too many tries. Wait %(n)s seconds and try again.", n=seconds), code="rate_limited"
    )
    response.headers["Retry-After"] = str(seconds)
    return response, status


@bp.route("/tokens", methods=("POST",))
@access(PUBLIC)
@documented(body=TokenIn, response=TokenOut)
def create_token():
    """Exchange a phone number and password (and, for staff with a second factor, ``otp``) for a
    bearer token."""
    data = load_body(TokenIn())
    attempt = attempt_login(data["phone"], data["password"], otp=data.get("otp"), pages=False)
    db = get_session()
    if attempt.outcome == "wait":
        return _wait(attempt.retry_after)
    if attempt.outcome == "bad":
        return api_error(401, _("Phone number or password is not right."), code="invalid_credentials")
    if attempt.outcome == "enrol_needed":
        return api_error(
            403, _("Your account needs a second factor: set up an authenticator app on the web first."),
            code="mfa_enrolment_required",
            fields={"otp": [_("set up the authenticator app at /account/mfa first")]},
        )
    if attempt.outcome == "code_needed":
        db.commit()
        return api_error(
            401, _("Give the code of your authenticator app."), code="otp_required",
            fields={"otp": [_("This field is required.")]},
        )
    if attempt.outcome == "bad_code":
        db.commit()
        return api_error(
            401, _("This code is not right, or was already used."), code="invalid_otp",
            fields={"otp": [_("This code is not right, or was already used.")]},
        )
    user = attempt.user
    token, row = issue_token(user, now=utcnow(), label=data.get("label"))
    db.commit()
    return jsonify(TokenOut().dump({"token": token, "expires_at": row.expires_at, "role": user.role})), 201


def _page_of(rows: list, dump) -> dict:
    page, per_page = page_args()
    start = (page - 1) * per_page
    return {
        "items": [dump(r) for r in rows[start : start + per_page]],
        "page": page, "per_page": per_page, "total": len(rows),
    }


@bp.route("/tokens", methods=("GET",))
@access(*EVERYONE)
@documented(response=TokenListOut)
def list_tokens():
    """The caller's valid API tokens, newest first (never the tokens themselves)."""
    here = current_token()
    rows = credentials.tokens_of(get_session(), current_user, now=utcnow())
    body = _page_of(rows, lambda r: {
        "id": r.id, "label": r.label, "created_at": r.created_at, "expires_at": r.expires_at,
        "current": here is not None and r.id == here.id,
    })
    return jsonify(TokenListOut().dump(body))


@bp.route("/tokens/current", methods=("DELETE",))
@access(*EVERYONE)
def revoke_token():
    """Revoke the token this request carries."""
    row = current_token()
    row.revoked_at = utcnow()
    get_session().commit()
    return "", 204


@bp.route("/tokens/<int:token_id>", methods=("DELETE",))
@access(*EVERYONE)
def revoke_token_by_id(token_id: int):
    """Revoke one of the caller's own tokens (another's, or an unknown id: 404)."""
    db = get_session()
    if not credentials.revoke_token(db, current_user, token_id, now=utcnow()):
        return api_error(404, _("This page does not exist, or you may not see it."))
    record_security(current_user, "token_revoked", f"token={token_id}")
    db.commit()
    return "", 204


@bp.route("/sessions", methods=("GET",))
@access(*EVERYONE)
@documented(response=SessionListOut)
def list_sessions():
    """The caller's open browser sessions, newest first."""
    rows = credentials.sessions_of(
        get_session(), current_user, now=utcnow(),
        lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"],
    )
    body = _page_of(rows, lambda r: {"id": r.id, "label": r.label, "created_at": r.created_at})
    return jsonify(SessionListOut().dump(body))


@bp.route("/sessions/<int:session_id>", methods=("DELETE",))
@access(*EVERYONE)
def revoke_session(session_id: int):
    """End one of the caller's browser sessions (another's, or an unknown id: 404)."""
    db = get_session()
    if not credentials.revoke_session(db, current_user, session_id, now=utcnow()):
        return api_error(404, _("This page does not exist, or you may not see it."))
    record_security(current_user, "session_revoked", f"session={session_id}")
    db.commit()
    return "", 204
