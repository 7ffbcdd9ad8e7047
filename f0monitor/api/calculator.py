"""POST /api/v1/assess: the stateless risk calculator."""

from __future__ import annotations

from flask import current_app, jsonify

from .. import risk
from ..access import PUBLIC, access
from ..extensions import limiter
from ..i18n import current_lang
from ..schemas import AssessIn
from . import bp, load_body


def to_risk_report(data) -> risk.Report:
    """Turn a loaded report into the risk module's input (a missing time means now)."""
    from ..timeutil import utcnow

    return risk.Report(
        reported_at=data.reported_at or utcnow(),
        temperature_c=data.temperature_c,
        spo2=None if data.no_oximeter else data.spo2,
        spo2_recheck=None if data.no_oximeter else data.spo2_recheck,
        pulse=data.pulse,
        respiratory_rate=data.respiratory_rate,
        systolic_bp=data.systolic_bp,
        diastolic_bp=data.diastolic_bp,
        symptoms=data.symptoms,
    )


@bp.route("/assess", methods=("POST",))
@access(PUBLIC)
@limiter.limit(lambda: current_app.config["ASSESS_LIMIT"])
def assess():
    """Assess a profile and a report; nothing is stored."""
    data = load_body(AssessIn())
    result = risk.assess(
        data["profile"],
        to_risk_report(data["report"]),
        [to_risk_report(r) for r in data["previous_reports"]],
    )
    return jsonify(result.to_dict(current_lang()))
