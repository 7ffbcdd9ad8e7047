"""App-wide plumbing for pages: security headers, compression, plotly.js, area lookups."""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from ...data.types import MAX_ID
from ...extensions import compress
from ...http.access import PUBLIC, access
from ...services import areas

bp = Blueprint("web", __name__)


def full_plotly_path() -> Path:
    """Return the full plotly.js bundle shipped inside the installed plotly package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def bundled_plotly_version() -> str:
    """Return the plotly.js version the installed plotly package ships (e.g. "4.1.1")."""
    head = full_plotly_path().read_text(encoding="utf-8", errors="replace")[:400]
    match = re.search(r"plotly\.js v([0-9][0-9.]*)", head)
    return match.group(1) if match else ""


@cache
def _plotly_bundle(static_folder: str) -> tuple[bytes, bytes, str]:
    """Return plotly.js, gzipped once, and its ETag.

    The basic bundle (scatter and bar charts: all we draw, a quarter of the bytes) is used when
    the build step put it in static/vendor/ (`make` fetches the version matching the plotly
    package from the npm registry); otherwise the full bundle of the plotly package.
    """
    basic = Path(static_folder) / "vendor" / "plotly-basic.min.js"
    raw = basic.read_bytes() if basic.is_file() else full_plotly_path().read_bytes()
    return raw, gzip.compress(raw, compresslevel=9), hashlib.sha256(raw).hexdigest()[:16]


@cache
def _asset_hash(filename: str) -> str:
    from flask import current_app

    path = Path(current_app.static_folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """Return a static file's URL with a content hash, so a new release is never stale."""
    return url_for("static", filename=filename, v=_asset_hash(filename))


def plotly_url() -> str:
    """Return the versioned URL of plotly.js, so browsers cache it for a year."""
    from flask import current_app

    return url_for("web.plotly_js", v=_plotly_bundle(current_app.static_folder)[2])


@bp.route("/assets/plotly.min.js")
@access(PUBLIC)
def plotly_js():
    """Serve plotly.js from the installed package: never from a CDN, gzipped and cached."""
    from flask import current_app

    raw, gz, etag = _plotly_bundle(current_app.static_folder)
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
        from ..auth import home_for

        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


def _refuse_nul_bytes() -> None:
    """Refuse NUL characters anywhere in a request: PostgreSQL cannot store them in text."""
    if "\x00" in request.full_path or "%00" in request.full_path:
        abort(400)
    if request.content_length and request.mimetype in (
        "application/json", "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        body = request.get_data(cache=True)
        if b"\x00" in body or b"%00" in body or b"\\u0000" in body:
            abort(400)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    )
    if response.mimetype == "text/html":
        # Pages hold personal health data: never keep them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class IdConverter(IntegerConverter):
    """`<int:…>` in our URLs: an id no database column can hold is simply not found (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's argument name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


MAX_COMPRESSED_STATIC = 2 * 1024 * 1024


def _static_in_memory(response):
    """Hand a text static file (CSS, JS, SVG, JSON) to Flask-Compress as bytes, not a stream.

    Flask-Compress skips streamed responses (``COMPRESS_STREAMS`` is off: it would leave the
    file open), and send_file streams. Our static text files are small, so they are read
    here and the file is closed with the response; Flask-Compress then gzips or brotlis them.
    """
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
        and (response.content_length or 0) <= MAX_COMPRESSED_STATIC
    ):
        stream = response.response
        try:
            data = b"".join(stream)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        response.direct_passthrough = False
        response.set_data(data)
    return response


def init_app(app: Flask) -> None:
    """Register compression, headers and the plumbing routes."""
    app.url_map.converters["int"] = IdConverter  # before any route is added
    compress.init_app(app)
    app.after_request(_static_in_memory)  # runs before Flask-Compress's hook (reverse order)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_security_headers)
    app.register_blueprint(bp)
    app.jinja_env.globals["plotly_url"] = plotly_url
    app.jinja_env.globals["asset_url"] = asset_url
    from ...domain.vitals import VITALS
    from ...http import labels

    app.jinja_env.globals["severity_labels"] = labels.SEVERITY_LABELS
    app.jinja_env.globals["news2_band_labels"] = labels.NEWS2_BAND_LABELS
    app.jinja_env.globals["vital_labels"] = labels.VITAL_LABELS
    app.jinja_env.globals["vitals"] = VITALS
    app.jinja_env.globals["symptom_labels"] = labels.SYMPTOM_LABELS
    app.jinja_env.globals["checkbox_symptom_labels"] = labels.CHECKBOX_SYMPTOM_LABELS
    app.jinja_env.globals["comorbidity_labels"] = labels.COMORBIDITY_LABELS
    app.jinja_env.globals["reason_text"] = labels.reason_text
