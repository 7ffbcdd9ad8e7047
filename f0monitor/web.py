"""App-wide plumbing for pages: security headers, compression, plotly.js, area lookups."""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, jsonify, redirect, request, url_for
from flask_login import current_user

from . import areas
from .access import PUBLIC, access
from .extensions import compress

bp = Blueprint("web", __name__)


@cache
def _plotly_bundle() -> tuple[bytes, bytes, str]:
    """Return plotly.min.js from the installed plotly package, gzipped once, and its ETag."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9), hashlib.sha256(raw).hexdigest()[:16]


def plotly_url() -> str:
    """Return the versioned URL of plotly.js, so browsers cache it for a year."""
    return url_for("web.plotly_js", v=_plotly_bundle()[2])


@bp.route("/assets/plotly.min.js")
@access(PUBLIC)
def plotly_js():
    """Serve plotly.js from the installed package: never from a CDN, gzipped and cached."""
    raw, gz, etag = _plotly_bundle()
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(gz if gzip_ok else raw, mimetype="text/javascript")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.direct_passthrough = True
    return response


@bp.route("/areas/<int:province_code>/wards")
@access(PUBLIC)
def wards(province_code: int):
    """Return the wards of a province as JSON, for the registration form's ward list."""
    if not areas.is_province(province_code):
        abort(404)
    response = jsonify([{"code": c, "name": n} for c, n in areas.wards(province_code)])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/")
@access(PUBLIC)
def index():
    """Send people to their page: patients home, staff to the queue, others to log in."""
    if current_user.is_authenticated:
        from .auth import home_for

        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-eval'; frame-ancestors 'none'; form-action 'self'",
    )
    if response.mimetype == "text/html":
        # Pages hold personal health data: never keep them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Register compression, headers and the plumbing routes."""
    compress.init_app(app)
    app.after_request(_security_headers)
    app.register_blueprint(bp)
    app.jinja_env.globals["plotly_url"] = plotly_url
    from .forms import COMORBIDITY_LABELS, SYMPTOM_LABELS

    app.jinja_env.globals["symptom_labels"] = SYMPTOM_LABELS
    app.jinja_env.globals["comorbidity_labels"] = COMORBIDITY_LABELS
