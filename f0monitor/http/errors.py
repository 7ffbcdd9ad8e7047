"""Error pages and JSON errors: a clear message, never a stack trace, never a 500 for input."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..data.session import get_session

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


def _handle_500(exc: Exception):
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    if _fhir_path():
        return fhir_error(500, _messages()[500])
    if request.path.startswith("/api/"):
        return api_error(500, _messages()[500])
    return render_template("errors/error.html", status=500, message=_messages()[500]), 500


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(500, _handle_500)
    _ = get_session  # the handlers roll back through the request's session
