"""THE rule table of rule set VN-2022.2 and the band tables built from it at import."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import timedelta, timezone
from types import MappingProxyType
from typing import Any

from ..states import _TIER_RANK, Tier
from .vocab import COMORBIDITIES, SYMPTOMS

RULES_VERSION = "VN-2022.2"
VN_TZ = timezone(timedelta(hours=7))  # Vietnam: UTC+7 all year, no daylight saving time

_INF = math.inf


# --------------------------------------------------------------------------------------------
# THE rule table. Ages are in completed months. Bands ending in "_UPTO" are (inclusive upper
# bound, result) pairs in ascending order; bands ending in "_FROM" are (inclusive lower bound,
# result) pairs in ascending order.
# --------------------------------------------------------------------------------------------

RULES: Mapping[str, Any] = MappingProxyType(
    {
        # §2 W2 (261; 528/604 C3 under 1 year; A1: adult limit from the 12th birthday):
        # (from age in months, RR at or above which W2 fires)
        "W2_RR_FROM": ((0, 60), (2, 50), (12, 40), (60, 30), (144, 20)),
        # §2 W2 (VN-2022.2): very slow breathing, from age in months: RR at or below which
        # W2 fires (None: not applied)
        "W2_RR_SLOW_FROM": ((0, None), (144, 8)),
        # §2 W3: (from age in months, comparison, SpO2 limit); 261 adults, 528/604 children
        "W3_SPO2_FROM": ((0, "<", 96), (192, "<=", 96)),
        # §2 W4 (261; not applied under 12): (from age in months, (fires below, fires above))
        "W4_PULSE_FROM": ((0, None), (144, (50, 120))),
        # §2 W5 (261, "or" reading; not applied under 12): (from age, (systolic <, diastolic <))
        "W5_BP_FROM": ((0, None), (144, (90, 60))),
        # §2 C2 (528/604): under this age; > high °C; or >= fever °C lasting >= hours
        "C2_UNDER_AGE_MONTHS": 192,
        "C2_HIGH_FEVER_ABOVE_C": 39.0,
        "C2_FEVER_FROM_C": 38.0,
        "C2_FEVER_HOURS": 48,
        # §3 baseline (5525): age bands -> facts used by the baseline rows
        "BASELINE_AGE_FROM": (
            (0, ("under_3_months", "under_65")),
            (3, ("age_3m_49", "under_65")),
            (50 * 12, ("age_50_64", "under_65")),
            (65 * 12, ("age_65",)),
        ),
        # §3 BMI bands (kg/m², unrounded): (from BMI, facts)
        "BASELINE_BMI_FROM": ((25.0, ("bmi_25",)), (30.0, ("bmi_30", "comorbid"))),
        # §1/§8.1: comorbidities counted only under an age (months); the rest at any age
        "COMORBIDITY_UNDER_AGE_MONTHS": {"prematurity": 192},
        # §3 rows: (reason code, tier, facts that must all hold). Every matching row is a
        # reason; the highest tier wins; no row -> green (LOW_RISK).
        "BASELINE_ROWS": (
            ("AGE_65_COMORBID", "red", ("age_65", "comorbid")),
            ("AGE_65_UNVACCINATED", "red", ("age_65", "not_vaccinated")),
            ("AGE_65_VACCINATED", "orange", ("age_65", "vaccinated", "no_comorbid")),
            ("COMORBIDITY", "orange", ("under_65", "listed_comorbidity")),
            ("BMI_30", "orange", ("bmi_30",)),
            ("AGE_50_64_UNVACCINATED", "orange", ("age_50_64", "not_vaccinated")),
            ("PREGNANT", "orange", ("pregnant",)),
            ("POSTPARTUM", "orange", ("postpartum",)),
            ("INFANT_UNDER_3_MONTHS", "orange", ("under_3_months",)),
            ("AGE_50_64_VACCINATED", "yellow", ("age_50_64", "vaccinated", "no_comorbid")),
            ("UNVACCINATED", "yellow", ("age_3m_49", "not_vaccinated")),
            ("BMI_25", "yellow", ("bmi_25",)),
        ),
        # §5 NEWS2 (RCP 2017 chart 1): adults from 16, not in pregnancy
        "NEWS2_FROM_AGE_MONTHS": 192,
        "NEWS2_RR_UPTO": ((8, 3), (11, 1), (20, 0), (24, 2), (_INF, 3)),
        "NEWS2_SPO2_SCALE1_UPTO": ((91, 3), (93, 2), (95, 1), (_INF, 0)),
        # Scale 2 on room air: 88-92 and >= 93 on air both score 0
        "NEWS2_SPO2_SCALE2_UPTO": ((83, 3), (85, 2), (87, 1), (_INF, 0)),
        "NEWS2_AIR_POINTS": 0,  # patients at home are on room air (oxygen would add 2)
        "NEWS2_SYSTOLIC_UPTO": ((90, 3), (100, 2), (110, 1), (219, 0), (_INF, 3)),
        "NEWS2_PULSE_UPTO": ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (_INF, 3)),
        "NEWS2_CONSCIOUSNESS": {"alert": 0, "new_confusion": 3},  # W7 -> new confusion
        "NEWS2_TEMPERATURE_UPTO": ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (_INF, 2)),
        # total -> band (a single 3 turns "low" into "low_medium")
        "NEWS2_BAND_UPTO": ((4, "low"), (6, "medium"), (_INF, "high")),
        "NEWS2_SINGLE_POINTS": 3,
        # §2 W12 (VN-2022.2): a NEWS2 total (or, incomplete, the measured parts) at or above
        # this is a warning sign -> alert, clinical tier red
        "W12_NEWS2_FROM": 7,
        # §4 clinical tier from a NEWS2 below W12: (total from, tier, reason code)
        "NEWS2_TIER_FROM": ((5, "orange", "NEWS2_MEDIUM"),),
        "NEWS2_SINGLE_TIER": "orange",
        # §4/§6 adult severity (4689/250): from age; RR and SpO2 bands
        "SEVERITY_FROM_AGE_MONTHS": 192,
        "SEVERITY_RR_UPTO": ((19, "mild"), (25, "moderate"), (_INF, "severe")),
        "SEVERITY_SPO2_UPTO": ((93, "severe"), (96, "moderate"), (_INF, "mild")),
        "SEVERITY_SYMPTOMS_MODERATE": ("shortness_of_breath", "chest_pain"),
        # VN-2022.2: signs that make an adult severe on their own
        "SEVERITY_SYMPTOMS_SEVERE": ("altered_consciousness", "cyanosis"),
        "SEVERITY_SYSTOLIC_BELOW": 90,  # systolic < 90 -> severe
        "SEVERITY_RR_SLOW_UPTO": 8,  # RR <= 8 -> severe
        "SEVERITY_FEVER_FROM_C": 38.0,  # a measured fever makes the patient symptomatic
        # §6 eligibility (261): severity classes that may stay home
        "ELIGIBLE_SEVERITIES": ("asymptomatic", "mild", "unknown", None),
        # §7 end of home treatment (250): day with a negative supervised test; else by vaccine
        "RECOVERY_DAY_WITH_NEGATIVE_TEST": 7,
        "RECOVERY_DAY_VACCINATED": 10,
        "RECOVERY_DAY_NOT_VACCINATED": 14,
        # §4 reporting flags
        # §2 SpO2 recheck: the report form asks for a second reading at or below this value
        # (the adult W3 limit; the form asks children too: a second reading never hurts)
        "SPO2_RECHECK_AT_OR_BELOW": 96,
        # Patient charts: the fever line drawn on the temperature chart (§2 C2 / severity)
        "CHART_FEVER_C": 38.0,
        "OVERDUE_AFTER_HOURS": 12,
        # §1 report time (VN-2022.2): a stored report's time is refused more than this many
        # minutes after the server's clock, or more than this many hours before it; the
        # calculator refuses only the future part. Before the date of birth: always refused.
        "REPORT_FUTURE_MINUTES": 10,
        "REPORT_PAST_HOURS": 72,
        # §1 rounding: temperatures to this many decimals, half up, before any rule
        "TEMPERATURE_DECIMALS": 1,
        "MISSING_AFTER_HOURS": 24,
    }
)

SPO2_RECHECK_AT: int = RULES["SPO2_RECHECK_AT_OR_BELOW"]
REPORT_FUTURE = timedelta(minutes=RULES["REPORT_FUTURE_MINUTES"])
REPORT_PAST = timedelta(hours=RULES["REPORT_PAST_HOURS"])
OVERDUE_AFTER = timedelta(hours=RULES["OVERDUE_AFTER_HOURS"])
MISSING_AFTER = timedelta(hours=RULES["MISSING_AFTER_HOURS"])


# Pre-split band tables so lookups are one bisect (built once, at import).
def _split(table: Sequence[tuple[Any, Any]]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return tuple(row[0] for row in table), tuple(row[1] for row in table)


def _upto(bounds: tuple[Any, ...], values: tuple[Any, ...], x: float) -> Any:
    """Return the value of the first band whose inclusive upper bound is >= x."""
    return values[bisect_left(bounds, x)]


def _from(bounds: tuple[Any, ...], values: tuple[Any, ...], x: float) -> Any:
    """Return the value of the last band whose inclusive lower bound is <= x."""
    return values[bisect_right(bounds, x) - 1]


_W2 = _split(RULES["W2_RR_FROM"])
_W2_SLOW = _split(RULES["W2_RR_SLOW_FROM"])
_W12_FROM = RULES["W12_NEWS2_FROM"]
_TEMPERATURE_DECIMALS = RULES["TEMPERATURE_DECIMALS"]
_W3_BOUNDS = tuple(r[0] for r in RULES["W3_SPO2_FROM"])
_W3_VALUES = tuple(r[1:] for r in RULES["W3_SPO2_FROM"])
_W4 = _split(RULES["W4_PULSE_FROM"])
_W5 = _split(RULES["W5_BP_FROM"])
_C2_UNDER = RULES["C2_UNDER_AGE_MONTHS"]
_C2_HIGH = RULES["C2_HIGH_FEVER_ABOVE_C"]
_C2_FEVER = RULES["C2_FEVER_FROM_C"]
_C2_SPAN = timedelta(hours=RULES["C2_FEVER_HOURS"])
_AGE_FACTS = _split(RULES["BASELINE_AGE_FROM"])
_BMI_FACTS = _split(RULES["BASELINE_BMI_FROM"])
_COMORBIDITY_UNDER = RULES["COMORBIDITY_UNDER_AGE_MONTHS"]
_BASELINE_ROWS = tuple(
    (code, _TIER_RANK[Tier(tier)], frozenset(facts)) for code, tier, facts in RULES["BASELINE_ROWS"]
)
_NEWS2_FROM = RULES["NEWS2_FROM_AGE_MONTHS"]
_N_RR = _split(RULES["NEWS2_RR_UPTO"])
_N_SPO2 = {1: _split(RULES["NEWS2_SPO2_SCALE1_UPTO"]), 2: _split(RULES["NEWS2_SPO2_SCALE2_UPTO"])}
_N_AIR = RULES["NEWS2_AIR_POINTS"]
_N_SBP = _split(RULES["NEWS2_SYSTOLIC_UPTO"])
_N_PULSE = _split(RULES["NEWS2_PULSE_UPTO"])
_N_ACVPU = RULES["NEWS2_CONSCIOUSNESS"]
_N_TEMP = _split(RULES["NEWS2_TEMPERATURE_UPTO"])
_N_BAND = _split(RULES["NEWS2_BAND_UPTO"])
_N_SINGLE = RULES["NEWS2_SINGLE_POINTS"]
_N_TIERS = tuple((lo, _TIER_RANK[Tier(t)], code) for lo, t, code in RULES["NEWS2_TIER_FROM"])
_N_SINGLE_RANK = _TIER_RANK[Tier(RULES["NEWS2_SINGLE_TIER"])]
_SEV_FROM = RULES["SEVERITY_FROM_AGE_MONTHS"]
_SEV_RR = _split(RULES["SEVERITY_RR_UPTO"])
_SEV_SPO2 = _split(RULES["SEVERITY_SPO2_UPTO"])
_SEV_SYMPTOMS = frozenset(RULES["SEVERITY_SYMPTOMS_MODERATE"])
_SEV_SEVERE_SYMPTOMS = frozenset(RULES["SEVERITY_SYMPTOMS_SEVERE"])
_SEV_SYSTOLIC_BELOW = RULES["SEVERITY_SYSTOLIC_BELOW"]
_SEV_RR_SLOW = RULES["SEVERITY_RR_SLOW_UPTO"]
_SEV_FEVER = RULES["SEVERITY_FEVER_FROM_C"]
_SEV_RANK = {"asymptomatic": 0, "mild": 1, "moderate": 2, "severe": 3}
_ELIGIBLE_SEVERITIES = frozenset(RULES["ELIGIBLE_SEVERITIES"])

_RED = _TIER_RANK[Tier.RED]
_SYMPTOM_SET = frozenset(SYMPTOMS)
_COMORBIDITY_SET = frozenset(COMORBIDITIES)
