"""POST /api/v1/assess: the stateless risk calculator."""

from __future__ import annotations

from flask import current_app, jsonify

from ..domain import covid as risk
from ..domain.clock import utcnow
from ..extensions import limiter
from ..http.access import PUBLIC, access
from ..http.labels import assessment_dict
from ..services.assessments import to_risk_report
from . import bp, documented, load_body
from .schemas import AssessIn, AssessmentOut


@bp.route("/assess", methods=("POST",))
@access(PUBLIC)
@limiter.limit(lambda: current_app.config["ASSESS_LIMIT"])
@documented(AssessIn, AssessmentOut, errors=(429,))
def assess():
    """Assess a profile and a report; nothing is stored."""
    data = load_body(AssessIn())
    now = utcnow()
    result = risk.assess(
        data["profile"],
        to_risk_report(data["report"], now),
        [to_risk_report(r, now) for r in data["previous_reports"]],
    )
    return jsonify(assessment_dict(result))
