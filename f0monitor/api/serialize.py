"""Rows to the API's JSON shapes."""

from __future__ import annotations

from typing import Any

from ..data.models import RiskAssessment, SymptomReport, Transfer
from ..http.labels import render_reasons
from .schemas import ReportOut, iso_z


def assessment_dict(row: RiskAssessment | None, lang: str | None = None) -> dict[str, Any] | None:
    """Return a stored assessment in the calculator's shape (in the request's language by default)."""
    if row is None:
        return None
    news2 = None
    if row.news2_complete is not None:
        news2 = {"score": row.news2_score, "band": row.news2_band, "complete": row.news2_complete}
    return {
        "tier": row.tier,
        "baseline_tier": row.baseline_tier,
        "alert": row.alert,
        "warning_signs": render_reasons(row.warning_signs, lang),
        "reasons": render_reasons(row.reasons, lang),
        "news2": news2,
        "severity": row.severity,
        "eligible_home_care": row.eligible_home_care,
        "rules_version": row.rules_version,
    }


_REPORT_OUT = ReportOut(exclude=("assessment",))  # built once: a schema's set-up costs more than a dump


def report_dict(report: SymptomReport) -> dict[str, Any]:
    """Return a report in the API's shape (without its assessment)."""
    body = _REPORT_OUT.dump(report)
    body["tier"] = report.assessment.tier if report.assessment else None
    return body


def transfer_dict(transfer: Transfer) -> dict[str, Any]:
    """Return a transfer in the API's shape."""
    facility = transfer.facility
    return {
        "id": transfer.id,
        "patient_id": transfer.patient_id,
        "state": transfer.state,
        "reason": transfer.reason,
        "facility": (
            {"id": facility.id, "name": facility.name, "free_beds": facility.general_free}
            if facility
            else None
        ),
        "ambulance_ref": transfer.ambulance_ref,
        "bed_type": transfer.bed_type,
        "events": [
            {
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "at": iso_z(e.at),
                "by": {"id": e.by.id, "name": e.by.full_name} if e.by else None,
                "note": e.note,
            }
            for e in transfer.events
        ],
    }
