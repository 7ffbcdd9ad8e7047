"""The JSON answer to a submitted report, the same for every report route of the API."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from ..http.errors import api_error
from ..services.reports import Outcome, Submitted
from .serialize import assessment_dict, report_dict


def submission_response(outcome: Submitted):
    """Translate an outcome: 201 stored, 200 duplicate (the first result again), 409 ended."""
    if outcome.status == Outcome.ENDED:
        return api_error(409, _("Home treatment has ended; reports are closed."), code="not_active")
    body = {"report": report_dict(outcome.report), "assessment": assessment_dict(outcome.assessment)}
    return jsonify(body), 201 if outcome.status == Outcome.STORED else 200


def reported_before_birth(patient, data) -> bool:
    """Tell whether a report is dated before the patient was born (which the rules cannot score).

    A guard against a server error found by schemathesis (age_on refuses such a date); the
    rules of the safety work on ``reported_at`` refuse far more and take precedence.
    """
    from ..domain.clock import local_date

    return data.reported_at is not None and local_date(data.reported_at) < patient.date_of_birth


def reported_at_refused():
    """Return the 422 for a report dated before the patient's birth."""
    return api_error(422, _("Some fields are not valid."),
                     fields={"reported_at": [_("The time of the report is before the date of birth.")]})
