"""Telling a person, on a page, what became of the report they sent (`services.reports`).

One table for both audiences: the patient on their own form, and a staff member who entered
a report for a patient. The API's twin is `api.submission`.
"""

from __future__ import annotations

from typing import Literal

from flask import flash
from flask_babel import lazy_gettext as _l

from ...services.reports import Outcome, Submitted

Audience = Literal["patient", "staff"]

# answer: {audience: (text, flash category)}
_ANSWERS = {
    Outcome.STORED: {
        "patient": (_l("Report received. Thank you."), "success"),
        "staff": (_l("Report saved."), "success"),
    },
    "warning_signs": {
        "patient": (_l("Report received. Warning signs found: see what to do now."), "danger"),
        "staff": (_l("Report saved. Warning signs found: an alert is open."), "danger"),
    },
    Outcome.DUPLICATE: {
        "patient": (_l("Your report was already received."), "info"),
        "staff": (_l("This report was already saved."), "info"),
    },
    Outcome.REFUSED: {
        "patient": (_l("The time of your report is not possible: check your phone's clock and send it again."), "danger"),
        "staff": (_l("The report's time is outside the accepted window; nothing was saved."), "danger"),
    },
    Outcome.ENDED: {
        "patient": (_l("Your home treatment has ended; reports are no longer needed."), "info"),
        "staff": (_l("Home treatment has ended; reports are closed."), "danger"),
    },
}


def _answer(outcome: Submitted, audience: Audience) -> tuple[str, str]:
    answer = "warning_signs" if outcome.warning_signs else outcome.status
    text, category = _ANSWERS[answer][audience]
    return str(text), category


def submission_text(outcome: Submitted, audience: Audience) -> str:
    """Return the answer to a submission as text (for a JSON answer)."""
    return _answer(outcome, audience)[0]


def flash_submission(outcome: Submitted, audience: Audience) -> None:
    """Flash the answer to a submission: stored (with or without warning signs), duplicate, ended."""
    text, category = _answer(outcome, audience)
    flash(text, category)
