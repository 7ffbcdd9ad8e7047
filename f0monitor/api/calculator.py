"""POST /api/v1/assess: the stateless risk calculator."""

from __future__ import annotations

from flask import current_app, jsonify

from .. import risk
from ..access import PUBLIC, access
from ..extensions import limiter
from ..i18n import current_lang
from ..inputs import to_risk_report
from ..schemas import AssessIn, AssessmentOut
from ..timeutil import utcnow
from . import bp, documented, load_body


@bp.route("/assess", methods=("POST",))
@access(PUBLIC)
@limiter.limit(lambda: current_app.config["ASSESS_LIMIT"])
@documented(body=AssessIn, response=AssessmentOut)
def assess():
    """Assess a profile and a report; nothing is stored."""
    data = load_body(AssessIn())
    now = utcnow()
    result = risk.assess(
        data["profile"],
        to_risk_report(data["report"], now),
        [to_risk_report(r, now) for r in data["previous_reports"]],
    )
    return jsonify(result.to_dict(current_lang()))
