"""Our rows as FHIR R4 resources (plain JSON dicts; the tests validate each with fhir.resources).

- Patient: identity, contact, address (codes of vietnam-provinces with their names).
- Observation: one per measured vital of a report, LOINC coded and UCUM united from the one
  vital-sign spec (``domain.vitals``); blood pressure as the 85354-9 panel with systolic and
  diastolic components; category vital-signs.
- QuestionnaireResponse: the symptom checklist of a report, one boolean answer per symptom of
  the vocabulary, against the Questionnaire ``f0-symptoms`` served at /fhir/Questionnaire.
- RiskAssessment: the tier as the prediction's qualitative risk, warning signs and reasons as
  its basis, NEWS2 in the rationale, the rules version in the method.
- Encounter: an emergency transfer (class EMER), its steps as the status history, the
  destination facility.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..data.models import Patient, RiskAssessment, SymptomReport, Transfer
from ..domain import vitals
from ..domain.covid import vocab
from ..http.labels import render_reasons, symptom_label
from ..services import areas

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# Our own code systems, as URNs: no web address is claimed for them.
TIER_SYSTEM = "urn:f0monitor:tier"
RULES_SYSTEM = "urn:f0monitor:rules"
REASON_SYSTEM = "urn:f0monitor:reason"
PATIENT_ID_SYSTEM = "urn:f0monitor:patient"
NATIONAL_ID_SYSTEM = "urn:f0monitor:vn-national-id"
SYMPTOMS_QUESTIONNAIRE = "urn:f0monitor:questionnaire:f0-symptoms"
QUESTIONNAIRE_ID = "f0-symptoms"
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
LOINC_DISPLAY = {
    "8310-5": "Body temperature",
    "59408-5": "Oxygen saturation in Arterial blood by Pulse oximetry",
    "8867-4": "Heart rate",
    "9279-1": "Respiratory rate",
    "8480-6": "Systolic blood pressure",
    "8462-4": "Diastolic blood pressure",
}
BP_PARTS = ("systolic_bp", "diastolic_bp")
BP_SLUG = "blood-pressure"
# Transfer state -> Encounter.status (R4 encounter-status).
ENCOUNTER_STATUS = {
    "requested": "planned",
    "accepted": "planned",
    "dispatched": "in-progress",
    "arrived": "arrived",
    "admitted": "finished",
    "cancelled": "cancelled",
    "refused": "cancelled",
}
TIER_RANK = {"green": 1, "yellow": 2, "orange": 3, "red": 4}


def instant(moment: datetime | None) -> str | None:
    """Return an aware instant as a FHIR instant in UTC ("2026-11-22T01:00:00Z")."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _meta(moment: datetime | None) -> dict[str, Any]:
    return {"lastUpdated": instant(moment)} if moment else {}


def patient_ref(patient_id: int) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def patient_last_updated(patient: Patient) -> datetime:
    """Return when the Patient resource last changed (registration or a status change)."""
    return max(m for m in (patient.registered_at, patient.status_changed_at) if m is not None)


def patient_resource(patient: Patient) -> dict[str, Any]:
    parts = patient.full_name.split()
    identifiers = [{"system": PATIENT_ID_SYSTEM, "value": str(patient.id)}]
    if patient.national_id:
        identifiers.append({"system": NATIONAL_ID_SYSTEM, "value": patient.national_id})
    name: dict[str, Any] = {"use": "official", "text": patient.full_name}
    if len(parts) > 1:  # Vietnamese order: family name first
        name["family"], name["given"] = parts[0], parts[1:]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "meta": _meta(patient_last_updated(patient)),
        "identifier": identifiers,
        "active": patient.status == "active",
        "name": [name],
        "telecom": [{"system": "phone", "value": patient.phone, "use": "mobile"}],
        "gender": {"male": "male", "female": "female"}.get(patient.sex, "other"),
        "birthDate": patient.date_of_birth.isoformat(),
        "address": [
            {
                "use": "home",
                "text": ", ".join(
                    x for x in (patient.address, areas.ward_name(patient.ward_code),
                                areas.province_name(patient.province_code)) if x
                ),
                "line": [patient.address],
                "district": areas.ward_name(patient.ward_code) or None,
                "state": areas.province_name(patient.province_code) or None,
                "country": "VN",
            }
        ],
    }
    address = resource["address"][0]
    for key in [k for k, v in address.items() if v is None]:
        del address[key]
    if patient.status == "deceased":
        resource["deceasedBoolean"] = True
    return resource


def _coding(code: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": LOINC_DISPLAY[code]}],
            "text": LOINC_DISPLAY[code]}


def _quantity(spec: vitals.VitalSpec, value: float) -> dict[str, Any]:
    return {"value": spec.coerce(value), "unit": spec.unit, "system": UCUM, "code": spec.ucum}


def observation_slug(name: str) -> str:
    return BP_SLUG if name in BP_PARTS else name.replace("_", "-")


def _observation_base(report: SymptomReport, slug: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{report.id}-{slug}",
        "meta": _meta(report.created_at),
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "vital-signs",
                                  "display": "Vital Signs"}]}],
        "subject": patient_ref(report.patient_id),
        "effectiveDateTime": instant(report.reported_at),
        "issued": instant(report.created_at),
    }


