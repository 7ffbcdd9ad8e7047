"""Render the domain's reasons through http/labels.py outside a test client (Babel needs a request)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from functools import cache
from typing import Any

from flask import Flask
from flask_babel import force_locale

from f0monitor import create_app
from f0monitor.domain import covid as risk
from f0monitor.domain.covid import Assessment, Reason
from f0monitor.http import labels

# The codes the rules can give: the code table of the rule set's docstring, one row per code.
DOMAIN_CODES = frozenset(
    re.findall(r"^([A-Z][A-Z0-9_]*)\s+(?:red|orange|yellow|green|-)\s", risk.__doc__ or "", re.M)
)


@cache
def _app() -> Flask:
    """An app for rendering only: nothing here touches its database."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://"},
        instance_path=tempfile.mkdtemp(prefix="f0-labels-"),
    )


def text(reason: Reason, lang: str = "vi") -> str:
    """Return a reason's text in a language, as pages and the API show it."""
    with _app().test_request_context("/"), force_locale(lang):
        return labels.reason_text(reason)


def assessment_body(result: Assessment, lang: str = "vi") -> dict[str, Any]:
    """Return the /api/v1/assess body of a verdict in a language."""
    with _app().test_request_context("/"), force_locale(lang):
        return labels.assessment_dict(result)


def stored_rows(rows: Sequence[dict[str, Any]] | None, lang: str = "vi") -> list[dict[str, str]]:
    """Return stored reason rows {code, params} as {code, message} in a language."""
    with _app().test_request_context("/"), force_locale(lang):
        return labels.render_reasons(rows)
