"""Transport security: Strict-Transport-Security on every response outside debug.

The README asks for TLS at a proxy in front of the app; HSTS then tells browsers never to
reach the site over plain http again (ASVS V9.1.1). ``HSTS_SECONDS`` sets the max-age
(0 switches the header off, e.g. for an install that is reached over http on a closed
network); ``HSTS_INCLUDE_SUBDOMAINS`` adds includeSubDomains. Debug mode (a developer's
plain-http server) never sends it, so a browser does not learn to refuse localhost.
"""

from __future__ import annotations

from flask import Flask, Response, current_app


def hsts_value(app: Flask) -> str | None:
    """Return the header's value for the app's settings, or None when it is off."""
    seconds = int(app.config.get("HSTS_SECONDS") or 0)
    if app.debug or seconds <= 0:
        return None
    value = f"max-age={seconds}"
    if app.config.get("HSTS_INCLUDE_SUBDOMAINS"):
        value += "; includeSubDomains"
    return value


def _add_hsts(response: Response) -> Response:
    value = hsts_value(current_app)
    if value:
        response.headers.setdefault("Strict-Transport-Security", value)
    return response


def init_app(app: Flask) -> None:
    """Send HSTS on every response (pages, API, static files, errors)."""
    app.after_request(_add_hsts)
