"""The JSON API at /api/v1 (../shared/api.md): bearer tokens, one error shape, no cookies.

The blueprint and the shared request helpers live here; ``schemas`` (marshmallow, fields
derived from the vital-sign spec), ``serialize`` (rows to JSON), ``openapi`` and one module
per group of endpoints (``tokens``, ``patients``, ``me``, ``staff``, ``transfers``,
``department``, ``calculator``).

May import: Flask and its extensions, marshmallow, the domain, data, services and http.
Never web (pages and API are independent siblings: the ``web-api`` import-linter
contract) and never cli. Views translate a service's outcome into JSON and commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

from ..domain.text import N_
from ..extensions import csrf
from ..http.errors import api_error
from ..services.inputs import MAX_PAGE
from ..services.scope import OutOfScope

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate the API (the session loader ignores /api/), so a
# forged cross-site request carries no credentials: CSRF tokens are not needed here.
csrf.exempt(bp)

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ApiDoc:
    """What a view tells the OpenAPI description (``openapi.build_spec``) beyond its route.

    Who may call it comes from ``@access``, path parameters from the route; the error answers
    that follow from those (401/403 for a token route, 404 for an id in the path, 400/413/422
    for a body, 422 for query arguments) are added by the builder. A view names only what the
    builder cannot know.
    """

    body: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses with the same body (a retry: 200)
    errors: tuple[int, ...] = ()  # further error statuses the view itself answers (409, 429...)
    query: type[Schema] | None = None
    paginated: bool = False
    # Ids the success body gives, for the operations that take them in their path: {"patient_id":
    # "/id"} links this answer to GET /patients/{patient_id} and the rest (OpenAPI links).
    provides: dict[str, str] = field(default_factory=dict)
    media: str = "application/json"
    alternatives: tuple[str, ...] = ()  # other media types of the success answer (text/csv)
    error_schemas: dict[int, type[Schema]] = field(default_factory=dict)
    token_optional: bool = False  # a public route whose answer depends on a token if sent


def documented(
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    **details: Any,
):
    """Describe a view for the generated OpenAPI description (see ``ApiDoc`` for the names).

    Every /api/v1 view carries it (tests/test_openapi.py fails otherwise), e.g.
    ``@documented(ReportIn, SubmissionOut, status=201, also=(200,), errors=(409,))``.
    """
    doc = ApiDoc(body=body, response=response, **details)

    def decorate(view):
        view.openapi = doc
        return view

    return decorate


class BadBody(Exception):
    """The body is not a JSON object."""


def load_body(schema: Schema) -> Any:
    """Parse the JSON body with a schema.

    :raise BadBody: when the body is not JSON; marshmallow's ValidationError when invalid.
    """
    if not request.is_json:
        raise BadBody(_("Send JSON with Content-Type: application/json."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadBody(_("The body must be a JSON object."))
    return schema.load(body)


def page_args() -> tuple[int, int]:
    """Return (page, per_page) from the query string, within bounds."""
    try:
        page = min(MAX_PAGE, max(1, int(request.args.get("page", 1))))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", 50))))
    except ValueError:
        raise ValidationError({"page": [_("must be a whole number")]}) from None
    return page, per_page


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return api_error(422, _("Some fields are not valid."), fields=_flatten(messages))


@bp.errorhandler(OutOfScope)
def _out_of_scope(_exc: OutOfScope):
    # Outside the caller's area looks exactly like "does not exist", so ids cannot be probed.
    return api_error(404, _("This page does not exist, or you may not see it."))


@bp.errorhandler(BadBody)
def _bad_body(exc: BadBody):
    return api_error(400, str(exc), code="bad_request")


def _flatten(messages: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """Turn nested marshmallow messages into {"report.spo2": [...]}."""
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[name] = [_translate_marshmallow(v) for v in value]
        else:
            out[name] = [str(value)]
    return out


_MARSHMALLOW_TEXTS = {
    "Missing data for required field.": N_("This field is required."),
    "Unknown field.": N_("Unknown field."),
    "Not a valid number.": N_("Not a valid number."),
    "Not a valid integer.": N_("Not a valid integer."),
    "Not a valid date.": N_("Not a valid date."),
    "Not a valid boolean.": N_("Not a valid boolean."),
    "Not a valid string.": N_("Not a valid string."),
    "Not a valid list.": N_("Not a valid list."),
    "Not a valid mapping type.": N_("Not a valid mapping type."),
    "Field may not be null.": N_("Field may not be null."),
    "Not a valid datetime.": N_("Not a valid datetime."),
    "Invalid input type.": N_("Invalid input."),
    "Invalid input.": N_("Invalid input."),
    "Invalid value.": N_("Invalid input."),
    "Special numeric values (nan or infinity) are not permitted.": N_("Not a valid number."),
}
# marshmallow's messages with numbers in them: (pattern, message id with the same names)
_MARSHMALLOW_PATTERNS = (
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     N_("must be %(min)s to %(max)s characters long")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), N_("at least %(min)s characters")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), N_("at most %(max)s characters")),
    (re.compile(r"^Must be greater than or equal to (?P<low>[-\d.]+) and less than or equal to (?P<high>[-\d.]+)\.$"),
     N_("must be between %(low)s and %(high)s")),
    (re.compile(r"^Must be greater than or equal to (?P<min>[-\d.]+)\.$"), N_("must be at least %(min)s")),
    (re.compile(r"^Must be less than or equal to (?P<max>[-\d.]+)\.$"), N_("must be at most %(max)s")),
    (re.compile(r"^Must be one of: (?P<values>.*?)\.?$"), N_("must be one of: %(values)s")),
)


def _translate_marshmallow(text: str) -> str:
    """Return a marshmallow message in the reader's language (never English in vi).

    Our own messages (already rendered by ``http.labels``) pass unchanged; marshmallow's are
    looked up in the tables above; any other marshmallow text becomes "Invalid input.".
    """
    if text in _MARSHMALLOW_TEXTS:
        return _(_MARSHMALLOW_TEXTS[text])
    for pattern, message in _MARSHMALLOW_PATTERNS:
        match = pattern.match(text)
        if match:
            return _(message, **match.groupdict())
    if _looks_like_marshmallow(text):
        return _("Invalid input.")
    return text


def _looks_like_marshmallow(text: str) -> bool:
    """marshmallow's own texts start with a capital and end with a full stop, in English."""
    return text.isascii() and text[:1].isupper() and text.endswith(".")


# The modules add their routes to bp.
from . import (  # noqa: E402,F401
    calculator,
    calls,
    department,
    docs,
    facilities,
    hooks,
    me,
    openapi,
    patients,
    privacy,
    reach,
    staff,
    tokens,
    transfers,
)
