"""GET /api/v1/openapi.json, generated from the marshmallow schemas and the URL map."""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from .. import __version__, schemas
from ..access import PUBLIC, access
from . import bp

_BODIES = {
    "api.create_token": ("TokenIn", "TokenOut"),
    "api.assess": ("AssessIn", "AssessmentOut"),
    "api.create_patient": ("RegistrationIn", "PatientOut"),
    "api.create_own_report": ("ReportIn", "ReportOut"),
    "api.me": (None, "MeOut"),
}


@cache
def _spec_for(rules: tuple[tuple[str, str, tuple[str, ...], str], ...]) -> dict:
    spec = APISpec(
        title="f0monitor API",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "JSON API of f0monitor (see shared/api.md)."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in sorted({n for pair in _BODIES.values() for n in pair if n}):
        spec.components.schema(name, schema=getattr(schemas, name))
    paths: dict[str, dict] = {}
    for path, endpoint, methods, doc in rules:
        body, out = _BODIES.get(endpoint, (None, None))
        for method in methods:
            op: dict = {"summary": doc, "responses": {"200": {"description": "OK"}}}
            if body and method in ("post", "put", "patch"):
                op["requestBody"] = {
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}
                }
            if out:
                op["responses"] = {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{out}"}}},
                    }
                }
            paths.setdefault(path, {})[method] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


@bp.route("/openapi.json")
@access(PUBLIC)
def openapi():
    """Return the OpenAPI 3 description of this API."""
    rules = []
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else rule.endpoint
        methods = tuple(sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}))
        rules.append((path, rule.endpoint, methods, doc))
    return jsonify(_spec_for(tuple(sorted(rules))))
