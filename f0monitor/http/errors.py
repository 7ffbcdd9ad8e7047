"""Error pages and JSON errors: a clear message, never a stack trace, never a 500 for input."""

from __future__ import annotations

import logging
import traceback

import sqlalchemy.exc as sa_exc
from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..data.session import get_session

log = logging.getLogger(__name__)

# The database is down, restarting, or out of connections: the client should retry (503).
UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    sa_exc.PendingRollbackError,
)

API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def api_error(status: int, message: str, *, code: str | None = None, fields=None, **extra):
    """Return the API's error shape with a status."""
    body = {"error": {"code": code or API_CODES.get(status, "error"), "message": message}}
    if fields:
        body["error"]["fields"] = fields
    body["error"].update(extra)
    return jsonify(body), status


FHIR_JSON = "application/fhir+json"
# HTTP status -> FHIR OperationOutcome issue type (https://hl7.org/fhir/R4/valueset-issue-type.html).
FHIR_ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    413: "too-costly",
    422: "processing",
    429: "throttled",
    500: "exception",
}


def fhir_error(status: int, message: str):
    """Return a FHIR OperationOutcome with a status (the error shape under /fhir)."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": FHIR_ISSUE_TYPES.get(status, "processing"),
                "diagnostics": message,
            }
        ],
    }
    response = jsonify(body)
    response.mimetype = FHIR_JSON
    return response, status


def _fhir_path() -> bool:
    return request.path == "/fhir" or request.path.startswith("/fhir/")


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Please log in."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist, or you may not see it."),
        405: _("This action is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("What you sent is too large."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Please try again; if it happens again, call your health station."),
        503: _("The service is busy or restarting. Please wait a moment and try again."),
    }


def _handle_http(exc: HTTPException):
    status = exc.code or 500
    message = _messages().get(status, exc.description or "")
    if isinstance(exc, CSRFError):
        message = _("Your form has expired. Please send it again.")
    if request.path.startswith("/api/") or _fhir_path():
        response, status = (fhir_error if _fhir_path() else api_error)(status, message)
        if status == 429:
            retry = getattr(exc, "retry_after", None)
            response.headers["Retry-After"] = str(int(retry or 60))
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="f0monitor"'
        return response, status
    response = render_template("errors/error.html", status=status, message=message)
    return response, status


def _discard_session() -> None:
    """Roll the request's transaction back without ever raising.

    On a dead connection (the database restarting) ``rollback()`` itself raises; the session
    is then invalidated (its connections dropped from the pool, which pre-ping refills) and
    closed, so the error page never fails on it.
    """
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 — any failure here must not hide the first error
        try:
            session.invalidate()
        except Exception:  # noqa: BLE001
            log.debug("could not invalidate the session", exc_info=True)
    g.pop("db_session", None)


def _unavailable(exc: Exception):
    """Answer 503 with Retry-After: the database cannot be reached right now."""
    log.warning("database unavailable: %s", type(exc).__name__)
    _discard_session()
    # The page must not touch the database again: the signed-in user (whose attributes the
    # rollback expired) is replaced by an anonymous one for the rendering.
    g._login_user = AnonymousUserMixin()
    retry = str(current_app.config.get("DB_RETRY_AFTER", 5))
    g.unavailable_retry_after = retry
    message = _messages()[503]
    if request.path.startswith("/api/"):
        response, status = api_error(503, message)
    else:
        response, status = render_template("errors/error.html", status=503, message=message), 503
    return response, status, {"Retry-After": retry, "Cache-Control": "no-store"}


def _database_error(exc: BaseException | None) -> BaseException | None:
    """Return the database outage behind an exception (itself, or its cause), if any."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, UNAVAILABLE):
            return exc
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _handle_500(exc: Exception):
    original = exc.original_exception if isinstance(exc, InternalServerError) else exc
    if _database_error(original) is not None:
        return _unavailable(original)
    _discard_session()
    if _fhir_path():
        return fhir_error(500, _messages()[500])
    if request.path.startswith("/api/"):
        return api_error(500, _messages()[500])
    return render_template("errors/error.html", status=500, message=_messages()[500]), 500


class RedactDatabaseErrors(logging.Filter):
    """Keep the values of a database error out of the logs.

    SQLAlchemy hides the bound parameters (``hide_parameters``), but the server's own message
    does not: PostgreSQL's DETAIL repeats the failing row or key ("Key (phone)=(+8491…)"). A
    logged database error is reduced to its type, SQLSTATE and statement, and its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, sa_exc.DBAPIError):
            code = getattr(getattr(exc, "orig", None), "sqlstate", None) or "?"
            statement = (exc.statement or "").split("\n")[0][:300]
            record.msg = f"{record.getMessage()} [{type(exc).__name__} SQLSTATE {code}: {statement}]"
            record.args = ()
            # The traceback without the message: frames only, no values.
            tb = exc.__traceback__
            record.exc_info = None
            record.exc_text = "".join(traceback.format_tb(tb)) if tb else None
        return True


def _keep_retry_after(response):
    """Put back the 503's Retry-After, which the rate limiter's headers would overwrite."""
    retry = g.get("unavailable_retry_after")
    if retry is not None and response.status_code == 503:
        response.headers["Retry-After"] = retry
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    # After-request functions run last-registered first: this one, first in the list, runs last.
    app.after_request_funcs.setdefault(None, []).insert(0, _keep_retry_after)
    app.logger.addFilter(RedactDatabaseErrors())
    app.register_error_handler(HTTPException, _handle_http)
    for kind in UNAVAILABLE:
        app.register_error_handler(kind, _unavailable)
    app.register_error_handler(500, _handle_500)
    _ = get_session  # the handlers roll back through the request's session
