"""Property tests of f0monitor.risk: monotone in worsening, deterministic, bounded NEWS2."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from f0monitor.domain import covid as risk
from f0monitor.domain.covid import Profile, Report, Tier, assess
from tests.labels_helpers import DOMAIN_CODES, assessment_body, text

AT = datetime(2026, 11, 22, 8, 0, tzinfo=risk.VN_TZ)
R = risk.INPUT_RANGES

# Per test, not a global profile: other modules' hypothesis settings stay untouched.
RISK_SETTINGS = settings(deadline=None, max_examples=200)


def _int_range(name: str) -> st.SearchStrategy[int]:
    return st.integers(int(R[name].low), int(R[name].high))


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


temperatures = st.integers(340, 430).map(lambda t: t / 10)  # one decimal, within the guard


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    dob = draw(st.dates(date(1920, 1, 1), AT.date()))
    return Profile(
        date_of_birth=dob,
        comorbidities=draw(st.frozensets(st.sampled_from(risk.COMORBIDITIES), max_size=3)),
        comorbidities_stable=draw(st.booleans()),
        pregnant=draw(st.booleans()),
        postpartum=draw(st.booleans()),
        fully_vaccinated=draw(st.booleans()),
        height_cm=draw(optional(st.integers(45, 200))),
        weight_kg=draw(optional(st.integers(3, 150))),
        news2_scale=draw(st.sampled_from((1, 2))),
    )


@st.composite
def reports(draw: st.DrawFn, at: datetime = AT) -> Report:
    systolic = draw(optional(_int_range("systolic_bp")))
    top = int(R["diastolic_bp"].high) if systolic is None else min(160, systolic - 1)
    diastolic = draw(optional(st.integers(int(R["diastolic_bp"].low), top))) if top >= 30 else None
    return Report(
        reported_at=at,
        temperature_c=draw(optional(temperatures)),
        spo2=draw(optional(_int_range("spo2"))),
        spo2_recheck=draw(optional(_int_range("spo2"))),
        pulse=draw(optional(_int_range("pulse"))),
        respiratory_rate=draw(optional(_int_range("respiratory_rate"))),
        systolic_bp=systolic,
        diastolic_bp=diastolic,
        symptoms=draw(st.frozensets(st.sampled_from(risk.SYMPTOMS), max_size=4)),
        staff_concern=draw(st.booleans()),
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[Report, ...]:
    hours = draw(st.lists(st.integers(1, 120), max_size=6, unique=True))
    return tuple(
        Report(reported_at=AT - timedelta(hours=h), temperature_c=draw(optional(temperatures)))
        for h in hours
    )


# The direction in which each vital gets worse, from where it is (two-sided vitals move away
# from the middle of their normal band).
def _worse(name: str, value: float, step: int) -> float:
    rng = R["spo2" if name == "spo2_recheck" else name]
    if name in ("spo2", "spo2_recheck", "diastolic_bp"):
        direction = -1
    else:
        middle = {
            "temperature_c": 37.0,
            "pulse": 70,
            "respiratory_rate": 16,
            "systolic_bp": 165,
        }[name]
        direction = 1 if value >= middle else -1
    delta = step / 10 if name == "temperature_c" else step
    worse = value + direction * delta
    worse = min(rng.high, max(rng.low, worse))
    return round(worse, 1) if name == "temperature_c" else int(worse)


VITALS = (
    "temperature_c",
    "spo2",
    "spo2_recheck",
    "pulse",
    "respiratory_rate",
    "systolic_bp",
    "diastolic_bp",
)


@RISK_SETTINGS
@given(profiles(), reports(), histories(), st.sampled_from(VITALS), st.integers(1, 40))
def test_worsening_a_vital_never_lowers_the_tier(
    profile: Profile, report: Report, history: tuple[Report, ...], name: str, step: int
) -> None:
    value = getattr(report, name)
    if value is None:
        return
    changes: dict[str, float] = {name: _worse(name, value, step)}
    if name == "systolic_bp" and report.diastolic_bp is not None:
        # keep the report valid (diastolic below systolic) by lowering diastolic too
        changes["diastolic_bp"] = min(report.diastolic_bp, int(changes[name]) - 1)
        if changes["diastolic_bp"] < R["diastolic_bp"].low:
            return
    worse = replace(report, **changes)
    before, after = assess(profile, report, history), assess(profile, worse, history)
    assert after.tier >= before.tier
    assert after.clinical_tier >= before.clinical_tier
    assert {w.code for w in after.warning_signs} >= {w.code for w in before.warning_signs}
    assert not (before.eligible_home_care is False and after.eligible_home_care is True)


@RISK_SETTINGS
@given(profiles(), reports(), histories(), st.sampled_from(sorted(risk.WARNING_SYMPTOMS)))
def test_adding_a_warning_symptom_never_lowers_the_tier(
    profile: Profile, report: Report, history: tuple[Report, ...], symptom: str
) -> None:
    before = assess(profile, report, history)
    after = assess(profile, replace(report, symptoms=report.symptoms | {symptom}), history)
    assert after.tier >= before.tier
    assert after.tier is Tier.RED and after.alert
    assert risk.WARNING_SYMPTOMS[symptom] in {w.code for w in after.warning_signs}
    assert {w.code for w in after.warning_signs} >= {w.code for w in before.warning_signs}
    assert not after.eligible_home_care


@RISK_SETTINGS
@given(profiles(), reports(), histories())
def test_staff_concern_never_lowers_the_tier(
    profile: Profile, report: Report, history: tuple[Report, ...]
) -> None:
    after = assess(profile, replace(report, staff_concern=True), history)
    assert after.tier >= assess(profile, report, history).tier
    assert "W11" in {w.code for w in after.warning_signs}


NORMAL_VALUES = {
    "temperature_c": 37.0,
    "spo2": 98,
    "pulse": 70,
    "respiratory_rate": 16,
    "systolic_bp": 130,
    "diastolic_bp": 70,
}


@RISK_SETTINGS
@given(profiles(), reports(), histories(), st.sampled_from(sorted(NORMAL_VALUES)))
def test_not_measured_never_lowers_the_tier_nor_hides_a_sign(
    profile: Profile, report: Report, history: tuple[Report, ...], name: str
) -> None:
    if name == "spo2":
        report = replace(report, spo2_recheck=None)
    if name == "diastolic_bp" and (report.systolic_bp or 999) <= 70:
        return
    if name == "systolic_bp" and (report.diastolic_bp or 0) >= 130:
        return
    missing = assess(profile, replace(report, **{name: None}), history)
    normal = assess(profile, replace(report, **{name: NORMAL_VALUES[name]}), history)
    assert missing.tier == normal.tier
    assert [w.code for w in missing.warning_signs] == [w.code for w in normal.warning_signs]
    assert name in missing.not_measured and name not in normal.not_measured


@RISK_SETTINGS
@given(profiles(), reports(), histories())
def test_deterministic_and_order_free(
    profile: Profile, report: Report, history: tuple[Report, ...]
) -> None:
    first = assess(profile, report, history)
    assert assess(profile, report, history) == first
    assert assess(profile, report, tuple(reversed(history))) == first
    assert assess(profile, report, list(history)) == first


@RISK_SETTINGS
@given(profiles(), reports(), histories())
def test_output_invariants(profile: Profile, report: Report, history: tuple[Report, ...]) -> None:
    a = assess(profile, report, history)
    assert a.tier == max(a.baseline_tier, a.clinical_tier)
    assert a.alert is bool(a.warning_signs)
    assert (a.clinical_tier is Tier.RED) >= bool(a.warning_signs)
    assert set(a.warning_signs) <= set(a.reasons)
    assert a.eligible_home_care is (not a.eligibility_reasons)
    assert a.rules_version == risk.RULES_VERSION
    for lang in ("vi", "en"):
        d = assessment_body(a, lang)
        json.dumps(d)
        assert d["alert"] is a.alert and d["tier"] == a.tier.value
        for reason in a.reasons + a.eligibility_reasons:
            assert reason.code in DOMAIN_CODES  # a documented code, with words of its own
            shown = text(reason, lang)
            assert shown and shown != reason.code and "{" not in shown and "%(" not in shown


@RISK_SETTINGS
@given(profiles(), reports())
def test_news2_bounded_when_complete(profile: Profile, report: Report) -> None:
    n = assess(profile, report).news2
    if n is None:
        return
    points = dict(n.parameters)
    if n.complete:
        assert n.score is not None and 0 <= n.score <= 20
        assert n.score == sum(points.values())
        assert n.missing == ()
        expected = (
            "high"
            if n.score >= 7
            else "medium"
            if n.score >= 5
            else ("low_medium" if 3 in points.values() else "low")
        )
        assert n.band == expected
    else:
        assert n.score is None and n.band is None and n.missing
        assert not set(n.missing) & set(points)
    assert all(0 <= p <= 3 for p in points.values())


# --- what history the rules read (services.assessments loads only that) -----------------


@RISK_SETTINGS
@given(profiles(), reports(), histories())
def test_history_is_not_needed_when_history_needed_says_so(
    profile: Profile, report: Report, history: tuple[Report, ...]
) -> None:
    """A report for which `history_needed` is False gets the same verdict with no history."""
    if not risk.history_needed(profile, report):
        assert assess(profile, report, history) == assess(profile, report, ())


@RISK_SETTINGS
@given(profiles(), reports(), histories())
def test_the_bounded_history_gives_the_same_verdict(
    profile: Profile, report: Report, history: tuple[Report, ...]
) -> None:
    """The reports with a temperature since the latest one 48 h old are all C2 needs."""
    cutoff = report.reported_at - risk.HISTORY_SPAN
    measured = [r for r in history if r.temperature_c is not None and r.reported_at < report.reported_at]
    anchors = [r.reported_at for r in measured if r.reported_at <= cutoff]
    bounded = [r for r in measured if anchors and r.reported_at >= max(anchors)]
    assert assess(profile, report, bounded) == assess(profile, report, history)
