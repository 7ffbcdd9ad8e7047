"""POST /api/v1/tokens and DELETE /api/v1/tokens/current."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import PUBLIC, access
from ..http.auth import authenticate, current_token, issue_token, login_limits
from ..http.errors import api_error
from . import bp, documented, load_body
from .schemas import TokenIn, TokenOut


@bp.route("/tokens", methods=("POST",))
@access(PUBLIC)
@login_limits
@documented(TokenIn, TokenOut, status=201, errors=(401, 429))
def create_token():
    """Exchange a phone number and password for a bearer token."""
    data = load_body(TokenIn())
    user = authenticate(data["phone"], data["password"])
    if user is None:
        return api_error(401, _("Phone number or password is not right."), code="invalid_credentials")
    now = utcnow()
    token, row = issue_token(user, now=now)
    get_session().commit()
    return jsonify(TokenOut().dump({"token": token, "expires_at": row.expires_at, "role": user.role})), 201


@bp.route("/tokens/current", methods=("DELETE",))
@access("patient", "volunteer", "doctor", "coordinator", "department", "admin", "integration")
@documented(status=204)
def revoke_token():
    """Revoke the token this request carries."""
    row = current_token()
    row.revoked_at = utcnow()
    get_session().commit()
    return "", 204
