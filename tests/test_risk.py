"""Table-driven tests of f0monitor.risk (rule set VN-2022.2): one row per rule and boundary."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from f0monitor.domain import covid as risk
from f0monitor.domain.covid import (
    Profile,
    Range,
    Reason,
    Report,
    Tier,
    age_on,
    assess,
    baseline_tier,
    check_vitals,
    day_of_treatment,
    max_tier,
    news2,
    recovery_check,
    reporting_flag,
)
from tests.labels_helpers import text

VN = risk.VN_TZ
AT = datetime(2026, 11, 22, 8, 0, tzinfo=VN)  # the report under test
ON = AT.date()

# An adult with a green baseline, and a set of vitals that score nothing anywhere.
NORMAL = dict(
    temperature_c=36.8, spo2=98, pulse=80, respiratory_rate=16, systolic_bp=120, diastolic_bp=80
)


def _shift_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 - months
    return date(total // 12, total % 12 + 1, d.day)


def born(years: int = 0, months: int = 0, day_before: bool = False) -> date:
    """Date of birth giving exactly this age on ON, or one day short of it (the day before)."""
    dob = _shift_months(ON, years * 12 + months)
    return dob + timedelta(days=1) if day_before else dob


def profile(years: int = 30, months: int = 0, day_before: bool = False, **kw: object) -> Profile:
    kw.setdefault("fully_vaccinated", True)
    return Profile(date_of_birth=born(years, months, day_before), **kw)  # type: ignore[arg-type]


def report(at: datetime = AT, **kw: object) -> Report:
    return Report(reported_at=at, **kw)  # type: ignore[arg-type]


def normal(**kw: object) -> Report:
    return report(**{**NORMAL, **kw})


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def sign_codes(p: Profile, r: Report, prev: tuple[Report, ...] = ()) -> list[str]:
    return codes(assess(p, r, prev).warning_signs)


# --------------------------------------------------------------------------------------------
# Tier
# --------------------------------------------------------------------------------------------


def test_tier_order_rank_and_max() -> None:
    assert [t.rank for t in Tier] == [0, 1, 2, 3]
    assert Tier.GREEN < Tier.YELLOW < Tier.ORANGE < Tier.RED
    assert Tier.RED > Tier.YELLOW >= Tier.YELLOW and Tier.GREEN <= Tier.GREEN
    assert not Tier.YELLOW < Tier.ORANGE < Tier.GREEN
    # alphabetically "yellow" > "red": the order must be clinical, not by name
    assert Tier.YELLOW < Tier.RED and Tier.YELLOW < "red" and "red" > Tier.YELLOW
    assert sorted([Tier.RED, Tier.GREEN, Tier.YELLOW, Tier.ORANGE]) == list(Tier)
    assert max(Tier.YELLOW, Tier.RED, Tier.ORANGE) is Tier.RED
    assert max_tier(Tier.YELLOW, Tier.ORANGE, Tier.GREEN) is Tier.ORANGE
    assert max_tier("yellow", Tier.GREEN) is Tier.YELLOW
    assert max_tier() is Tier.GREEN
    assert Tier("red") is Tier.RED and Tier.RED == "red" and Tier.RED.value == "red"
    with pytest.raises(ValueError):
        _ = Tier.RED < "purple"


# --------------------------------------------------------------------------------------------
# Age
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "on", "expected"),
    [
        (date(2000, 1, 15), date(2000, 1, 15), (0, 0)),
        (date(2000, 1, 15), date(2000, 2, 14), (0, 0)),
        (date(2000, 1, 15), date(2000, 2, 15), (0, 1)),
        (date(2000, 1, 15), date(2001, 1, 14), (0, 11)),
        (date(2000, 1, 15), date(2001, 1, 15), (1, 12)),
        (date(1961, 11, 23), date(2026, 11, 22), (64, 779)),
        (date(1961, 11, 22), date(2026, 11, 22), (65, 780)),
        # 29 February: the birthday is reached on 1 March in common years
        (date(2020, 2, 29), date(2021, 2, 28), (0, 11)),
        (date(2020, 2, 29), date(2021, 3, 1), (1, 12)),
        (date(2020, 2, 29), date(2024, 2, 28), (3, 47)),
        (date(2020, 2, 29), date(2024, 2, 29), (4, 48)),
        (date(2020, 2, 29), date(2020, 3, 28), (0, 0)),
        (date(2020, 2, 29), date(2020, 3, 29), (0, 1)),
        # the 31st: the monthly birthday of a 30-day month falls on the 1st
        (date(2021, 1, 31), date(2021, 2, 28), (0, 0)),
        (date(2021, 1, 31), date(2021, 3, 1), (0, 1)),
        (date(2021, 1, 31), date(2021, 3, 30), (0, 1)),
        (date(2021, 1, 31), date(2021, 3, 31), (0, 2)),
        (date(2021, 1, 31), date(2021, 4, 30), (0, 2)),
    ],
)
def test_age_on(dob: date, on: date, expected: tuple[int, int]) -> None:
    assert age_on(dob, on) == expected


def test_age_on_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2020, 1, 2), date(2020, 1, 1))


def test_test_helper_born_is_exact() -> None:
    assert age_on(born(65), ON) == (65, 780)
    assert age_on(born(65, day_before=True), ON) == (64, 779)
    assert age_on(born(months=3), ON) == (0, 3)
    assert age_on(born(months=3, day_before=True), ON) == (0, 2)


def test_age_uses_the_local_date_of_the_report() -> None:
    # 23:30 UTC on 21 November is 06:30 on 22 November in Vietnam: the 16th birthday.
    p = Profile(born(16), fully_vaccinated=True)
    late_utc = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert assess(p, report(late_utc, **NORMAL)).news2 is not None
    earlier = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 23:30 on the 21st in VN
    assert assess(p, report(earlier, **NORMAL)).news2 is None


# --------------------------------------------------------------------------------------------
# Baseline tier (§3)
# --------------------------------------------------------------------------------------------

# (id, age spec (years, months, day_before), profile kwargs, tier, reason codes)
BASELINE_ROWS = [
    ("newborn", (0, 0, False), {}, Tier.ORANGE, ["INFANT_UNDER_3_MONTHS"]),
    ("day_before_3_months", (0, 3, True), {}, Tier.ORANGE, ["INFANT_UNDER_3_MONTHS"]),
    (
        "day_before_3_months_vacc",
        (0, 3, True),
        {"fully_vaccinated": True},
        Tier.ORANGE,
        ["INFANT_UNDER_3_MONTHS"],
    ),
    ("3_months_unvacc", (0, 3, False), {"fully_vaccinated": False}, Tier.YELLOW, ["UNVACCINATED"]),
    ("3_months_vacc", (0, 3, False), {"fully_vaccinated": True}, Tier.GREEN, ["LOW_RISK"]),
    ("30_vacc", (30, 0, False), {}, Tier.GREEN, ["LOW_RISK"]),
    ("30_unvacc", (30, 0, False), {"fully_vaccinated": False}, Tier.YELLOW, ["UNVACCINATED"]),
    ("day_before_50_vacc", (50, 0, True), {}, Tier.GREEN, ["LOW_RISK"]),
    (
        "day_before_50_unvacc",
        (50, 0, True),
        {"fully_vaccinated": False},
        Tier.YELLOW,
        ["UNVACCINATED"],
    ),
    ("50_vacc", (50, 0, False), {}, Tier.YELLOW, ["AGE_50_64_VACCINATED"]),
    (
        "50_unvacc",
        (50, 0, False),
        {"fully_vaccinated": False},
        Tier.ORANGE,
        ["AGE_50_64_UNVACCINATED"],
    ),
    ("day_before_65_vacc", (65, 0, True), {}, Tier.YELLOW, ["AGE_50_64_VACCINATED"]),
    (
        "day_before_65_unvacc",
        (65, 0, True),
        {"fully_vaccinated": False},
        Tier.ORANGE,
        ["AGE_50_64_UNVACCINATED"],
    ),
    (
        "day_before_65_comorbid",
        (65, 0, True),
        {"comorbidities": frozenset({"diabetes"})},
        Tier.ORANGE,
        ["COMORBIDITY"],
    ),
    ("65_vacc", (65, 0, False), {}, Tier.ORANGE, ["AGE_65_VACCINATED"]),
    ("65_unvacc", (65, 0, False), {"fully_vaccinated": False}, Tier.RED, ["AGE_65_UNVACCINATED"]),
    (
        "65_comorbid",
        (65, 0, False),
        {"comorbidities": frozenset({"diabetes"})},
        Tier.RED,
        ["AGE_65_COMORBID"],
    ),
    (
        "65_comorbid_unvacc",
        (65, 0, False),
        {"comorbidities": frozenset({"asthma"}), "fully_vaccinated": False},
        Tier.RED,
        ["AGE_65_COMORBID", "AGE_65_UNVACCINATED"],
    ),
    ("90_vacc", (90, 0, False), {}, Tier.ORANGE, ["AGE_65_VACCINATED"]),
    (
        "30_comorbid",
        (30, 0, False),
        {"comorbidities": frozenset({"hiv"})},
        Tier.ORANGE,
        ["COMORBIDITY"],
    ),
    (
        "30_comorbid_stable",
        (30, 0, False),
        {"comorbidities": frozenset({"hiv"}), "comorbidities_stable": True},
        Tier.ORANGE,
        ["COMORBIDITY"],
    ),
    (
        "30_other",
        (30, 0, False),
        {"comorbidities": frozenset({"other"})},
        Tier.ORANGE,
        ["COMORBIDITY"],
    ),
    (
        "30_comorbid_unvacc",
        (30, 0, False),
        {"comorbidities": frozenset({"cancer"}), "fully_vaccinated": False},
        Tier.ORANGE,
        ["COMORBIDITY", "UNVACCINATED"],
    ),
    (
        "50_comorbid_vacc",
        (50, 0, False),
        {"comorbidities": frozenset({"asthma"})},
        Tier.ORANGE,
        ["COMORBIDITY"],
    ),
    (
        "2_months_comorbid",
        (0, 2, False),
        {"comorbidities": frozenset({"prematurity"})},
        Tier.ORANGE,
        ["COMORBIDITY", "INFANT_UNDER_3_MONTHS"],
    ),
    (
        "prematurity_day_before_16",
        (16, 0, True),
        {"comorbidities": frozenset({"prematurity"})},
        Tier.ORANGE,
        ["COMORBIDITY"],
    ),
    (
        "prematurity_16_not_counted",
        (16, 0, False),
        {"comorbidities": frozenset({"prematurity"})},
        Tier.GREEN,
        ["LOW_RISK"],
    ),
    ("pregnant", (30, 0, False), {"pregnant": True}, Tier.ORANGE, ["PREGNANT"]),
    ("postpartum", (30, 0, False), {"postpartum": True}, Tier.ORANGE, ["POSTPARTUM"]),
    (
        "pregnant_unvacc",
        (30, 0, False),
        {"pregnant": True, "fully_vaccinated": False},
        Tier.ORANGE,
        ["PREGNANT", "UNVACCINATED"],
    ),
    # BMI with height 100 cm: BMI == weight
    ("bmi_24.9", (30, 0, False), {"height_cm": 100, "weight_kg": 24.9}, Tier.GREEN, ["LOW_RISK"]),
    ("bmi_25.0", (30, 0, False), {"height_cm": 100, "weight_kg": 25.0}, Tier.YELLOW, ["BMI_25"]),
    ("bmi_25.1", (30, 0, False), {"height_cm": 100, "weight_kg": 25.1}, Tier.YELLOW, ["BMI_25"]),
    ("bmi_29.9", (30, 0, False), {"height_cm": 100, "weight_kg": 29.9}, Tier.YELLOW, ["BMI_25"]),
    ("bmi_29.99", (30, 0, False), {"height_cm": 100, "weight_kg": 29.99}, Tier.YELLOW, ["BMI_25"]),
    ("bmi_30.0", (30, 0, False), {"height_cm": 100, "weight_kg": 30.0}, Tier.ORANGE, ["BMI_30"]),
    ("bmi_30.1", (30, 0, False), {"height_cm": 100, "weight_kg": 30.1}, Tier.ORANGE, ["BMI_30"]),
    (
        "bmi_30_at_65_is_comorbid",
        (65, 0, False),
        {"height_cm": 100, "weight_kg": 31},
        Tier.RED,
        ["AGE_65_COMORBID", "BMI_30"],
    ),
    (
        "bmi_30_at_50_vacc",
        (50, 0, False),
        {"height_cm": 100, "weight_kg": 31},
        Tier.ORANGE,
        ["BMI_30"],
    ),
    (
        "bmi_27_at_50_vacc",
        (50, 0, False),
        {"height_cm": 100, "weight_kg": 27},
        Tier.YELLOW,
        ["AGE_50_64_VACCINATED", "BMI_25"],
    ),
    ("bmi_realistic", (30, 0, False), {"height_cm": 160, "weight_kg": 77}, Tier.ORANGE, ["BMI_30"]),
    ("bmi_height_missing", (30, 0, False), {"weight_kg": 120}, Tier.GREEN, ["LOW_RISK"]),
    ("bmi_weight_missing", (30, 0, False), {"height_cm": 150}, Tier.GREEN, ["LOW_RISK"]),
]


@pytest.mark.parametrize(
    ("age", "kw", "tier", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in BASELINE_ROWS],
)
def test_baseline_tier(
    age: tuple[int, int, bool], kw: dict[str, object], tier: Tier, expected: list[str]
) -> None:
    p = profile(*age, **kw)
    got_tier, reasons = baseline_tier(p, ON)
    assert got_tier is tier
    assert sorted(codes(reasons)) == sorted(expected)
    # the same through assess, with a report that raises nothing
    a = assess(p, normal() if age[0] >= 12 else report())
    assert a.baseline_tier is tier
    assert codes(a.reasons)[: len(expected)] == codes(reasons)


def test_baseline_reason_params() -> None:
    p = profile(
        70, comorbidities=frozenset({"hypertension", "diabetes"}), height_cm=100, weight_kg=30.5
    )
    _, reasons = baseline_tier(p, ON)
    first = reasons[0]
    assert first.code == "AGE_65_COMORBID"
    assert dict(first.params) == {"age": 70, "conditions": ("diabetes", "hypertension", "BMI_30")}
    assert "Đái tháo đường" in text(first) and "BMI ≥ 30" in text(first)
    assert dict(reasons[1].params) == {"bmi": 30.5}
    assert text(reasons[1]) == "Béo phì: BMI 30,5 (≥ 30), tính là bệnh nền"
    assert text(reasons[1], "en") == "Obesity: BMI 30.5 (≥ 30), counts as an underlying condition"
    _, reasons = baseline_tier(profile(0, 1), ON)
    assert text(reasons[0]) == "Trẻ dưới 3 tháng tuổi (1 tháng)"


def test_bmi_shown_truncated_inside_its_band() -> None:
    _, reasons = baseline_tier(profile(height_cm=100, weight_kg=29.99), ON)
    assert text(reasons[0], "en") == "Overweight: BMI 29.9 (25–29.9)"


def test_unknown_comorbidity_is_rejected() -> None:
    with pytest.raises(ValueError, match="diabetis"):
        profile(comorbidities=frozenset({"diabetis"}))


def test_profile_coerces_lists_and_checks_scale() -> None:
    p = Profile(date(1990, 1, 1), comorbidities=["asthma"])  # type: ignore[arg-type]
    assert p.comorbidities == frozenset({"asthma"})
    with pytest.raises(ValueError):
        Profile(date(1990, 1, 1), news2_scale=3)
    with pytest.raises(ValueError):
        Profile(datetime(1990, 1, 1, tzinfo=VN))


# --------------------------------------------------------------------------------------------
# Warning signs (§2)
# --------------------------------------------------------------------------------------------

# W2: (id, age spec, RR, fires)
W2_ROWS = [
    # under 2 months: >= 60
    ("newborn_59", (0, 0, False), 59, False),
    ("newborn_60", (0, 0, False), 60, True),
    ("1m_59", (0, 2, True), 59, False),
    ("1m_60", (0, 2, True), 60, True),
    ("1m_61", (0, 2, True), 61, True),
    # 2 to under 12 months: >= 50
    ("2m_49", (0, 2, False), 49, False),
    ("2m_50", (0, 2, False), 50, True),
    ("2m_51", (0, 2, False), 51, True),
    ("11m_49", (0, 12, True), 49, False),
    ("11m_50", (0, 12, True), 50, True),
    # 12 months to under 5 years: >= 40
    ("12m_39", (0, 12, False), 39, False),
    ("12m_40", (0, 12, False), 40, True),
    ("12m_41", (0, 12, False), 41, True),
    ("12m_49", (0, 12, False), 49, True),
    ("4y_39", (5, 0, True), 39, False),
    ("4y_40", (5, 0, True), 40, True),
    # 5 to under 12 years: >= 30
    ("5y_29", (5, 0, False), 29, False),
    ("5y_30", (5, 0, False), 30, True),
    ("5y_31", (5, 0, False), 31, True),
    ("5y_39", (5, 0, False), 39, True),
    ("11y_29", (12, 0, True), 29, False),
    ("11y_30", (12, 0, True), 30, True),
    ("11y_20", (12, 0, True), 20, False),
    # from 12 years: >= 20
    ("12y_19", (12, 0, False), 19, False),
    ("12y_20", (12, 0, False), 20, True),
    ("12y_21", (12, 0, False), 21, True),
    ("40y_19", (40, 0, False), 19, False),
    ("40y_20", (40, 0, False), 20, True),
    ("40y_21", (40, 0, False), 21, True),
    ("80y_20", (80, 0, False), 20, True),
]


@pytest.mark.parametrize(("age", "rr", "fires"), [pytest.param(*r[1:], id=r[0]) for r in W2_ROWS])
def test_w2_fast_breathing_by_age(age: tuple[int, int, bool], rr: int, fires: bool) -> None:
    a = assess(profile(*age), report(respiratory_rate=rr))
    assert ("W2" in codes(a.warning_signs)) is fires
    assert a.alert is fires
    if fires:
        assert a.tier is Tier.RED and a.clinical_tier is Tier.RED


def test_w2_message() -> None:
    a = assess(profile(), report(respiratory_rate=22))
    assert (
        text(a.warning_signs[0]) == "Thở nhanh: nhịp thở 22 lần/phút (≥ 20 lần/phút theo tuổi)"
    )
    assert text(a.warning_signs[0], "en") == (
        "Fast breathing: respiratory rate 22/min (≥ 20/min for age)"
    )


# W3: (id, age spec, spo2, spo2_recheck, fires)
W3_ROWS = [
    ("adult_95", (40, 0, False), 95, None, True),
    ("adult_96", (40, 0, False), 96, None, True),
    ("adult_97", (40, 0, False), 97, None, False),
    ("16y_95", (16, 0, False), 95, None, True),
    ("16y_96", (16, 0, False), 96, None, True),
    ("16y_97", (16, 0, False), 97, None, False),
    ("15y_95", (16, 0, True), 95, None, True),
    ("15y_96", (16, 0, True), 96, None, False),
    ("15y_97", (16, 0, True), 97, None, False),
    ("infant_95", (0, 1, False), 95, None, True),
    ("infant_96", (0, 1, False), 96, None, False),
    # the recheck replaces the first reading, in both directions
    ("recheck_clears", (40, 0, False), 94, 97, False),
    ("recheck_confirms", (40, 0, False), 94, 95, True),
    ("recheck_worse", (40, 0, False), 98, 96, True),
    ("recheck_only", (40, 0, False), None, 96, True),
    ("recheck_only_ok", (40, 0, False), None, 97, False),
    ("child_recheck_clears", (3, 0, False), 95, 96, False),
    ("child_recheck_worse", (3, 0, False), 96, 95, True),
]


@pytest.mark.parametrize(
    ("age", "spo2", "recheck", "fires"), [pytest.param(*r[1:], id=r[0]) for r in W3_ROWS]
)
def test_w3_low_spo2(
    age: tuple[int, int, bool], spo2: int | None, recheck: int | None, fires: bool
) -> None:
    a = assess(profile(*age), report(spo2=spo2, spo2_recheck=recheck))
    assert ("W3" in codes(a.warning_signs)) is fires
    assert "spo2" not in a.not_measured
    if fires:
        w3 = a.warning_signs[0]
        assert dict(w3.params)["value"] == (spo2 if recheck is None else recheck)


def test_w3_message_uses_the_recheck() -> None:
    a = assess(profile(), report(spo2=98, spo2_recheck=94))
    assert text(a.warning_signs[0]) == "SpO2 thấp: SpO2 94% (≤ 96%) (đo lại)"
    assert text(assess(profile(), report(spo2=94)).warning_signs[0], "en") == (
        "Low SpO2: SpO2 94% (≤ 96%)"
    )
    assert text(assess(profile(3), report(spo2=95)).warning_signs[0]) == (
        "SpO2 thấp: SpO2 95% (< 96%)"
    )


@pytest.mark.parametrize(
    ("spo2", "recheck", "points", "severity", "eligible"),
    [
        (94, 97, 0, "mild", True),  # recheck clears: NEWS2, severity, eligibility follow it
        (97, 94, 1, "moderate", False),  # recheck worse: all of them follow it
        (92, 93, 2, "severe", False),
        (93, 92, 2, "severe", False),
    ],
)
def test_recheck_replaces_spo2_everywhere(
    spo2: int, recheck: int, points: int, severity: str, eligible: bool
) -> None:
    a = assess(profile(), normal(spo2=spo2, spo2_recheck=recheck, symptoms=frozenset({"cough"})))
    assert a.news2 is not None and dict(a.news2.parameters)["spo2"] == points
    assert a.severity == severity
    assert a.eligible_home_care is eligible


# W4: (id, age spec, pulse, fires)
W4_ROWS = [
    ("adult_49", (40, 0, False), 49, True),
    ("adult_50", (40, 0, False), 50, False),
    ("adult_51", (40, 0, False), 51, False),
    ("adult_119", (40, 0, False), 119, False),
    ("adult_120", (40, 0, False), 120, False),
    ("adult_121", (40, 0, False), 121, True),
    ("12y_121", (12, 0, False), 121, True),
    ("12y_49", (12, 0, False), 49, True),
    ("11y_121_not_applied", (12, 0, True), 121, False),
    ("11y_49_not_applied", (12, 0, True), 49, False),
    ("infant_160_not_applied", (0, 6, False), 160, False),
]


@pytest.mark.parametrize(
    ("age", "pulse", "fires"), [pytest.param(*r[1:], id=r[0]) for r in W4_ROWS]
)
def test_w4_pulse(age: tuple[int, int, bool], pulse: int, fires: bool) -> None:
    assert ("W4" in sign_codes(profile(*age), report(pulse=pulse))) is fires


def test_w4_message() -> None:
    assert text(assess(profile(), report(pulse=130)).warning_signs[0]) == (
        "Mạch bất thường: 130 lần/phút (> 120)"
    )
    assert text(assess(profile(), report(pulse=45)).warning_signs[0], "en") == (
        "Abnormal pulse: 45/min (< 50)"
    )


# W5: (id, age spec, systolic, diastolic, fires)
W5_ROWS = [
    ("sys_89", (40, 0, False), 89, 70, True),
    ("sys_90", (40, 0, False), 90, 70, False),
    ("sys_91", (40, 0, False), 91, 70, False),
    ("dia_59", (40, 0, False), 120, 59, True),
    ("dia_60", (40, 0, False), 120, 60, False),
    ("dia_61", (40, 0, False), 120, 61, False),
    ("both_low", (40, 0, False), 85, 55, True),
    ("sys_only_low", (40, 0, False), 85, None, True),
    ("sys_only_ok", (40, 0, False), 120, None, False),
    ("dia_only_low", (40, 0, False), None, 55, True),
    ("dia_only_ok", (40, 0, False), None, 75, False),
    ("12y_sys_89", (12, 0, False), 89, 50, True),
    ("11y_not_applied", (12, 0, True), 80, 50, False),
]


@pytest.mark.parametrize(
    ("age", "sbp", "dbp", "fires"), [pytest.param(*r[1:], id=r[0]) for r in W5_ROWS]
)
def test_w5_low_blood_pressure(
    age: tuple[int, int, bool], sbp: int | None, dbp: int | None, fires: bool
) -> None:
    assert ("W5" in sign_codes(profile(*age), report(systolic_bp=sbp, diastolic_bp=dbp))) is fires


def test_w5_one_reason_naming_each_low_value() -> None:
    a = assess(profile(), report(systolic_bp=85, diastolic_bp=55))
    assert codes(a.warning_signs) == ["W5"]
    assert text(a.warning_signs[0]) == (
        "Huyết áp thấp: tâm thu 85 mmHg (< 90), tâm trương 55 mmHg (< 60)"
    )
    a = assess(profile(), report(systolic_bp=120, diastolic_bp=55))
    assert text(a.warning_signs[0], "en") == "Low blood pressure: diastolic 55 mmHg (< 60)"


@pytest.mark.parametrize("years", [0, 3, 40, 80])
@pytest.mark.parametrize(
    ("symptom", "code"), sorted(risk.WARNING_SYMPTOMS.items(), key=lambda kv: kv[1])
)
def test_warning_symptoms(symptom: str, code: str, years: int) -> None:
    a = assess(profile(years), report(symptoms=frozenset({symptom})))
    assert codes(a.warning_signs) == [code]
    assert a.alert and a.tier is Tier.RED and a.clinical_tier is Tier.RED
    assert a.eligible_home_care is False


@pytest.mark.parametrize("symptom", [s for s in risk.SYMPTOMS if s not in risk.WARNING_SYMPTOMS])
def test_ordinary_symptoms_raise_no_sign(symptom: str) -> None:
    a = assess(profile(), normal(symptoms=frozenset({symptom})))
    assert a.warning_signs == () and a.tier is Tier.GREEN and a.eligible_home_care


@pytest.mark.parametrize(
    ("wants_call", "staff", "by"),
    [(True, False, ("patient",)), (False, True, ("staff",)), (True, True, ("patient", "staff"))],
)
def test_w11_patient_button_or_staff_concern(wants_call: bool, staff: bool, by: tuple) -> None:
    r = report(symptoms=frozenset({"wants_call"} if wants_call else ()), staff_concern=staff)
    a = assess(profile(), r)
    assert codes(a.warning_signs) == ["W11"]
    assert dict(a.warning_signs[0].params)["by"] == by
    assert text(a.warning_signs[0]).startswith("Cần hỗ trợ: ")


def test_all_signs_at_once_in_code_order() -> None:
    r = report(
        temperature_c=39.5,
        spo2=90,
        pulse=150,
        respiratory_rate=70,
        systolic_bp=80,
        diastolic_bp=50,
        symptoms=frozenset(risk.SYMPTOMS),
        staff_concern=True,
    )
    assert sign_codes(profile(13), r) == [f"W{i}" for i in range(1, 12)] + ["C2"]


# C2 above 39.0 °C: (id, age spec, temperature, fires)
C2_HIGH_ROWS = [
    ("child_39.0", (5, 0, False), 39.0, False),
    ("child_39.1", (5, 0, False), 39.1, True),
    ("child_40.5", (5, 0, False), 40.5, True),
    ("infant_39.1", (0, 1, False), 39.1, True),
    ("15y_39.1", (16, 0, True), 39.1, True),
    ("16y_39.1_adult", (16, 0, False), 39.1, False),
    ("adult_41", (40, 0, False), 41.0, False),
]


@pytest.mark.parametrize(
    ("age", "temp", "fires"), [pytest.param(*r[1:], id=r[0]) for r in C2_HIGH_ROWS]
)
def test_c2_high_fever_in_a_child(age: tuple[int, int, bool], temp: float, fires: bool) -> None:
    assert ("C2" in sign_codes(profile(*age), report(temperature_c=temp))) is fires


H = timedelta(hours=1)


def _temps(*pairs: tuple[timedelta, float | None]) -> tuple[Report, ...]:
    return tuple(report(AT - ago, temperature_c=t) for ago, t in pairs)


# C2 fever for 48 h: (id, current temperature, earlier reports (time before AT, temp), fires)
C2_48H_ROWS = [
    ("exactly_48h", 38.5, _temps((48 * H, 38.0)), True),
    ("47h59_only", 38.5, _temps((47 * H + 59 * timedelta(minutes=1), 38.5)), False),
    ("48h01", 38.5, _temps((48 * H + timedelta(minutes=1), 38.5)), True),
    ("e_37.9", 38.5, _temps((48 * H, 37.9)), False),
    ("e_38.0_now_38.0", 38.0, _temps((48 * H, 38.0)), True),
    ("now_37.9", 37.9, _temps((48 * H, 38.5), (24 * H, 38.5)), False),
    (
        "chain_of_four",
        38.2,
        _temps((12 * H, 38.1), (24 * H, 38.4), (36 * H, 38.0), (48 * H, 38.3)),
        True,
    ),
    ("gap_37.9_between", 38.5, _temps((48 * H, 38.5), (24 * H, 37.9), (12 * H, 38.5)), False),
    ("gap_just_after_e", 38.5, _temps((48 * H, 38.5), (47 * H, 37.9)), False),
    # E is the *latest* report at least 48 h before: an older fever does not help
    ("latest_e_is_afebrile", 38.5, _temps((50 * H, 38.5), (49 * H, 37.5), (12 * H, 38.5)), False),
    ("older_afebrile_ignored", 38.5, _temps((60 * H, 37.0), (48 * H, 38.5)), True),
    (
        "unordered",
        38.5,
        tuple(
            random.Random(4).sample(
                _temps(
                    (12 * H, 38.3), (72 * H, 38.4), (36 * H, 38.1), (50 * H, 38.6), (24 * H, 38.2)
                ),
                5,
            )
        ),
        True,
    ),
    (
        "unordered_gap",
        38.5,
        _temps((12 * H, 38.3), (50 * H, 38.6), (36 * H, 37.9), (24 * H, 38.2)),
        False,
    ),
    # not measured is neither fever nor normal
    ("between_not_measured", 38.5, _temps((48 * H, 38.5), (24 * H, None)), True),
    ("e_not_measured_uses_earlier", 38.5, _temps((49 * H, None), (50 * H, 38.5)), True),
    ("only_unmeasured", 38.5, _temps((49 * H, None), (24 * H, None)), False),
    # reports at or after this one do not count
    (
        "later_report_ignored",
        38.5,
        (*_temps((48 * H, 38.5)), report(AT + H, temperature_c=36.5)),
        True,
    ),
    ("no_previous", 38.5, (), False),
]


@pytest.mark.parametrize(
    ("temp", "prev", "fires"), [pytest.param(*r[1:], id=r[0]) for r in C2_48H_ROWS]
)
def test_c2_fever_for_48_hours(temp: float, prev: tuple[Report, ...], fires: bool) -> None:
    child = profile(8)
    assert ("C2" in sign_codes(child, report(temperature_c=temp), prev)) is fires


def test_c2_48h_only_in_children_and_message() -> None:
    prev = _temps((50 * H, 38.5), (24 * H, 38.5))
    assert "C2" not in sign_codes(profile(16), report(temperature_c=38.5), prev)
    a = assess(profile(8), report(temperature_c=38.5), prev)
    c2 = a.warning_signs[0]
    assert dict(c2.params)["fever_hours"] == 50
    assert text(c2) == "Sốt ≥ 38,0 °C kéo dài 50 giờ (hiện 38,5 °C)"
    assert text(c2, "en") == "Fever ≥ 38.0 °C for 50 hours (now 38.5 °C)"
    high = assess(profile(8), report(temperature_c=39.5)).warning_signs[0]
    assert text(high) == "Sốt cao 39,5 °C (> 39,0 °C) ở trẻ em"


def test_previous_report_order_does_not_matter() -> None:
    prev = list(_temps((12 * H, 38.3), (60 * H, 38.4), (36 * H, 38.1), (50 * H, 38.6)))
    first = assess(profile(8), report(temperature_c=38.4), tuple(prev))
    for seed in range(5):
        random.Random(seed).shuffle(prev)
        assert assess(profile(8), report(temperature_c=38.4), tuple(prev)) == first


# --------------------------------------------------------------------------------------------
# NEWS2 (§5) against the RCP chart
# --------------------------------------------------------------------------------------------

NEWS2_PARAMETER_ROWS = [
    ("respiratory_rate", 5, 3),
    ("respiratory_rate", 8, 3),
    ("respiratory_rate", 9, 1),
    ("respiratory_rate", 11, 1),
    ("respiratory_rate", 12, 0),
    ("respiratory_rate", 20, 0),
    ("respiratory_rate", 21, 2),
    ("respiratory_rate", 24, 2),
    ("respiratory_rate", 25, 3),
    ("spo2", 91, 3),
    ("spo2", 92, 2),
    ("spo2", 93, 2),
    ("spo2", 94, 1),
    ("spo2", 95, 1),
    ("spo2", 96, 0),
    ("spo2", 100, 0),
    ("systolic_bp", 90, 3),
    ("systolic_bp", 91, 2),
    ("systolic_bp", 100, 2),
    ("systolic_bp", 101, 1),
    ("systolic_bp", 110, 1),
    ("systolic_bp", 111, 0),
    ("systolic_bp", 219, 0),
    ("systolic_bp", 220, 3),
    ("pulse", 40, 3),
    ("pulse", 41, 1),
    ("pulse", 50, 1),
    ("pulse", 51, 0),
    ("pulse", 90, 0),
    ("pulse", 91, 1),
    ("pulse", 110, 1),
    ("pulse", 111, 2),
    ("pulse", 130, 2),
    ("pulse", 131, 3),
    ("temperature_c", 34.5, 3),
    ("temperature_c", 35.0, 3),
    ("temperature_c", 35.1, 1),
    ("temperature_c", 36.0, 1),
    ("temperature_c", 36.1, 0),
    ("temperature_c", 38.0, 0),
    ("temperature_c", 38.1, 1),
    ("temperature_c", 39.0, 1),
    ("temperature_c", 39.1, 2),
    ("temperature_c", 41.0, 2),
]


@pytest.mark.parametrize(("name", "value", "points"), NEWS2_PARAMETER_ROWS)
def test_news2_parameter_bands(name: str, value: float, points: int) -> None:
    r = normal(**{name: value, "diastolic_bp": 40})
    n = news2(profile(), r, ON)
    assert n is not None and n.complete
    params = dict(n.parameters)
    assert params[name] == points
    assert params["air_or_oxygen"] == 0  # at home: room air
    assert n.score == points  # every other parameter is normal


@pytest.mark.parametrize(
    ("spo2", "points"),
    [(83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 0), (97, 0), (100, 0)],
)
def test_news2_scale_2_on_room_air(spo2: int, points: int) -> None:
    n = news2(profile(news2_scale=2), normal(spo2=spo2), ON)
    assert n is not None and dict(n.parameters)["spo2"] == points
    scale1 = news2(profile(), normal(spo2=spo2), ON)
    assert scale1 is not None
    if spo2 <= 91:
        assert dict(scale1.parameters)["spo2"] == 3  # same reading, Scale 1


@pytest.mark.parametrize(
    ("symptoms", "points"),
    [(frozenset(), 0), (frozenset({"cough"}), 0), (frozenset({"altered_consciousness"}), 3)],
)
def test_news2_consciousness_alert_unless_w7(symptoms: frozenset[str], points: int) -> None:
    n = news2(profile(), normal(symptoms=symptoms), ON)
    assert n is not None and dict(n.parameters)["consciousness"] == points


# (id, vitals on top of NORMAL, score, band, clinical tier, NEWS2 reason codes)
NEWS2_TOTAL_ROWS = [
    ("zero", {}, 0, "low", Tier.GREEN, []),
    ("one", {"temperature_c": 38.5}, 1, "low", Tier.GREEN, []),
    ("four", {"pulse": 111, "systolic_bp": 100}, 4, "low", Tier.GREEN, []),
    ("single_3_total_3", {"systolic_bp": 220}, 3, "low_medium", Tier.ORANGE, ["NEWS2_SINGLE_3"]),
    (
        "single_3_total_4",
        {"systolic_bp": 220, "temperature_c": 38.5},
        4,
        "low_medium",
        Tier.ORANGE,
        ["NEWS2_SINGLE_3"],
    ),
    (
        "five",
        {"pulse": 111, "systolic_bp": 100, "temperature_c": 38.5},
        5,
        "medium",
        Tier.ORANGE,
        ["NEWS2_MEDIUM"],
    ),
    (
        "five_with_single_3",
        {"pulse": 111, "systolic_bp": 220},
        5,
        "medium",
        Tier.ORANGE,
        ["NEWS2_MEDIUM", "NEWS2_SINGLE_3"],
    ),
    (
        "six",
        {"pulse": 111, "systolic_bp": 100, "temperature_c": 38.5, "respiratory_rate": 10},
        6,
        "medium",
        Tier.ORANGE,
        ["NEWS2_MEDIUM"],
    ),
    (
        "seven",
        {"pulse": 111, "systolic_bp": 100, "temperature_c": 39.5, "respiratory_rate": 10},
        7,
        "high",
        Tier.RED,
        [],  # VN-2022.2: >= 7 is warning sign W12, not a NEWS2_* reason
    ),
    (
        "eight",
        {"pulse": 115, "systolic_bp": 220, "temperature_c": 35.0},
        8,
        "high",
        Tier.RED,
        ["NEWS2_SINGLE_3", "NEWS2_SINGLE_3"],
    ),
]


@pytest.mark.parametrize(
    ("vitals", "score", "band", "tier", "news2_codes"),
    [pytest.param(*r[1:], id=r[0]) for r in NEWS2_TOTAL_ROWS],
)
def test_news2_total_bands_and_clinical_tier(
    vitals: dict[str, float], score: int, band: str, tier: Tier, news2_codes: list[str]
) -> None:
    a = assess(profile(), normal(**vitals))
    assert a.news2 is not None
    assert (a.news2.score, a.news2.band, a.news2.complete) == (score, band, True)
    # VN-2022.2: below 7 NEWS2 raises the tier alone; from 7 it is warning sign W12 (alert)
    assert codes(a.warning_signs) == (["W12"] if score >= 7 else [])
    assert a.alert is (score >= 7)
    assert a.clinical_tier is tier and a.tier is tier
    assert [c for c in codes(a.reasons) if c.startswith("NEWS2")] == news2_codes


def test_news2_reason_messages() -> None:
    a = assess(profile(), normal(pulse=111, systolic_bp=220))
    msgs = [text(r) for r in a.reasons if r.code.startswith("NEWS2")]
    assert msgs == [
        "NEWS2 = 5 (5–6: nguy cơ trung bình)",
        "NEWS2: huyết áp tâm thu 220 mmHg được 3 điểm",
    ]
    a = assess(profile(), normal(symptoms=frozenset({"altered_consciousness"})))
    single = [r for r in a.reasons if r.code == "NEWS2_SINGLE_3"][0]
    assert text(single, "en") == "NEWS2: new confusion scores 3"


@pytest.mark.parametrize(
    "missing", ["respiratory_rate", "spo2", "systolic_bp", "pulse", "temperature_c"]
)
def test_news2_incomplete_is_never_zero(missing: str) -> None:
    a = assess(profile(), normal(**{missing: None}))
    n = a.news2
    assert n is not None
    assert (n.score, n.band, n.complete, n.missing) == (None, None, False, (missing,))
    assert missing not in dict(n.parameters)
    assert (n.score, n.band, n.complete) == (None, None, False)  # what the API shows
    assert missing in a.not_measured


def test_news2_diastolic_is_not_a_parameter() -> None:
    n = news2(profile(), normal(diastolic_bp=None), ON)
    assert n is not None and n.complete and n.score == 0


@pytest.mark.parametrize(
    ("vitals", "code", "tier"),
    [
        # incomplete (temperature missing) but already >= 7 / >= 5 from the values present
        ({"pulse": 115, "systolic_bp": 220, "respiratory_rate": 8}, "W12", Tier.RED),
        ({"pulse": 111, "systolic_bp": 100, "respiratory_rate": 10}, "NEWS2_MEDIUM", Tier.ORANGE),
        ({"pulse": 111, "systolic_bp": 100}, None, Tier.GREEN),
    ],
)
def test_incomplete_news2_still_raises_on_what_is_present(
    vitals: dict[str, int], code: str | None, tier: Tier
) -> None:
    a = assess(profile(), normal(temperature_c=None, **vitals))
    assert a.news2 is not None and a.news2.score is None and not a.news2.complete
    assert a.clinical_tier is tier
    got = [r for r in a.reasons if r.code in ("W12", "NEWS2_MEDIUM")]
    if code is None:
        assert got == []
    else:
        assert [r.code for r in got] == [code]
        assert dict(got[0].params)["complete"] is False
        assert "ít nhất" in text(got[0])


def test_incomplete_news2_single_3_still_counts() -> None:
    a = assess(profile(), report(systolic_bp=220))
    assert a.news2 is not None and a.news2.score is None
    assert codes(a.reasons)[-1] == "NEWS2_SINGLE_3" and a.tier is Tier.ORANGE


@pytest.mark.parametrize(
    ("age", "kw", "applies"),
    [
        ((16, 0, True), {}, False),
        ((16, 0, False), {}, True),
        ((10, 0, False), {}, False),
        ((30, 0, False), {"pregnant": True}, False),
        ((30, 0, False), {"postpartum": True}, True),
        ((80, 0, False), {}, True),
    ],
)
def test_news2_applies_from_16_and_not_in_pregnancy(
    age: tuple[int, int, bool], kw: dict[str, object], applies: bool
) -> None:
    p = profile(*age, **kw)
    r = normal(systolic_bp=220)  # a single 3 that only NEWS2 sees
    assert (news2(p, r, ON) is not None) is applies
    a = assess(p, r)
    assert (a.news2 is not None) is applies
    assert ("NEWS2_SINGLE_3" in codes(a.reasons)) is applies
    assert (a.news2 is None) is not applies


# --------------------------------------------------------------------------------------------
# Missing values: never normal, never abnormal, never hide another sign
# --------------------------------------------------------------------------------------------

# One abnormal value per vital (adult): what it raises on its own.
ABNORMAL = {
    "temperature_c": (34.5, set(), True),  # NEWS2 temperature 3 -> single 3
    "spo2": (90, {"W3"}, True),
    "pulse": (130, {"W4"}, False),
    "respiratory_rate": (26, {"W2"}, True),
    "systolic_bp": (85, {"W5"}, True),
    "diastolic_bp": (55, {"W5"}, False),
}
VITALS = tuple(ABNORMAL)
# NEWS2 points of each ABNORMAL value (pulse 130 scores 2; diastolic is not a parameter)
NEWS2_POINTS = {"temperature_c": 3, "spo2": 3, "pulse": 2, "respiratory_rate": 3, "systolic_bp": 3, "diastolic_bp": 0}
SUBSETS = [frozenset(c) for n in range(len(VITALS) + 1) for c in itertools.combinations(VITALS, n)]


@pytest.mark.parametrize("present", SUBSETS, ids=lambda s: "+".join(sorted(s)) or "none")
def test_every_missing_combination_hides_nothing(present: frozenset[str]) -> None:
    r = report(**{v: ABNORMAL[v][0] for v in present})
    a = assess(profile(), r)
    expected_signs = set().union(*(ABNORMAL[v][1] for v in present))
    # VN-2022.2 W12: the measured NEWS2 parts alone reach 7 (a missing value hides nothing)
    if sum(NEWS2_POINTS[v] for v in present) >= 7:
        expected_signs.add("W12")
    assert set(codes(a.warning_signs)) == expected_signs
    singles = {dict(x.params)["parameter"] for x in a.reasons if x.code == "NEWS2_SINGLE_3"}
    assert singles == {v for v in present if ABNORMAL[v][2]}
    if expected_signs:
        assert a.tier is Tier.RED
    elif singles:
        assert a.tier is Tier.ORANGE
    else:
        assert a.tier is Tier.GREEN
    assert set(a.not_measured) == set(VITALS) - present
    assert a.news2 is not None
    assert a.news2.complete is (set(VITALS) - {"diastolic_bp"} <= present)
    if not a.news2.complete:
        assert a.news2.score is None


@pytest.mark.parametrize(
    ("abnormal", "missing"),
    [
        pytest.param(v, m, id=f"{v}-missing-{'+'.join(sorted(m)) or 'none'}")
        for v in VITALS
        for m in SUBSETS
        if v not in m
    ],
)
def test_missing_equals_normal_for_tier_and_signs(abnormal: str, missing: frozenset[str]) -> None:
    full = normal(**{abnormal: ABNORMAL[abnormal][0]})
    partial = normal(**{abnormal: ABNORMAL[abnormal][0]}, **{m: None for m in missing})
    for years in (40, 8):  # an adult (NEWS2) and a child (no NEWS2)
        a_full, a_part = assess(profile(years), full), assess(profile(years), partial)
        assert a_part.tier is a_full.tier
        assert codes(a_part.warning_signs) == codes(a_full.warning_signs)


def test_nothing_measured() -> None:
    a = assess(profile(), report())
    assert a.not_measured == VITALS
    assert a.tier is Tier.GREEN and a.warning_signs == ()
    assert (
        a.news2 is not None
        and a.news2.score is None
        and a.news2.missing == ("respiratory_rate", "spo2", "systolic_bp", "pulse", "temperature_c")
    )
    assert a.severity == "unknown"  # not measured is not "mild" (VN-2022.2: "unknown")
    assert a.eligible_home_care  # RR and SpO2 "where measured"


def test_missing_spo2_does_not_suppress_rr_or_symptoms() -> None:
    a = assess(profile(), report(respiratory_rate=22, symptoms=frozenset({"chest_pain"})))
    assert codes(a.warning_signs) == ["W2", "W6"]


# --------------------------------------------------------------------------------------------
# Tier composition (§4), severity (§6 evidence), eligibility (§6)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "r", "tier", "baseline", "clinical"),
    [
        (profile(70, fully_vaccinated=False), normal(), Tier.RED, Tier.RED, Tier.GREEN),
        (profile(55), normal(systolic_bp=220), Tier.ORANGE, Tier.YELLOW, Tier.ORANGE),
        (profile(30, pregnant=True), normal(systolic_bp=220), Tier.ORANGE, Tier.ORANGE, Tier.GREEN),
        (profile(30), normal(spo2=96), Tier.RED, Tier.GREEN, Tier.RED),
        (profile(30, fully_vaccinated=False), normal(), Tier.YELLOW, Tier.YELLOW, Tier.GREEN),
    ],
)
def test_tier_is_max_of_baseline_and_clinical(
    p: Profile, r: Report, tier: Tier, baseline: Tier, clinical: Tier
) -> None:
    a = assess(p, r)
    assert (a.tier, a.baseline_tier, a.clinical_tier) == (tier, baseline, clinical)


SEVERITY_ROWS = [
    ("mild", {"symptoms": frozenset({"cough"})}, "mild"),
    ("asymptomatic", {}, "asymptomatic"),
    ("fever_38.0_is_symptom", {"temperature_c": 38.0}, "mild"),
    ("temp_37.9_asymptomatic", {"temperature_c": 37.9}, "asymptomatic"),
    ("rr_19", {"respiratory_rate": 19}, "asymptomatic"),
    ("rr_20", {"respiratory_rate": 20}, "moderate"),
    ("rr_25", {"respiratory_rate": 25}, "moderate"),
    ("rr_26", {"respiratory_rate": 26}, "severe"),
    ("spo2_97", {"spo2": 97}, "asymptomatic"),
    ("spo2_96", {"spo2": 96}, "moderate"),
    ("spo2_94", {"spo2": 94}, "moderate"),
    ("spo2_93", {"spo2": 93}, "severe"),
    ("dyspnoea", {"symptoms": frozenset({"shortness_of_breath"})}, "moderate"),
    # VN-2022.2: one of RR/SpO2 missing -> classed on the rest; both missing, no sign: unknown
    ("rr_missing", {"respiratory_rate": None, "symptoms": frozenset({"cough"})}, "mild"),
    ("spo2_missing", {"spo2": None}, "asymptomatic"),
    ("both_missing", {"spo2": None, "respiratory_rate": None}, "unknown"),
    ("both_missing_cough", {"spo2": None, "respiratory_rate": None, "symptoms": frozenset({"cough"})}, "unknown"),
    ("both_missing_fever", {"spo2": None, "respiratory_rate": None, "temperature_c": 39.0}, "unknown"),
    ("both_missing_chest_pain", {"spo2": None, "respiratory_rate": None, "symptoms": frozenset({"chest_pain"})}, "moderate"),
    ("both_missing_confused", {"spo2": None, "respiratory_rate": None, "symptoms": frozenset({"altered_consciousness"})}, "severe"),
    ("both_missing_systolic_89", {"spo2": None, "respiratory_rate": None, "systolic_bp": 89}, "severe"),
    # VN-2022.2 severe signs
    ("confused", {"symptoms": frozenset({"altered_consciousness"})}, "severe"),
    ("cyanosis", {"symptoms": frozenset({"cyanosis"})}, "severe"),
    ("systolic_89", {"systolic_bp": 89}, "severe"),
    ("systolic_90", {"systolic_bp": 90}, "asymptomatic"),
    ("rr_8", {"respiratory_rate": 8}, "severe"),
    ("rr_9", {"respiratory_rate": 9}, "asymptomatic"),
    ("rr_5", {"respiratory_rate": 5}, "severe"),
    ("chest_pain", {"symptoms": frozenset({"chest_pain"})}, "moderate"),
    ("chest_pain_spo2_93", {"spo2": 93, "symptoms": frozenset({"chest_pain"})}, "severe"),
    ("diastolic_55_not_severe", {"diastolic_bp": 55}, "asymptomatic"),
    ("spo2_missing_rr_26", {"spo2": None, "respiratory_rate": 26}, "severe"),
    ("rr_missing_spo2_95", {"respiratory_rate": None, "spo2": 95}, "moderate"),
    (
        "rr_missing_dyspnoea",
        {"respiratory_rate": None, "symptoms": frozenset({"shortness_of_breath"})},
        "moderate",
    ),
]


@pytest.mark.parametrize(("kw", "severity"), [pytest.param(*r[1:], id=r[0]) for r in SEVERITY_ROWS])
def test_adult_severity(kw: dict[str, object], severity: str | None) -> None:
    assert assess(profile(), normal(**kw)).severity == severity
    assert assess(profile(16), normal(**kw)).severity == severity
    assert assess(profile(16, day_before=True), normal(**kw)).severity is None  # adults only


ELIGIBILITY_ROWS = [
    ("mild_adult", (40,), {}, {"symptoms": frozenset({"cough"})}, []),
    ("rr_19", (40,), {}, {"respiratory_rate": 19}, []),
    ("rr_20", (40,), {}, {"respiratory_rate": 20}, ["ELIG_WARNING_SIGNS", "ELIG_SEVERITY"]),
    ("spo2_97", (40,), {}, {"spo2": 97}, []),
    ("spo2_96", (40,), {}, {"spo2": 96}, ["ELIG_WARNING_SIGNS", "ELIG_SEVERITY"]),
    ("not_measured", (40,), {}, {"spo2": None, "respiratory_rate": None}, []),
    # chest pain is W6 and, from VN-2022.2, moderate
    ("warning_symptom", (40,), {}, {"symptoms": frozenset({"chest_pain"})}, ["ELIG_WARNING_SIGNS", "ELIG_SEVERITY"]),
    ("vomits_not_moderate", (40,), {}, {"symptoms": frozenset({"cannot_drink_or_feed"})}, ["ELIG_WARNING_SIGNS"]),
    (
        "comorbid_unstable",
        (40,),
        {"comorbidities": frozenset({"diabetes"})},
        {},
        ["ELIG_COMORBIDITY"],
    ),
    (
        "comorbid_stable",
        (40,),
        {"comorbidities": frozenset({"diabetes"}), "comorbidities_stable": True},
        {},
        [],
    ),
    ("bmi_30_unstable", (40,), {"height_cm": 100, "weight_kg": 32}, {}, ["ELIG_COMORBIDITY"]),
    (
        "bmi_30_stable",
        (40,),
        {"height_cm": 100, "weight_kg": 32, "comorbidities_stable": True},
        {},
        [],
    ),
    ("bmi_29_unstable", (40,), {"height_cm": 100, "weight_kg": 29}, {}, []),
    ("old_pregnant_unvaccinated", (70,), {"fully_vaccinated": False, "pregnant": True}, {}, []),
    ("child_spo2_96", (3,), {}, {"spo2": 96, "respiratory_rate": 30}, []),
    ("child_spo2_95", (3,), {}, {"spo2": 95, "respiratory_rate": 30}, ["ELIG_WARNING_SIGNS"]),
    ("child_rr_40", (3,), {}, {"respiratory_rate": 40}, ["ELIG_WARNING_SIGNS"]),
]


@pytest.mark.parametrize(
    ("age", "pkw", "rkw", "expected"), [pytest.param(*r[1:], id=r[0]) for r in ELIGIBILITY_ROWS]
)
def test_eligibility_for_home_care(
    age: tuple[int], pkw: dict[str, object], rkw: dict[str, object], expected: list[str]
) -> None:
    a = assess(profile(*age, **pkw), normal(**rkw))
    assert codes(a.eligibility_reasons) == expected
    assert a.eligible_home_care is (not expected)


def test_eligibility_messages() -> None:
    a = assess(profile(40, comorbidities=frozenset({"asthma"})), normal(spo2=95))
    msgs = [text(r) for r in a.eligibility_reasons]
    assert msgs == [
        "Có dấu hiệu cảnh báo (W3): cần đánh giá điều trị tại cơ sở y tế",
        "Mức độ bệnh trung bình: chỉ người không triệu chứng hoặc nhẹ được điều trị tại nhà",
        "Bệnh nền chưa được điều trị ổn định: Hen phế quản",
    ]


# --------------------------------------------------------------------------------------------
# Input ranges (§8)
# --------------------------------------------------------------------------------------------

CHECK_ROWS = [
    ("temperature_c", 33.9, "out_of_range", None),
    ("temperature_c", 34.0, None, None),
    ("temperature_c", 34.1, None, None),
    ("temperature_c", 37.25, None, None),
    ("temperature_c", 41.4, None, None),
    ("temperature_c", 41.5, None, None),
    ("temperature_c", 41.6, None, "implausible"),
    ("temperature_c", 42.9, None, "implausible"),
    ("temperature_c", 43.0, None, "implausible"),
    ("temperature_c", 43.1, "out_of_range", None),
    ("spo2", 49, "out_of_range", None),
    ("spo2", 50, None, "implausible"),
    ("spo2", 51, None, "implausible"),
    ("spo2", 69, None, "implausible"),
    ("spo2", 70, None, None),
    ("spo2", 71, None, None),
    ("spo2", 99, None, None),
    ("spo2", 100, None, None),
    ("spo2", 101, "out_of_range", None),
    ("spo2", 96.5, "not_integer", None),
    ("spo2", 97.0, None, None),
    ("spo2", 100.5, "out_of_range", None),
    ("spo2_recheck", 49, "out_of_range", None),
    ("spo2_recheck", 69, None, "implausible"),
    ("spo2_recheck", 95.5, "not_integer", None),
    ("pulse", 24, "out_of_range", None),
    ("pulse", 25, None, None),
    ("pulse", 26, None, None),
    ("pulse", 179, None, None),
    ("pulse", 180, None, None),
    ("pulse", 181, None, "implausible"),
    ("pulse", 249, None, "implausible"),
    ("pulse", 250, None, "implausible"),
    ("pulse", 251, "out_of_range", None),
    ("pulse", 80.5, "not_integer", None),
    ("respiratory_rate", 4, "out_of_range", None),
    ("respiratory_rate", 5, None, None),
    ("respiratory_rate", 6, None, None),
    ("respiratory_rate", 79, None, None),
    ("respiratory_rate", 80, None, None),
    ("respiratory_rate", 81, "out_of_range", None),
    ("respiratory_rate", 18.5, "not_integer", None),
    ("systolic_bp", 49, "out_of_range", None),
    ("systolic_bp", 50, None, None),
    ("systolic_bp", 51, None, None),
    ("systolic_bp", 259, None, None),
    ("systolic_bp", 260, None, None),
    ("systolic_bp", 261, "out_of_range", None),
    ("diastolic_bp", 29, "out_of_range", None),
    ("diastolic_bp", 30, None, None),
    ("diastolic_bp", 31, None, None),
    ("diastolic_bp", 159, None, None),
    ("diastolic_bp", 160, None, None),
    ("diastolic_bp", 161, "out_of_range", None),
    ("pulse", None, None, None),
    ("pulse", "80", "not_a_number", None),
    ("pulse", True, "not_a_number", None),
    ("temperature_c", math.nan, "not_a_number", None),
    ("temperature_c", math.inf, "not_a_number", None),
]


@pytest.mark.parametrize(("field", "value", "error", "confirm"), CHECK_ROWS)
def test_check_vitals_ranges(
    field: str, value: object, error: str | None, confirm: str | None
) -> None:
    errors, needs = check_vitals({field: value})  # type: ignore[dict-item]
    assert errors == ({field: error} if error else {})
    assert needs == ({field: confirm} if confirm else {})


@pytest.mark.parametrize(
    ("systolic", "diastolic", "errors"),
    [
        (120, 119, {}),
        (120, 120, {"diastolic_bp": "diastolic_not_below_systolic"}),
        (120, 121, {"diastolic_bp": "diastolic_not_below_systolic"}),
        (60, 59, {}),
        (None, 150, {}),
        (120, None, {}),
        (300, 150, {"systolic_bp": "out_of_range"}),
        (120, 170, {"diastolic_bp": "out_of_range"}),
    ],
)
def test_check_vitals_diastolic_below_systolic(
    systolic: int | None, diastolic: int | None, errors: dict[str, str]
) -> None:
    assert check_vitals({"systolic_bp": systolic, "diastolic_bp": diastolic}) == (errors, {})


def test_check_vitals_several_fields_and_unknown_keys() -> None:
    errors, needs = check_vitals(
        {"spo2": 65, "pulse": 300, "temperature_c": 36.6, "note": "x", "symptoms": ["cough"]}
    )  # type: ignore[dict-item]
    assert errors == {"pulse": "out_of_range"}
    assert needs == {"spo2": "implausible"}


def test_input_ranges_are_the_single_definition() -> None:
    assert set(risk.INPUT_RANGES) == {
        "temperature_c",
        "spo2",
        "pulse",
        "respiratory_rate",
        "systolic_bp",
        "diastolic_bp",
    }
    assert risk.INPUT_RANGES["spo2"] == Range(50, 100, 70, None, True)
    assert risk.INPUT_RANGES["temperature_c"] == Range(34.0, 43.0, None, 41.5, False)
    assert risk.INPUT_RANGES["pulse"] == Range(25, 250, None, 180, True)
    with pytest.raises(AttributeError):
        risk.INPUT_RANGES["spo2"].low = 10  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Reports, flags, end of treatment
# --------------------------------------------------------------------------------------------


def test_report_validation() -> None:
    with pytest.raises(ValueError):
        Report(reported_at=datetime(2026, 11, 22, 8, 0))
    with pytest.raises(ValueError, match="shortness_of_breth"):
        report(symptoms=frozenset({"shortness_of_breth"}))
    r = report(symptoms=["cough", "cough"])  # type: ignore[arg-type]
    assert r.symptoms == frozenset({"cough"})
    with pytest.raises(AttributeError):
        r.spo2 = 90  # type: ignore[misc]


T0 = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("last", "registered", "now", "flag"),
    [
        (None, T0, T0, None),
        (None, T0, T0 + 12 * H - M, None),
        (None, T0, T0 + 12 * H, "overdue"),
        (None, T0, T0 + 12 * H + M, "overdue"),
        (None, T0, T0 + 24 * H - M, "overdue"),
        (None, T0, T0 + 24 * H, "missing"),
        (None, T0, T0 + 24 * H + M, "missing"),
        (T0 + 30 * H, T0, T0 + 41 * H, None),  # counted from the last report
        (T0 + 30 * H, T0, T0 + 42 * H, "overdue"),
        (T0 + 30 * H, T0, T0 + 54 * H, "missing"),
        # other offsets compare as instants
        (None, T0.astimezone(VN), T0 + 12 * H, "overdue"),
        (T0.astimezone(VN), T0 - 48 * H, T0 + 11 * H, None),
    ],
)
def test_reporting_flag(
    last: datetime | None, registered: datetime, now: datetime, flag: str | None
) -> None:
    assert reporting_flag(last, registered, now) == flag
    assert risk.OVERDUE_AFTER == 12 * H and risk.MISSING_AFTER == 24 * H


def test_reporting_flag_rejects_naive() -> None:
    with pytest.raises(ValueError):
        reporting_flag(None, datetime(2026, 1, 1), T0)
    with pytest.raises(ValueError):
        reporting_flag(T0, T0, datetime(2026, 1, 2))


@pytest.mark.parametrize(("days", "day"), [(-1, 0), (0, 1), (6, 7), (9, 10), (13, 14)])
def test_day_of_treatment(days: int, day: int) -> None:
    assert day_of_treatment(ON, ON + timedelta(days=days)) == day


@pytest.mark.parametrize(
    ("day", "vaccinated", "negative_test", "allowed", "code"),
    [
        (1, True, True, False, "RECOVERY_BEFORE_DAY_7"),
        (6, True, True, False, "RECOVERY_BEFORE_DAY_7"),
        (6, False, False, False, "RECOVERY_BEFORE_DAY_7"),
        (7, True, True, True, None),
        (7, False, True, True, None),
        (8, False, True, True, None),
        (7, True, False, False, "RECOVERY_NEEDS_NEGATIVE_TEST"),
        (9, True, False, False, "RECOVERY_NEEDS_NEGATIVE_TEST"),
        (10, True, False, True, None),
        (11, True, False, True, None),
        (10, False, False, False, "RECOVERY_NEEDS_NEGATIVE_TEST"),
        (13, False, False, False, "RECOVERY_NEEDS_NEGATIVE_TEST"),
        (14, False, False, True, None),
        (15, False, False, True, None),
    ],
)
def test_recovery_check(
    day: int, vaccinated: bool, negative_test: bool, allowed: bool, code: str | None
) -> None:
    positive = date(2026, 11, 1)
    on = positive + timedelta(days=day - 1)
    ok, reason = recovery_check(positive, on, vaccinated, negative_test)
    assert ok is allowed
    assert (reason.code if reason else None) == code
    if reason:
        assert dict(reason.params)["day"] == day
        assert dict(reason.params)["without_test_day"] == (10 if vaccinated else 14)
        assert text(reason) and text(reason, "en")


def test_recovery_messages() -> None:
    _, reason = recovery_check(date(2026, 11, 1), date(2026, 11, 8), True, False)
    assert reason is not None
    assert text(reason) == (
        "Ngày điều trị thứ 8: cần xét nghiệm nhanh kháng nguyên âm tính do nhân viên y tế "
        "thực hiện hoặc giám sát, hoặc chờ đến ngày 10"
    )


# --------------------------------------------------------------------------------------------
# Output shape, vocabularies, messages
# --------------------------------------------------------------------------------------------


def test_vocabularies_match_the_api() -> None:
    assert risk.SYMPTOMS == (
        "fever",
        "cough",
        "productive_cough",
        "sore_throat",
        "runny_nose",
        "fatigue",
        "headache",
        "myalgia",
        "chills",
        "red_eyes",
        "loss_of_taste_smell",
        "diarrhea",
        "nausea_vomiting",
        "anorexia",
        "dizziness",
        "hemoptysis",
        "shortness_of_breath",
        "chest_pain",
        "altered_consciousness",
        "cyanosis",
        "cannot_drink_or_feed",
        "other_acute_illness",
        "wants_call",
    )
    assert risk.WARNING_SYMPTOMS == {
        "shortness_of_breath": "W1",
        "chest_pain": "W6",
        "altered_consciousness": "W7",
        "cyanosis": "W8",
        "cannot_drink_or_feed": "W9",
        "other_acute_illness": "W10",
        "wants_call": "W11",
    }
    assert set(risk.COMORBIDITIES) == {
        "diabetes",
        "chronic_lung_disease",
        "cancer",
        "chronic_kidney_disease",
        "transplant",
        "obesity",
        "cardiovascular_disease",
        "cerebrovascular_disease",
        "down_syndrome",
        "hiv",
        "neurological_disease",
        "sickle_cell_disease",
        "asthma",
        "hypertension",
        "immunodeficiency",
        "liver_disease",
        "substance_use_disorder",
        "immunosuppressant_use",
        "systemic_disease",
        "prematurity",
        "other",
    }
    # Their words in vi and en: tests/test_labels.py.


# --- chart thresholds and the recheck limit come from the same table --------------------------


def test_chart_thresholds_follow_age_bands():
    """Values and codes of the chart lines (their words: tests/test_labels.py)."""
    adult = risk.Profile(date_of_birth=date(1980, 1, 1))
    lines = risk.chart_thresholds(adult, date(2026, 1, 1))
    assert [v for v, _c, _p in lines["spo2"]] == [96]
    assert [v for v, _c, _p in lines["respiratory_rate"]] == [20]
    assert sorted(v for v, _c, _p in lines["pulse"]) == [50, 120]
    assert [v for v, _c, _p in lines["temperature_c"]] == [38.0]
    assert lines["spo2"] == ((96, "W3", {"op": "<=", "limit": 96}),)
    child = risk.Profile(date_of_birth=date(2022, 1, 1))  # 4 years old
    lines = risk.chart_thresholds(child, date(2026, 1, 1))
    assert [v for v, _c, _p in lines["respiratory_rate"]] == [40]
    assert "pulse" not in lines  # W4 is not applied under 12
    assert [v for v, _c, _p in lines["temperature_c"]] == [38.0, 39.0]
    assert lines["respiratory_rate"] == ((40, "W2", {"limit": 40}),)
    assert {c for group in lines.values() for _v, c, _p in group} <= set(risk.CHART_LINE_CODES)


def test_recheck_limit_is_the_adult_w3_limit():
    assert risk.SPO2_RECHECK_AT == 96
