"""GET /api/v1/openapi.json: the OpenAPI 3 description, generated, never written by hand.

``build_spec`` walks the app's URL map: every /api/v1 rule becomes an operation, described by
what the code already says about it:

- who may call it: the roles of ``@access`` (the bearer scheme, ``x-roles``, 401 and 403);
- its path parameters, from the rule (ids: 1 to MAX_ID, anything else is a 404);
- its body, success answer, query arguments and further errors, from ``@documented`` (the
  marshmallow schemas, through apispec); a body adds 400, 413 and 422, query arguments 422;
- lists (``paginated=True``): ``page`` / ``per_page`` and the ``{items, page, per_page, total}``
  envelope;
- OpenAPI links from an answer that gives an id (``provides``) to every operation whose path
  takes that id, which schemathesis' stateful phase follows.

Every error answer has the ``Error`` schema. A new route is documented by adding
``@documented(...)`` to its view; tests/test_openapi.py fails for a route without it.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify
from marshmallow import Schema

from ..data.types import MAX_ID
from ..http.access import ACCESS_ATTR, PUBLIC, access
from . import MAX_PER_PAGE, ApiDoc, bp, documented
from .schemas import ErrorOut, UTCField

_CACHE_KEY = "f0monitor.openapi"

ERROR_TEXT = {
    400: "The request could not be read: the body is not a JSON object (or not JSON), or the "
         "request holds NUL characters.",
    401: "No token, or a token that is not valid, expired or revoked.",
    403: "The caller's role may not do this.",
    404: "No such record, or one outside the caller's area (ids cannot be probed).",
    409: "Conflict with the current state (the error says which).",
    413: "The body is too large.",
    422: "A field is not valid: error.fields names each one.",
    429: "Too many requests: wait for Retry-After seconds.",
}
SUCCESS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}


def _path_of(rule) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
    return path


def operation_id(endpoint: str) -> str:
    """Return the operationId of an API endpoint ("api.staff_patient" -> "staff_patient")."""
    return endpoint.split(".", 1)[1]


def api_rules(app) -> list:
    """Return the URL rules of the JSON API, in a stable order."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")),
        key=lambda r: (r.rule, r.endpoint),
    )


