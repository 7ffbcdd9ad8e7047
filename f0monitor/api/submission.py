"""The JSON answer to a submitted report, the same for every report route of the API."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

from ..http.errors import api_error
from ..http.labels import render_fields
from ..services.reports import Outcome, Submitted, already_submitted
from . import BadBody, load_body
from .serialize import assessment_dict, report_dict


def report_body_or_retry(session: Any, patient: Any, key: str | None, schema: Schema) -> tuple[Any, Submitted | None]:
    """Read a report body; one that does not pass is first checked as a retry of its key.

    A retry is answered with the first result even if its body no longer passes; a body that
    passes goes straight to `submit_report`, whose INSERT is also the idempotency check (no
    look-up of the key before it).
    """
    try:
        return load_body(schema), None
    except (ValidationError, BadBody):
        answered = already_submitted(session, patient, key)
        if answered is None:
            raise
        return None, answered


def submission_response(outcome: Submitted):
    """Translate an outcome: 201 stored, 200 duplicate (the first result again), 409 ended."""
    if outcome.status == Outcome.ENDED:
        return api_error(409, _("Home treatment has ended; reports are closed."), code="not_active")
    if outcome.status == Outcome.REFUSED:
        return api_error(
            422, _("Some fields are not valid."), code="validation_error", fields=render_fields(outcome.errors)
        )
    body = {"report": report_dict(outcome.report), "assessment": assessment_dict(outcome.assessment)}
    return jsonify(body), 201 if outcome.status == Outcome.STORED else 200
