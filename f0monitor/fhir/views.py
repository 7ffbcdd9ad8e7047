"""FHIR routes: metadata, read and search of each resource type (audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from ..data.session import get_session
from ..http.access import PUBLIC, access
from ..http.audit import audit_patient
from ..http.errors import FHIR_JSON, fhir_error
from ..http.i18n import current_lang
from . import FHIR_ROLES, bp, queries, resources
from .search import BadSearch, Search, bundle, parse

COMMON = {"_count", "_page", "_id"}
# type -> (search parameters, rows of a search, resources of one row, patient id of a row)
TYPES: dict[str, dict[str, Any]] = {
    "Patient": {
        "params": {"_lastUpdated"},
        "docs": {"_lastUpdated": "when registered or when the status last changed"},
    },
    "Observation": {
        "params": {"patient", "subject", "date", "code"},
        "docs": {"patient": "the Patient", "date": "when measured",
                 "code": "LOINC code (" + ", ".join(resources.observation_codes()) + ")"},
    },
    "QuestionnaireResponse": {
        "params": {"patient", "subject", "authored", "date"},
        "docs": {"patient": "the Patient", "authored": "when reported"},
    },
    "RiskAssessment": {
        "params": {"patient", "subject", "date"},
        "docs": {"patient": "the Patient", "date": "when assessed"},
    },
    "Encounter": {
        "params": {"patient", "subject", "date"},
        "docs": {"patient": "the Patient", "date": "when the transfer was requested"},
    },
}
PARAM_TYPES = {"_lastUpdated": "date", "patient": "reference", "subject": "reference",
               "date": "date", "authored": "date", "code": "token", "_id": "token"}


def fhir_json(body: dict[str, Any], status: int = 200):
    response = jsonify(body)
    response.mimetype = FHIR_JSON
    return response, status


def base_url() -> str:
    return request.url_root.rstrip("/") + "/fhir"


def _rows(kind: str, search: Search) -> tuple[list[dict[str, Any]], list[int], int]:
    """Return (resources, patient ids read, total) of a search of one type."""
    session = get_session()
    lang = current_lang()
    if kind == "Patient":
        rows, total = queries.patients(session, current_user, search)
        return [resources.patient_resource(p) for p in rows], [p.id for p in rows], total
    if kind == "Observation":
        rows, total = queries.reports(session, current_user, search, observations=True)
        out = [obs for r in rows for obs in resources.observations(r, search.codes)]
        return out, [r.patient_id for r in rows], total
    if kind == "QuestionnaireResponse":
        rows, total = queries.reports(session, current_user, search, observations=False)
        return [resources.questionnaire_response(r) for r in rows], [r.patient_id for r in rows], total
    if kind == "RiskAssessment":
        rows, total = queries.assessments(session, current_user, search)
        return [resources.risk_assessment(a, lang) for a in rows], [a.patient_id for a in rows], total
    rows, total = queries.transfers(session, current_user, search)
    return [resources.encounter(t) for t in rows], [t.patient_id for t in rows], total


def _audit(patient_ids: list[int], action: str, detail: str) -> None:
    session = get_session()
    for pid in dict.fromkeys(patient_ids):  # once per patient, in order
        audit_patient(session, pid, action, detail)
    session.commit()


def _search_view(kind: str) -> Callable[[], Any]:
    def view():
        try:
            search = parse(request.args, COMMON | TYPES[kind]["params"])
        except BadSearch as exc:
            return fhir_error(400, str(exc))
        found, patient_ids, total = _rows(kind, search)
        _audit(patient_ids, "fhir.search", f"{kind} search")
        return fhir_json(bundle(found, total=total, search=search, base=base_url(),
                                self_url=base_url() + "/" + kind))

    view.__name__ = f"search_{kind.lower()}"
    view.__doc__ = f"Search {kind} resources of the caller's province (a searchset Bundle)."
    return view


def _read_view(kind: str) -> Callable[[str], Any]:
    def view(resource_id: str):
        # An Observation id is "<report id>-<vital>"; the others are the row id.
        report_part = resource_id.partition("-")[0] if kind == "Observation" else resource_id
        if not report_part.isdigit() or len(report_part) > 10:
            return fhir_error(404, f"{kind}/{resource_id[:40]} is not known")
        search = Search(ids=[int(report_part)], count=1)
        found, patient_ids, _total = _rows(kind, search)
        found = [r for r in found if r["id"] == resource_id]
        if not found:
            return fhir_error(404, f"{kind}/{resource_id[:40]} is not known, or not in your area")
        _audit(patient_ids, "fhir.read", f"{kind}/{resource_id}")
        return fhir_json(found[0])

    view.__name__ = f"read_{kind.lower()}"
    view.__doc__ = f"Read one {kind}."
    return view


for _kind in TYPES:
    bp.add_url_rule(f"/{_kind}", view_func=access(*FHIR_ROLES)(_search_view(_kind)), methods=("GET",))
    bp.add_url_rule(f"/{_kind}/<resource_id>", view_func=access(*FHIR_ROLES)(_read_view(_kind)),
                    methods=("GET",))


@bp.route("/Questionnaire/<questionnaire_id>", methods=("GET",))
@access(*FHIR_ROLES)
def read_questionnaire(questionnaire_id: str):
    """Read the symptom Questionnaire the QuestionnaireResponses answer."""
    if questionnaire_id != resources.QUESTIONNAIRE_ID:
        return fhir_error(404, "only Questionnaire/f0-symptoms exists")
    return fhir_json(resources.questionnaire())


@bp.route("/metadata", methods=("GET",))
@access(PUBLIC)
def metadata():
    """Return the CapabilityStatement: what this server reads, searches and exports."""
    rest_resources = []
    for kind, info in TYPES.items():
        params = sorted(info["params"] | {"_id"})
        rest_resources.append({
            "type": kind,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": PARAM_TYPES[name],
                 **({"documentation": info["docs"][name]} if name in info["docs"] else {})}
                for name in params
            ],
        })
    rest_resources.append({"type": "Questionnaire", "interaction": [{"code": "read"}]})
    body = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": "f0monitor",
        "kind": "instance",
        "software": {"name": "f0monitor", "version": current_app.config["VERSION"]},
        "implementation": {"description": "f0monitor FHIR R4 feed (read-only)", "url": base_url()},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "Read-only. Authenticate with a bearer token from POST /api/v1/tokens of a "
                "service account (role integration, scoped to a province) or an admin. Pages: "
                "_count (1-200, default 50) and _page; an Observation page holds the "
                "Observations of up to _count reports. Every read is audited."
            ),
            "security": {"description": "Authorization: Bearer <token> (POST /api/v1/tokens)"},
            "resource": rest_resources,
            "operation": [{
                "name": "export",
                "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                "documentation": "Bulk Data export of the caller's province: GET "
                                 + url_for("fhir.export_start"),
            }],
        }],
    }
    return fhir_json(body)
