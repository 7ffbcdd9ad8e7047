"""The RuleSet seam: domain.covid.RULE_SET fills it and answers exactly as the module does."""

from __future__ import annotations

import ast
import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from f0monitor.domain import covid as risk
from f0monitor.domain.ruleset import RuleSet
from f0monitor.domain.states import Tier
from tests.test_risk_properties import AT, histories, profiles, reports

RULE_SET = risk.RULE_SET
SEAM_SETTINGS = settings(deadline=None, max_examples=150)


def test_covid_rule_set_fills_the_seam() -> None:
    assert isinstance(RULE_SET, RuleSet)
    assert [f.name for f in dataclasses.fields(RuleSet)] == [
        "version",
        "assess",
        "baseline_tier",
        "chart_thresholds",
        "recovery_check",
        "reporting_flag",
        "day_of_treatment",
        "symptoms",
        "warning_symptoms",
        "comorbidities",
    ]
    assert RULE_SET.version == risk.RULES_VERSION == "VN-2022.2"
    assert RULE_SET.symptoms == risk.SYMPTOMS
    assert dict(RULE_SET.warning_symptoms) == risk.WARNING_SYMPTOMS
    assert RULE_SET.comorbidities == risk.COMORBIDITIES
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULE_SET.version = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        RULE_SET.warning_symptoms["fever"] = "W1"  # type: ignore[index]


@SEAM_SETTINGS
@given(profile=profiles(), report=reports(), previous=histories())
def test_assess_and_baseline_match_the_module(profile, report, previous) -> None:
    assert RULE_SET.assess(profile, report, previous) == risk.assess(profile, report, previous)
    assert RULE_SET.assess(profile, report, previous).rules_version == RULE_SET.version
    on = report.reported_at.date()
    assert RULE_SET.baseline_tier(profile, on) == risk.baseline_tier(profile, on)
    assert RULE_SET.chart_thresholds(profile, on) == risk.chart_thresholds(profile, on)


def test_assess_passes_the_history_through() -> None:
    # C2's 48-hour fever rule is the one rule reading earlier reports: a child with 38.5 °C
    # since 50 hours has it only when the history reaches the rules.
    child = risk.Profile(date_of_birth=date(2020, 5, 1))
    fever = [risk.Report(reported_at=AT - timedelta(hours=h), temperature_c=38.5) for h in (50, 24)]
    now = risk.Report(reported_at=AT, temperature_c=38.5)
    seam = RULE_SET.assess(child, now, fever)
    assert seam == risk.assess(child, now, fever)
    assert [r.code for r in seam.warning_signs] == ["C2"]
    assert dict(seam.warning_signs[0].params)["fever_hours"] == 50
    assert RULE_SET.assess(child, now, ()).warning_signs == ()


@SEAM_SETTINGS
@given(
    positive=st.dates(date(2026, 10, 1), date(2026, 11, 22)),
    days=st.integers(0, 20),
    vaccinated=st.booleans(),
    negative=st.booleans(),
)
def test_recovery_and_treatment_day_match_the_module(positive, days, vaccinated, negative) -> None:
    on = positive + timedelta(days=days)
    assert RULE_SET.recovery_check(positive, on, vaccinated, negative) == risk.recovery_check(
        positive, on, vaccinated, negative
    )
    assert (
        RULE_SET.day_of_treatment(positive, on) == risk.day_of_treatment(positive, on) == days + 1
    )


@pytest.mark.parametrize("hours", [0, 11, 12, 23, 24, 100])
@pytest.mark.parametrize("has_report", [True, False])
def test_reporting_flag_matches_the_module(hours: int, has_report: bool) -> None:
    registered = AT - timedelta(days=3)
    last = AT - timedelta(hours=hours) if has_report else None
    expected = risk.reporting_flag(last, registered, AT)
    assert RULE_SET.reporting_flag(last, registered, AT) == expected
    if has_report:
        assert expected == ("missing" if hours >= 24 else "overdue" if hours >= 12 else None)


def _toy(**changes: object) -> RuleSet:
    """A second, made-up disease: the seam needs nothing from the COVID package."""
    fields: dict[str, object] = {
        "version": "TOY-1",
        "assess": lambda profile, report, previous=(): Tier.GREEN,
        "baseline_tier": lambda profile, on: (Tier.GREEN, ()),
        "chart_thresholds": lambda profile, on: {},
        "recovery_check": lambda positive, on, vaccinated, negative: (True, None),
        "reporting_flag": lambda last, registered, now: None,
        "day_of_treatment": lambda positive, on: (on - positive).days + 1,
        "symptoms": ("rash", "itch"),
        "warning_symptoms": {"rash": "T1"},
        "comorbidities": ("eczema",),
    }
    fields.update(changes)
    return RuleSet(**fields)  # type: ignore[arg-type]


def test_a_second_disease_is_another_rule_set() -> None:
    toy = _toy()
    assert toy.version == "TOY-1"
    assert toy.assess(None, None, ()) is Tier.GREEN
    assert toy.day_of_treatment(date(2026, 1, 1), date(2026, 1, 3)) == 3


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"version": ""}, ValueError),
        ({"assess": "not a function"}, TypeError),
        ({"reporting_flag": None}, TypeError),
        ({"symptoms": ["rash", "itch"]}, ValueError),
        ({"symptoms": ("rash", "rash")}, ValueError),
        ({"comorbidities": ("eczema", "eczema")}, ValueError),
        ({"warning_symptoms": {"fever": "T1"}}, ValueError),
    ],
)
def test_a_malformed_rule_set_fails_when_built(changes: dict, error: type) -> None:
    with pytest.raises(error):
        _toy(**changes)


def test_the_seam_depends_on_no_disease() -> None:
    source = Path(__file__).resolve().parent.parent / "f0monitor" / "domain" / "ruleset.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported <= {
        "__future__",
        "collections.abc",
        "dataclasses",
        "datetime",
        "typing",
        ".states",
    }