def observations(report: SymptomReport, codes: set[str] | None = None) -> list[dict[str, Any]]:
    """Return one Observation per measured vital of a report (blood pressure as one panel).

    ``codes`` keeps only the Observations with one of these LOINC codes (a ``code`` search).
    """
    values = vitals.values_of(report)  # "no oximeter": no SpO2
    out: list[dict[str, Any]] = []
    for spec in vitals.VITALS:
        value = values[spec.name]
        if spec.name in BP_PARTS or value is None:
            continue
        if codes is not None and spec.loinc not in codes:
            continue
        obs = _observation_base(report, observation_slug(spec.name))
        obs["code"] = _coding(spec.loinc)
        obs["valueQuantity"] = _quantity(spec, value)
        if spec.recheck_of:
            obs["note"] = [{"text": "second reading after one minute"}]
        out.append(obs)
    bp = [(vitals.vital(name), values[name]) for name in BP_PARTS]
    if any(v is not None for _s, v in bp) and (codes is None or BP_PANEL[0] in codes):
        obs = _observation_base(report, BP_SLUG)
        obs["code"] = {"coding": [{"system": LOINC, "code": BP_PANEL[0], "display": BP_PANEL[1]}],
                       "text": "Blood pressure"}
        obs["component"] = [
            {"code": _coding(spec.loinc), "valueQuantity": _quantity(spec, value)}
            for spec, value in bp
            if value is not None
        ]
        out.append(obs)
    return out


def observation_codes() -> list[str]:
    """Return the LOINC codes the Observations carry (the vitals' and the BP panel)."""
    codes = [spec.loinc for spec in vitals.VITALS if spec.name not in BP_PARTS]
    return sorted({*codes, BP_PANEL[0]})


def questionnaire() -> dict[str, Any]:
    """Return the symptom checklist as a Questionnaire (one boolean question per symptom)."""
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": SYMPTOMS_QUESTIONNAIRE,
        "name": "F0Symptoms",
        "title": "COVID-19 symptoms and warning signs (f0monitor report)",
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            {"linkId": key, "text": symptom_label(key), "type": "boolean",
             **({"code": [{"system": REASON_SYSTEM, "code": vocab.WARNING_SYMPTOMS[key]}]}
                if key in vocab.WARNING_SYMPTOMS else {})}
            for key in vocab.SYMPTOMS
        ],
    }


def questionnaire_response(report: SymptomReport) -> dict[str, Any]:
    """Return a report's symptom checklist: every symptom answered true or false."""
    reported = set(report.symptoms or [])
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(report.id),
        "meta": _meta(report.created_at),
        "questionnaire": SYMPTOMS_QUESTIONNAIRE,
        "status": "completed",
        "subject": patient_ref(report.patient_id),
        "authored": instant(report.reported_at),
        "item": [
            {"linkId": key, "text": symptom_label(key), "answer": [{"valueBoolean": key in reported}]}
            for key in vocab.SYMPTOMS
        ],
    }


def risk_assessment(row: RiskAssessment, lang: str | None = None) -> dict[str, Any]:
    """Return a stored assessment: tier, warning signs and reasons, NEWS2, rules version."""
    signs = render_reasons(row.warning_signs, lang)
    reasons = render_reasons(row.reasons, lang)
    rationale = [f"{r['code']}: {r['message']}" for r in signs + reasons]
    if row.news2_complete is not None:
        rationale.append(
            f"NEWS2 {row.news2_score} ({row.news2_band})" if row.news2_complete
            else "NEWS2 incomplete"
        )
    prediction: dict[str, Any] = {
        "qualitativeRisk": {
            "coding": [{"system": TIER_SYSTEM, "code": row.tier, "display": row.tier}],
            "text": row.tier,
        },
        "relativeRisk": TIER_RANK[row.tier],
    }
    if rationale:
        prediction["rationale"] = "; ".join(rationale)
    return {
        "resourceType": "RiskAssessment",
        "id": str(row.id),
        "meta": _meta(row.assessed_at),
        "status": "final",
        "method": {
            "coding": [{"system": RULES_SYSTEM, "code": row.rules_version,
                        "display": f"f0monitor COVID-19 home-care rules {row.rules_version}"}],
            "text": f"rules {row.rules_version}",
        },
        "subject": patient_ref(row.patient_id),
        "occurrenceDateTime": instant(row.assessed_at),
        "basis": [
            {"reference": f"QuestionnaireResponse/{row.report_id}"},
            *({"identifier": {"system": REASON_SYSTEM, "value": r["code"]}, "display": r["message"]}
              for r in signs + reasons),
        ],
        "prediction": [prediction],
        **({"note": [{"text": "alert: warning signs present"}]} if row.alert else {}),
    }


def encounter(transfer: Transfer) -> dict[str, Any]:
    """Return an emergency transfer (and the admission it ends in) as an Encounter."""
    closed = transfer.state in ("admitted", "cancelled", "refused")
    period: dict[str, Any] = {"start": instant(transfer.requested_at)}
    if closed:
        period["end"] = instant(transfer.updated_at)
    history = []
    events = list(transfer.events)
    for i, event in enumerate(events):
        span = {"start": instant(event.at)}
        if i + 1 < len(events):
            span["end"] = instant(events[i + 1].at)
        history.append({"status": ENCOUNTER_STATUS.get(event.to_state, "unknown"), "period": span})
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(transfer.id),
        "meta": _meta(transfer.updated_at),
        "status": ENCOUNTER_STATUS[transfer.state],
        "statusHistory": history,
        "class": {"system": ACT_CODE, "code": "EMER", "display": "emergency"},
        "subject": patient_ref(transfer.patient_id),
        "period": period,
        "reasonCode": [{"text": transfer.reason}],
    }
    if transfer.facility is not None:
        resource["hospitalization"] = {"destination": {"display": transfer.facility.name}}
        resource["serviceProvider"] = {"display": transfer.facility.name}
    if not history:
        del resource["statusHistory"]
    return resource
