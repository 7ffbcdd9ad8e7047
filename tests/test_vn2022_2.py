"""What changed from VN-2022.1 to VN-2022.2, each at its boundaries (decisions §1, §2, §4, §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from f0monitor.domain import covid as risk
from f0monitor.domain.covid import Profile, Report, Tier, assess
from f0monitor.domain.vitals import round_half_up, vital

AT = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def adult(**kw) -> Profile:
    return Profile(date_of_birth=date(1986, 1, 1), fully_vaccinated=True, **kw)


def calm(**kw) -> Report:
    values = dict(temperature_c=37.0, spo2=98, pulse=80, respiratory_rate=16, systolic_bp=120, diastolic_bp=80)
    values.update(kw)
    return Report(reported_at=AT, **values)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def test_rules_version() -> None:
    assert risk.RULES_VERSION == "VN-2022.2"
    assert assess(adult(), calm()).rules_version == "VN-2022.2"


# --- W12: NEWS2 >= 7 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "score", "w12"),
    [
        # pulse 111 (2) + systolic 100 (2) + RR 10 (1) + temperature 38.5 (1) = 6
        ({"pulse": 111, "systolic_bp": 100, "respiratory_rate": 10, "temperature_c": 38.5}, 6, False),
        # ... temperature 39.5 (2) = 7
        ({"pulse": 111, "systolic_bp": 100, "respiratory_rate": 10, "temperature_c": 39.5}, 7, True),
    ],
)
def test_w12_complete_boundary(kw, score, w12) -> None:
    a = assess(adult(), calm(**kw))
    assert a.news2.score == score and a.news2.complete
    assert ("W12" in codes(a.warning_signs)) is w12
    assert a.alert is w12
    assert a.tier is (Tier.RED if w12 else Tier.ORANGE)


@pytest.mark.parametrize(
    ("kw", "w12"),
    [
        # SpO2 not measured: systolic 220 (3) + pulse 115 (2) + RR 10 (1) = 6 -> orange only
        ({"spo2": None, "systolic_bp": 220, "pulse": 115, "respiratory_rate": 10}, False),
        # ... + temperature 38.5 (1) = 7 on what was measured -> W12
        ({"spo2": None, "systolic_bp": 220, "pulse": 115, "respiratory_rate": 10, "temperature_c": 38.5}, True),
    ],
)
def test_w12_incomplete_boundary(kw, w12) -> None:
    a = assess(adult(), calm(**kw))
    assert a.news2.score is None and not a.news2.complete
    assert ("W12" in codes(a.warning_signs)) is w12
    if w12:
        reason = a.warning_signs[-1]
        params = dict(reason.params)
        assert params["score"] == 7 and params["complete"] is False
        assert dict(params["parts"]) == {"respiratory_rate": 1, "systolic_bp": 3, "pulse": 2, "temperature_c": 1}


def test_w12_not_in_children_or_pregnancy() -> None:
    high = dict(pulse=111, systolic_bp=100, respiratory_rate=10, temperature_c=39.5)
    assert "W12" not in codes(assess(adult(pregnant=True), calm(**high)).warning_signs)
    child = Profile(date_of_birth=date(2012, 1, 1), fully_vaccinated=True)  # 14
    assert "W12" not in codes(assess(child, calm(**high)).warning_signs)


def test_w12_words_say_the_score_and_parts() -> None:
    from tests.labels_helpers import text

    a = assess(adult(), calm(pulse=111, systolic_bp=100, respiratory_rate=10, temperature_c=39.5))
    reason = a.warning_signs[-1]
    assert text(reason, "en") == (
        "NEWS2 emergency score 7 (≥ 7): breathing rate 1 + systolic blood pressure 2 + pulse 2 + temperature 2"
    )
    assert text(reason, "vi") == (
        "Điểm NEWS2 cấp cứu 7 (≥ 7): nhịp thở 1 + huyết áp tâm thu 2 + mạch 2 + nhiệt độ 2"
    )


# --- W2: very slow breathing from 12 years ------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "rr", "w2"),
    [
        (date(2014, 11, 22), 8, True),  # 12th birthday on the report's day
        (date(2014, 11, 22), 9, False),
        (date(2014, 11, 23), 8, False),  # 11 years 11 months: not applied
        (date(1986, 1, 1), 5, True),
        (date(1986, 1, 1), 8, True),
        (date(1986, 1, 1), 9, False),
    ],
)
def test_w2_slow_breathing(dob, rr, w2) -> None:
    a = assess(Profile(date_of_birth=dob, fully_vaccinated=True), calm(respiratory_rate=rr))
    got = [r for r in a.warning_signs if r.code == "W2"]
    assert bool(got) is w2
    if w2:
        assert dict(got[0].params) == {"value": rr, "op": "<=", "limit": 8}


# --- §1 rounding half up ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [(39.05, 39.1), (39.04, 39.0), (38.95, 39.0), (37.25, 37.3), (37.35, 37.4), (36.0, 36.0), (39.149, 39.1)],
)
def test_temperatures_round_half_up(typed, kept) -> None:
    assert round_half_up(typed) == kept
    assert vital("temperature_c").coerce(typed) == kept
    assert Report(reported_at=AT, temperature_c=typed).temperature_c == kept


def test_c2_fires_at_39_05_in_a_child() -> None:
    child = Profile(date_of_birth=date(2020, 1, 1), fully_vaccinated=True)
    assert codes(assess(child, Report(reported_at=AT, temperature_c=39.05)).warning_signs) == ["C2"]
    assert codes(assess(child, Report(reported_at=AT, temperature_c=39.04)).warning_signs) == []


def test_the_web_form_and_api_round_39_05_half_up(client) -> None:
    body = {"profile": {"date_of_birth": "2020-01-01"}, "report": {"temperature_c": 39.05}}
    response = client.post("/api/v1/assess", json=body)
    assert [s["code"] for s in response.get_json()["warning_signs"]] == ["C2"]


# --- NEWS2 scale 2 in the calculator ----------------------------------------------------------


def test_calculator_takes_news2_scale_2(client) -> None:
    report = {"spo2": 88, "pulse": 80, "respiratory_rate": 16, "systolic_bp": 120, "temperature_c": 37.0}
    scale1 = client.post("/api/v1/assess", json={"profile": {"date_of_birth": "1980-01-01"}, "report": report})
    scale2 = client.post(
        "/api/v1/assess", json={"profile": {"date_of_birth": "1980-01-01", "news2_scale": 2}, "report": report}
    )
    assert scale1.get_json()["news2"]["score"] == 3  # SpO2 88 on scale 1 scores 3
    assert scale2.get_json()["news2"]["score"] == 0  # 88-92 on air scores 0 on scale 2
    bad = client.post("/api/v1/assess", json={"profile": {"date_of_birth": "1980-01-01", "news2_scale": 3}, "report": report})
    assert bad.status_code == 422 and "profile.news2_scale" in bad.get_json()["error"]["fields"]
