"""GET /api/v1/docs: the OpenAPI description for people, rendered by Swagger UI.

Swagger UI comes from the npm registry (``make assets`` puts swagger-ui-dist into
static/vendor/swagger-ui/) and is served by the app itself, never from a CDN: hospital
intranets are often offline. Without it the page lists every operation from the same
description, server-rendered, and says how to get the viewer.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template

from ..http.access import PUBLIC, access
from . import bp, documented
from .openapi import cached_spec

SWAGGER_UI = "vendor/swagger-ui"
METHODS = ("get", "post", "put", "patch", "delete")


def viewer_installed() -> bool:
    """Tell whether Swagger UI is in static/vendor (``make assets``)."""
    folder = Path(current_app.static_folder or "") / SWAGGER_UI
    return (folder / "swagger-ui-bundle.js").is_file() and (folder / "swagger-ui.css").is_file()


@bp.route("/docs", methods=("GET",))
@access(PUBLIC)
@documented(media="text/html")
def docs():
    """Read the API description in a browser (Swagger UI served by the app)."""
    spec = cached_spec()
    operations = [
        (method.upper(), path, op)
        for path, ops in sorted(spec["paths"].items())
        for method, op in ops.items()
        if method in METHODS
    ]
    return render_template(
        "api/docs.html", viewer=viewer_installed(), swagger=SWAGGER_UI, spec=spec,
        operations=operations,
    )