class _Builder:
    def __init__(self) -> None:
        self.plugin = MarshmallowPlugin()
        self.spec = APISpec(
            title="f0monitor API",
            version=current_app.config["VERSION"],
            openapi_version="3.0.3",
            plugins=[self.plugin],
            info={
                "description": (
                    "The JSON API of f0monitor (shared/api.md is the contract). Authenticate "
                    "with POST /api/v1/tokens, then send `Authorization: Bearer <token>`; each "
                    "operation lists the roles that may call it (x-roles). Errors always have "
                    'the shape {"error": {"code", "message", "fields"}}. Lists are paginated '
                    "with ?page= and ?per_page= (at most 200). Messages follow Accept-Language "
                    "(vi by default, en). The FHIR R4 feed is under /fhir (see /fhir/metadata)."
                ),
            },
        )
        self.plugin.map_to_openapi_type(UTCField, "string", "date-time")
        self.spec.components.security_scheme(
            "bearer",
            {"type": "http", "scheme": "bearer",
             "description": "A token from POST /api/v1/tokens (random, stored hashed, revocable)."},
        )
        self.ref(ErrorOut, "Error")

    def ref(self, schema: type[Schema], name: str | None = None) -> dict[str, str]:
        name = name or schema.__name__.removesuffix("Schema")
        if name not in self.spec.components.schemas:
            self.spec.components.schema(name, schema=schema)
        return {"$ref": f"#/components/schemas/{name}"}

    def page_of(self, schema: type[Schema]) -> dict[str, str]:
        name = schema.__name__ + "Page"
        if name not in self.spec.components.schemas:
            self.spec.components.schema(
                name,
                {
                    "type": "object",
                    "required": ["items", "page", "per_page", "total"],
                    "properties": {
                        "items": {"type": "array", "items": self.ref(schema)},
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                        "total": {"type": "integer", "minimum": 0},
                    },
                },
            )
        return {"$ref": f"#/components/schemas/{name}"}

    def query_parameters(self, doc: ApiDoc) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = []
        if doc.query is not None:
            params += self.plugin.converter.schema2parameters(doc.query(), location="query")
        if doc.paginated:
            params += [
                {"name": "page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}},
            ]
        return params

    def operation(self, rule, method: str, view) -> dict[str, Any]:
        doc: ApiDoc = getattr(view, "openapi", None) or ApiDoc()
        roles = sorted(getattr(view, ACCESS_ATTR, ()))
        lines = (view.__doc__ or rule.endpoint).strip().splitlines()
        op: dict[str, Any] = {
            "operationId": operation_id(rule.endpoint),
            "summary": lines[0],
            "tags": [view.__module__.rsplit(".", 1)[-1]],
            "responses": {},
        }
        if len(lines) > 1:
            op["description"] = "\n".join(line.strip() for line in lines[1:]).strip()
        # 400: every request with NUL characters anywhere is refused (http plumbing).
        errors = {400, *doc.errors}
        if PUBLIC in roles:
            op["x-roles"] = ["anyone"]
            # No token needed; where one changes the answer (staff registering a caller) it is optional.
            op["security"] = [{}, {"bearer": []}] if doc.token_optional else []
        else:
            op["x-roles"] = roles
            op["security"] = [{"bearer": []}]
            op["description"] = ("Roles: " + ", ".join(roles) + ". " + op.get("description", "")).strip()
            errors |= {401, 403}
        params = [
            {"name": arg, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
            for arg in sorted(rule.arguments)
        ]
        if params:
            errors.add(404)
        query = self.query_parameters(doc)
        if query:
            errors.add(422)
        if params or query:
            op["parameters"] = params + query
        if doc.body is not None and method in ("post", "put", "patch"):
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self.ref(doc.body)}},
            }
            errors |= {400, 413, 422}
        for status in (doc.status, *doc.also):
            response: dict[str, Any] = {"description": SUCCESS_TEXT.get(status, "OK")}
            if status != 204:
                schema: dict[str, Any] = {"type": "object"} if doc.media.endswith("json") else {"type": "string"}
                if doc.response is not None:
                    schema = self.page_of(doc.response) if doc.paginated else self.ref(doc.response)
                response["content"] = {doc.media: {"schema": schema}}
                for media in doc.alternatives:
                    response["content"][media] = {"schema": {"type": "string"}}
            op["responses"][str(status)] = response
        for status in sorted(errors):
            schema = self.ref(doc.error_schemas[status]) if status in doc.error_schemas else self.ref(ErrorOut, "Error")
            response = {"description": ERROR_TEXT.get(status, "Error"),
                        "content": {"application/json": {"schema": schema}}}
            if status == 429:
                response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                       "description": "seconds to wait"}}
            if status == 401:
                response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
            op["responses"][str(status)] = response
        return op

    def link(self, paths: dict[str, dict[str, Any]], provided: dict[tuple[str, str], ApiDoc]) -> None:
        """Add OpenAPI links from answers that give an id to the operations that take it."""
        takers: dict[str, list[tuple[str, str]]] = {}
        for path, ops in paths.items():
            for method, op in ops.items():
                for param in op.get("parameters", []):
                    if param["in"] == "path":
                        takers.setdefault(param["name"], []).append((path, method))
        for (path, method), doc in provided.items():
            op = paths[path][method]
            links: dict[str, Any] = {}
            for name, pointer in sorted(doc.provides.items()):
                for target_path, target_method in sorted(takers.get(name, [])):
                    target = paths[target_path][target_method]
                    others = [p["name"] for p in target.get("parameters", [])
                              if p["in"] == "path" and p["name"] != name]
                    if others:
                        continue  # an operation needing a second id is not reachable from one
                    links[f"{name}_to_{target['operationId']}"] = {
                        "operationId": target["operationId"],
                        "parameters": {f"path.{name}": f"$response.body#{pointer}"},
                    }
            if links:
                for status in (doc.status, *doc.also):
                    op["responses"][str(status)]["links"] = links

    def build(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        provided: dict[tuple[str, str], ApiDoc] = {}
        for rule in api_rules(current_app):
            view = current_app.view_functions[rule.endpoint]
            for method in sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}):
                path = _path_of(rule)
                paths.setdefault(path, {})[method] = self.operation(rule, method, view)
                doc = getattr(view, "openapi", None)
                if doc is not None and doc.provides:
                    provided[(path, method)] = doc
        self.link(paths, provided)
        for path, ops in paths.items():
            self.spec.path(path=path, operations=ops)
        return self.spec.to_dict()


def build_spec() -> dict[str, Any]:
    """Return the OpenAPI 3 description of every /api/v1 route of the running app."""
    return _Builder().build()


def cached_spec() -> dict[str, Any]:
    """Return the description, built once per app."""
    if _CACHE_KEY not in current_app.extensions:
        current_app.extensions[_CACHE_KEY] = build_spec()
    return current_app.extensions[_CACHE_KEY]


@bp.route("/openapi.json")
@access(PUBLIC)
@documented()  # the description itself: a JSON object
def openapi():
    """Return the OpenAPI 3 description of this API."""
    return jsonify(cached_spec())
