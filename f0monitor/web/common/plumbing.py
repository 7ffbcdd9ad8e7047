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

    path = Path(current_app.static_folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """Return a static file's URL with a content hash, so a new release is never stale."""
    return url_for("static", filename=filename, v=_asset_hash(filename))


def plotly_url() -> str:
    """Return the versioned URL of plotly.js, so browsers cache it for a year."""

    return url_for("web.plotly_js", v=_plotly_bundle(current_app.static_folder)[2])


@bp.route("/assets/plotly.min.js")
@access(PUBLIC)
def plotly_js():
    """Serve plotly.js from the installed package: never from a CDN, gzipped and cached."""

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


# Text types sent compressed: pages and JSON through Flask-Compress, static files here.
TEXT_MIMETYPES = (
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "text/csv",
    "text/plain",
)


@cache
def _static_bytes(folder: str, filename: str, mtime_ns: int) -> tuple[bytes, bytes | None, bytes | None, str]:
    """Return a static file, its brotli and gzip forms (text types only) and its ETag."""
    import mimetypes

    raw = (Path(folder) / filename).read_bytes()
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    br = gz = None
    if mimetype in TEXT_MIMETYPES or filename.endswith(".webmanifest"):
        gz = gzip.compress(raw, compresslevel=9, mtime=0)
        try:
            import brotli

            br = brotli.compress(raw, quality=11)
        except ImportError:  # brotli is optional: gzip is enough
            br = None
    return raw, br, gz, hashlib.sha256(raw).hexdigest()[:16] + f"-{mtime_ns}"


def compressed_response(raw: bytes, br: bytes | None, gz: bytes | None, etag: str, mimetype: str) -> Response:
    """Return bytes compressed as the browser accepts (brotli, gzip or plain), with an ETag."""
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    accepted = request.headers.get("Accept-Encoding", "")
    body, encoding = raw, None
    if br is not None and "br" in accepted:
        body, encoding = br, "br"
    elif gz is not None and "gzip" in accepted:
        body, encoding = gz, "gzip"
    response = Response(body, mimetype=mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if br is not None or gz is not None:
        response.headers["Vary"] = "Accept-Encoding"
    response.headers["ETag"] = f'"{etag}"'
    response.direct_passthrough = True  # already compressed: Flask-Compress leaves it alone
    return response


def static_file(filename: str):
    """Serve a static file compressed once in memory (Flask's own view streams it unzipped).

    A URL with ``?v=`` (``asset_url``) names one version of the file: cached for a year.
    """
    import mimetypes

    from werkzeug.security import safe_join

    folder = current_app.static_folder
    path = safe_join(folder, filename)
    if path is None or not Path(path).is_file():
        abort(404)
    rel = str(Path(path).relative_to(folder))
    raw, br, gz, etag = _static_bytes(folder, rel, Path(path).stat().st_mtime_ns)
    mimetype = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    if rel.endswith(".webmanifest"):
        mimetype = "application/manifest+json"
    response = compressed_response(raw, br, gz, etag, mimetype)
    if request.args.get("v"):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response


@bp.route("/sw.js")
@access(PUBLIC)
def service_worker():
    """The service worker (static/js/sw.js), served from the root so it may serve every page."""

    folder = current_app.static_folder
    path = Path(folder) / "js" / "sw.js"
    raw, br, gz, etag = _static_bytes(folder, "js/sw.js", path.stat().st_mtime_ns)
    response = compressed_response(raw, br, gz, etag, "text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a new release is picked up at once
    response.headers["Service-Worker-Allowed"] = "/"
    return response


ICON_SIZES = (192, 512)


@bp.route("/manifest.webmanifest")
@access(PUBLIC)
def manifest():
    """The web app manifest: "Add to home screen" gives an app that opens the patient's home."""
    import json

    from flask_babel import gettext as _

    from ...http.i18n import current_lang

    body = {
        "name": _("f0monitor – COVID-19 care at home"),
        "short_name": _("F0 at home"),
        "description": _("Report your health twice a day and see what to do, even on a weak network."),
        "lang": current_lang(),
        "dir": "ltr",
        "start_url": "/home",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            *(
                {"src": asset_url(f"icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png", "purpose": "any"}
                for n in ICON_SIZES
            ),
            {"src": asset_url("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Register compression, headers and the plumbing routes."""
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.setdefault("COMPRESS_MIMETYPES", list(TEXT_MIMETYPES))
    compress.init_app(app)
    app.view_functions["static"] = static_file
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
