"""The vital-sign spec (domain.vitals.VITALS) is the one description every layer follows.

Each vital is walked from the patient's web form, the staff form and the API to its
``SymptomReport`` column, to the ``risk.Report`` the rules see (on submission and when
re-scoring), to the chart, so a vital added to the spec alone fails here until every layer
carries it. The ranges and confirmation bands are checked from the spec too.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from f0monitor.api.schemas import ReportIn, ReportOut
from f0monitor.data.models import SymptomReport
from f0monitor.data.session import get_session
from f0monitor.domain import covid as risk
from f0monitor.domain import vitals
from f0monitor.domain.clock import utcnow
from f0monitor.domain.vitals import VITALS, VitalSpec, check_vitals
from f0monitor.services import reassess
from f0monitor.services.assessments import to_profile, to_risk_report
from f0monitor.services.inputs import VITAL_FIELDS, ReportInput, check_report
from f0monitor.web.common.charts import report_figures
from f0monitor.web.common.forms import ReportForm

from .conftest import api_token, csrf_token, login
from .staff_helpers import sign_in

IDS = [spec.name for spec in VITALS]
MOMENT = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
PROFILE = risk.Profile(date_of_birth=date(1990, 1, 1))
NO_SIGNS = {
    name: "no"
    for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                 "cannot_drink_or_feed", "other_acute_illness")
}


def step(spec: VitalSpec) -> float:
    """The smallest change a person can type for this vital."""
    return 1 if spec.integer else 0.1


def plausible(spec: VitalSpec) -> int | float:
    """A value accepted without confirmation: just inside the top of the plausible band.

    Near the top, so that SpO2 is above the recheck threshold and the diastolic pressure,
    sent alone, has no systolic to be compared with.
    """
    top = spec.high if spec.confirm_above is None else spec.confirm_above
    return spec.coerce(top - 2 * step(spec))


def typed(value: int | float) -> str:
    """The value as typed in Vietnam: a decimal comma."""
    return str(value).replace(".", ",")


# --------------------------------------------------------------------------------------------
# The spec itself: the decided values (§8 of the decisions) and the FHIR codes
# --------------------------------------------------------------------------------------------


def test_the_spec_holds_the_decided_ranges_and_codes():
    table = {
        spec.name: (spec.low, spec.high, spec.confirm_below, spec.confirm_above, spec.integer,
                    spec.loinc)
        for spec in VITALS
    }
    assert table == {
        "temperature_c": (34.0, 43.0, None, 41.5, False, "8310-5"),
        "spo2": (50, 100, 70, None, True, "59408-5"),
        "spo2_recheck": (50, 100, 70, None, True, "59408-5"),
        "pulse": (25, 250, None, 180, True, "8867-4"),
        "respiratory_rate": (5, 80, None, None, True, "9279-1"),
        "systolic_bp": (50, 260, None, None, True, "8480-6"),
        "diastolic_bp": (30, 160, None, None, True, "8462-4"),
    }
    recheck = vitals.vital("spo2_recheck")
    assert recheck.recheck_of == "spo2" and recheck.range == vitals.vital("spo2").range
    assert [s.name for s in VITALS if s.oximeter] == ["spo2", "spo2_recheck"]
    assert [s.name for s in vitals.CHARTED] == ["temperature_c", "spo2", "pulse", "respiratory_rate"]
    assert set(vitals.INPUT_RANGES) == {s.name for s in VITALS} - {"spo2_recheck"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        vitals.vital("spo2").low = 10  # type: ignore[misc]
    with pytest.raises(KeyError):
        vitals.vital("glucose")


@pytest.mark.parametrize("spec", VITALS, ids=IDS)
def test_every_vital_has_a_label_a_unit_and_a_recheck_target(spec):
    assert spec.label and spec.unit and spec.ucum and spec.loinc
    assert spec.low < spec.high
    assert spec.recheck_of is None or spec.recheck_of in vitals.VITALS_BY_NAME
    if spec.recheck_of is not None:  # a second reading of the same measure
        assert spec.loinc == vitals.vital(spec.recheck_of).loinc


# --------------------------------------------------------------------------------------------
# Ranges and confirmation, from the spec
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", VITALS, ids=IDS)
def test_range_edges_follow_the_spec(spec):
    d = step(spec)
    below, above = spec.coerce(spec.low - d), spec.coerce(spec.high + d)
    assert check_vitals({spec.name: below})[0] == {spec.name: "out_of_range"}
    assert check_vitals({spec.name: above})[0] == {spec.name: "out_of_range"}
    for edge in (spec.low, spec.high):
        errors, confirm = check_vitals({spec.name: edge})
        assert errors == {}
        needs = (spec.confirm_below is not None and edge < spec.confirm_below) or (
            spec.confirm_above is not None and edge > spec.confirm_above
        )
        assert confirm == ({spec.name: "implausible"} if needs else {})
    assert check_vitals({spec.name: plausible(spec)}) == ({}, {})
    assert check_vitals({spec.name: None}) == ({}, {})
    assert check_vitals({spec.name: float("nan")})[0] == {spec.name: "not_a_number"}
    if spec.integer:
        assert check_vitals({spec.name: plausible(spec) - 0.5})[0] == {spec.name: "not_integer"}
    # The same verdicts reach the forms and the API, which share check_report.
    assert spec.name in check_report({spec.name: below}, confirmed=True)
    assert check_report({spec.name: spec.low}, confirmed=True) == {}
    assert check_report({spec.name: spec.high}, confirmed=True) == {}


@pytest.mark.parametrize("spec", [s for s in VITALS if s.confirm_below is not None], ids=lambda s: s.name)
def test_values_below_the_plausible_band_need_a_confirmation(spec):
    inside, outside = spec.confirm_below, spec.coerce(spec.confirm_below - step(spec))
    assert check_vitals({spec.name: inside}) == ({}, {})
    assert check_vitals({spec.name: outside}) == ({}, {spec.name: "implausible"})
    assert spec.name in check_report({spec.name: outside}, confirmed=False)
    assert check_report({spec.name: outside}, confirmed=True) == {}


@pytest.mark.parametrize("spec", [s for s in VITALS if s.confirm_above is not None], ids=lambda s: s.name)
def test_values_above_the_plausible_band_need_a_confirmation(spec):
    inside, outside = spec.confirm_above, spec.coerce(spec.confirm_above + step(spec))
    assert check_vitals({spec.name: inside}) == ({}, {})
    assert check_vitals({spec.name: outside}) == ({}, {spec.name: "implausible"})
    assert spec.name in check_report({spec.name: outside}, confirmed=False)
    assert check_report({spec.name: outside}, confirmed=True) == {}


def test_every_vital_with_a_band_is_confirmed_somewhere():
    banded = {s.name for s in VITALS if s.confirm_below is not None or s.confirm_above is not None}
    assert banded == {"temperature_c", "spo2", "spo2_recheck", "pulse"}


def test_diastolic_must_stay_below_systolic():
    assert check_vitals({"systolic_bp": 120, "diastolic_bp": 120})[0] == {
        "diastolic_bp": "diastolic_not_below_systolic"
    }
    assert check_vitals({"systolic_bp": 120, "diastolic_bp": 119}) == ({}, {})


# --------------------------------------------------------------------------------------------
# Every layer carries exactly the spec's vitals
# --------------------------------------------------------------------------------------------


def test_each_layer_has_a_field_per_vital():
    names = [spec.name for spec in VITALS]
    assert list(VITAL_FIELDS) == names
    assert [f.name for f in dataclasses.fields(ReportInput)][: len(names)] == names
    assert ReportForm.NUMBER_FIELDS == tuple((s.name, s.integer) for s in VITALS)
    assert set(names) <= set(ReportIn._declared_fields)
    assert set(ReportIn.INTEGER_FIELDS) == {s.name for s in VITALS if s.integer}
    assert set(names) <= set(ReportOut._declared_fields)
    assert set(names) <= {f.name for f in dataclasses.fields(risk.Report)}
    assert {c.key for c in reassess._REPORT_COLUMNS} >= set(names)


def test_symptom_report_columns_are_the_spec():
    columns = SymptomReport.__table__.columns
    for spec in VITALS:
        assert spec.name in columns, f"SymptomReport has no column for {spec.name}"
        column_type = columns[spec.name].type
        assert isinstance(column_type, sa.Integer if spec.integer else sa.Float), spec.name
        assert columns[spec.name].nullable  # None = not measured
    # A number column that is not a key is a vital, and every vital is in the spec.
    numbers = {
        c.name
        for c in columns
        if isinstance(c.type, sa.Integer | sa.Float) and not c.primary_key and not c.foreign_keys
    }
    assert numbers == {spec.name for spec in VITALS}


def test_no_oximeter_means_no_spo2():
    data = ReportInput(spo2=97, spo2_recheck=96, pulse=80, no_oximeter=True)
    values = vitals.values_of(data)
    assert values["spo2"] is None and values["spo2_recheck"] is None and values["pulse"] == 80
    report = to_risk_report(data, MOMENT)
    assert report.spo2 is None and report.spo2_recheck is None and report.pulse == 80
    assert report.reported_at == MOMENT
    assert "spo2" in risk.assess(PROFILE, report).not_measured


# --------------------------------------------------------------------------------------------
# The walk: form / staff form / API -> column -> rules (now and on re-scoring) -> chart
# --------------------------------------------------------------------------------------------


@pytest.fixture
def world(app, client, make_patient, make_user):
    patient = make_patient(login=True, phone="+84912777001")
    doctor = make_user("doctor")
    return {"patient": patient, "doctor": doctor}


def _send_by_patient_form(client, world, spec, value):
    assert login(client, "0912777001").status_code == 302
    token = csrf_token(client, "/report")
    data = {"csrf_token": token, "client_key": f"web-{spec.name}", **NO_SIGNS, spec.name: typed(value)}
    response = client.post("/report", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _send_by_staff_form(client, world, spec, value):
    token = sign_in(client, world["doctor"])
    data = {"csrf_token": token, "client_key": f"staff-{spec.name}", **NO_SIGNS, spec.name: typed(value)}
    response = client.post(f"/staff/patients/{world['patient'].id}/reports", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _send_by_api(client, world, spec, value):
    headers = {**api_token(client, "0912777001"), "Idempotency-Key": f"api-{spec.name}"}
    response = client.post("/api/v1/me/reports", json={spec.name: value}, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["report"][spec.name] == value  # ReportOut carries it back


CHANNELS = {"patient-form": _send_by_patient_form, "staff-form": _send_by_staff_form, "api": _send_by_api}


@pytest.mark.parametrize("channel", list(CHANNELS))
@pytest.mark.parametrize("spec", VITALS, ids=IDS)
def test_every_vital_reaches_the_column_the_rules_and_the_chart(app, client, world, spec, channel):
    value = plausible(spec)
    CHANNELS[channel](client, world, spec, value)
    rules_name = spec.recheck_of or spec.name  # what the rules and the chart call it
    with app.test_request_context():
        session = get_session()
        stored = session.scalar(sa.select(SymptomReport))
        # 1. The column, and nothing else measured.
        assert getattr(stored, spec.name) == value
        assert isinstance(getattr(stored, spec.name), int if spec.integer else float)
        assert [n for n in vitals.NAMES if getattr(stored, n) is not None] == [spec.name]
        # 2. The rules' view of the stored report, and of the row re-scoring reads.
        rows = reassess._recent_reports(session, [world["patient"].id], utcnow())[world["patient"].id]
        for report in (to_risk_report(stored), to_risk_report(rows[-1])):
            assert getattr(report, spec.name) == value
            assert vitals.effective_value(report, rules_name) == value
            result = risk.assess(to_profile(stored.patient), report)
            assert rules_name not in result.not_measured
        # 3. The chart, when the vital (or the one it rechecks) is charted.
        figures = report_figures([stored], {})
        charted = vitals.vital(rules_name).chart_label is not None
        if charted:
            [figure] = figures
            assert figure["name"] == rules_name
            assert json.loads(figure["json"])["data"][0]["y"] == [value]
        else:
            assert figures == []


def test_a_recheck_replaces_the_first_reading_for_the_rules_and_the_chart(app):
    report = risk.Report(reported_at=MOMENT, spo2=93, spo2_recheck=97)
    assert vitals.effective_value(report, "spo2") == 97 == report.effective_spo2
    with app.test_request_context():
        [figure] = report_figures([report], {})
    assert json.loads(figure["json"])["data"][0]["y"] == [97]


@pytest.mark.parametrize(
    ("url", "who"), [("/report", "patient"), ("/staff/patients/{id}", "doctor"), ("/staff/calculator/", "doctor")]
)
def test_every_form_page_renders_a_field_per_vital(client, world, url, who):
    if who == "patient":
        assert login(client, "0912777001").status_code == 302
    else:
        sign_in(client, world["doctor"])
    html = client.get(url.format(id=world["patient"].id)).get_data(as_text=True)
    for spec in VITALS:
        assert f'name="{spec.name}"' in html, f"{url} has no field for {spec.name}"


def test_every_label_of_the_spec_has_a_vietnamese_translation():
    # The labels are marked with N_() in the domain, which tests/test_i18n does not scan.
    from babel.messages.pofile import read_po

    from f0monitor import PROJECT_ROOT

    with (PROJECT_ROOT / "f0monitor/translations/vi/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    for spec in VITALS:
        for msgid in filter(None, (spec.label, spec.chart_label)):
            message = catalog.get(msgid)
            assert message is not None and message.string and not message.fuzzy, msgid
