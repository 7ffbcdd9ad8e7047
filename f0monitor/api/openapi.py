"""GET /api/v1/openapi.json, generated from the URL map and the schemas each view declares."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from ..http.access import ACCESS_ATTR, PUBLIC, access
from . import bp

_CACHE_KEY = "f0monitor.openapi"


def _path_of(rule) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
    return path


def build_spec() -> dict:
    """Return the OpenAPI 3 description of every /api/v1 route of the running app."""
    spec = APISpec(
        title="f0monitor API",
        version=current_app.config["VERSION"],
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "JSON API of f0monitor (see shared/api.md). Errors: "
                             '{"error": {"code", "message", "fields"}}.'},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})

    def ref(schema) -> dict:
        name = schema.__name__
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
        return {"$ref": f"#/components/schemas/{name}"}

    paths: dict[str, dict] = {}
    rules = sorted(current_app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    for rule in rules:
        if not rule.endpoint.startswith("api."):
            continue
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        declared = getattr(view, "openapi", {})
        roles = sorted(getattr(view, ACCESS_ATTR, ()))
        for method in sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}):
            op: dict = {"summary": doc, "responses": {"200": {"description": "OK"}}}
            if PUBLIC not in roles:
                op["security"] = [{"bearer": []}]
                op["description"] = "Roles: " + ", ".join(roles)
            if declared.get("body") and method in ("post", "put", "patch"):
                op["requestBody"] = {"content": {"application/json": {"schema": ref(declared["body"])}}}
            if declared.get("response"):
                op["responses"]["200"]["content"] = {
                    "application/json": {"schema": ref(declared["response"])}
                }
            params = [
                {"name": arg, "in": "path", "required": True, "schema": {"type": "integer"}}
                for arg in sorted(rule.arguments)
            ]
            if params:
                op["parameters"] = params
            paths.setdefault(_path_of(rule), {})[method] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


@bp.route("/openapi.json")
@access(PUBLIC)
def openapi():
    """Return the OpenAPI 3 description of this API."""
    if _CACHE_KEY not in current_app.extensions:
        current_app.extensions[_CACHE_KEY] = build_spec()
    return jsonify(current_app.extensions[_CACHE_KEY])
